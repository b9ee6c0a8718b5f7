"""Which ticket a message belongs to, and who its sender is to that ticket.

In order: our own Message-IDs in In-Reply-To or References (only ids we issued and
stored: they are random, so nobody can make one up); then Message-IDs of mail we received
on a ticket; then a `[#number]` tag in the subject, believed only when the sender is the
ticket's requester, a collaborator or an agent of its department (a tag alone proves
nothing: anyone can type one). Otherwise the message opens a new ticket.
"""

import enum
import re
from dataclasses import dataclass

from django.db.models import Subquery
from django.db.models.functions import Lower

from accounts.models import User
from mail.models import InboundMessage
from mail.parsing import ParsedMessage
from tickets import access
from tickets.models import Notification, Ticket

TICKET_TAG = re.compile(r"\[#(\d{1,18})\]")


class Role(enum.Enum):
    REQUESTER = "requester"
    COLLABORATOR = "collaborator"
    AGENT = "agent"
    OUTSIDER = "outsider"  # neither: their mail is kept for agents and changes nothing


@dataclass(frozen=True)
class Thread:
    ticket: Ticket
    via: str  # "our message", "their message" or "subject tag"


def thread_for(message: ParsedMessage) -> Thread | None:
    ids = list(dict.fromkeys([*message.in_reply_to, *message.references]))
    if ids:
        ticket = _ticket_of(Notification.objects.filter(message_id__in=[f"<{i}>" for i in ids]))
        if ticket is not None:
            return Thread(ticket, "our message")
        received = InboundMessage.objects.filter(message_id__in=ids, ticket__isnull=False)
        ticket = _ticket_of(received)
        if ticket is not None:
            return Thread(ticket, "their message")
    return _by_subject_tag(message)


def _ticket_of(rows) -> Ticket | None:
    """The ticket of the first of these rows (in their model's order), read in the same
    round trip as the row that names it, with its requester (sender_user)."""
    first = Subquery(rows.values("ticket_id")[:1])
    return Ticket.objects.select_related("requester").filter(pk=first).first()


def our_notification_for(ids: list[str]) -> Notification | None:
    """The email of ours that has one of these Message-IDs, the earliest id in the list
    winning (a bounce lists the returned message's own id first): only ids we issued."""
    if not ids:
        return None
    found = {
        n.message_id: n
        for n in Notification.objects.filter(
            message_id__in=[f"<{i}>" for i in ids]
        ).select_related("ticket", "recipient")
    }
    return next((found[f"<{i}>"] for i in ids if f"<{i}>" in found), None)


def _by_subject_tag(message: ParsedMessage) -> Thread | None:
    for number in TICKET_TAG.findall(message.subject):
        ticket = Ticket.objects.select_related("requester").filter(number=int(number)).first()
        if ticket is not None and role_of(message.sender.address, ticket) is not Role.OUTSIDER:
            return Thread(ticket, "subject tag")
    return None


def user_of(address: str) -> User | None:
    # LOWER(email) is what the case-insensitive unique index holds: an index lookup, where
    # email__iexact (UPPER(...)) would scan every user, once or more per message.
    if not address:
        return None
    return (
        User.objects.alias(email_lower=Lower("email")).filter(email_lower=address.lower()).first()
    )


def sender_user(address: str, ticket: Ticket) -> User | None:
    """user_of for a message on this ticket: most come from its requester, whom thread_for
    read with the ticket, so their own address needs no look-up (addresses are unique
    whatever their case)."""
    requester = ticket.requester
    if address and requester.email.lower() == address.lower():
        return requester
    return user_of(address)


def role_of(address: str, ticket: Ticket) -> Role:
    return role_of_user(sender_user(address, ticket), ticket)


def role_of_user(user: User | None, ticket: Ticket) -> Role:
    """The role of the user behind a sender's address (None: nobody we know)."""
    if user is None or not user.is_active:
        return Role.OUTSIDER
    if ticket.requester_id == user.pk:
        return Role.REQUESTER
    if access.is_collaborator(user, ticket):
        return Role.COLLABORATOR
    if access.can_work_ticket(user, ticket):
        return Role.AGENT
    return Role.OUTSIDER
