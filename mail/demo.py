"""The demo's mailboxes: one address per department, arriving by the MTA pipe, so that
`manage.py mail_pipe --mailbox it@theoffice.example < message.eml` works with no mail
server at all."""

from collections import Counter

from accounts.models import Department
from mail.models import Mailbox

DEMO_MAILBOXES = {
    "it@theoffice.example": "IT",
    "sales@theoffice.example": "Sales",
    "accounting@theoffice.example": "Accounting",
}


def demo_mailboxes() -> Counter:
    created: Counter = Counter()
    for address, name in DEMO_MAILBOXES.items():
        department = Department.objects.get(name=name)
        _, made = Mailbox.objects.get_or_create(
            address=address,
            defaults={"department": department, "transport": Mailbox.Transport.PIPE},
        )
        created["mailboxes"] += made
        if not department.email:
            # What an admin enters: the address the department's mail says to answer to.
            Department.objects.filter(pk=department.pk).update(email=address)
    return +created
