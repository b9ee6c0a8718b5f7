"""The outbox sends nothing to an address that bounced for good: the email is held back,
visibly, and mail flows again once an agent clears the stop."""

import pytest
from django.core import mail

from accounts.roles import SYSTEM
from tickets.models import MailSuppression, Notification
from tickets.outbox import MAX_ATTEMPTS, notifications_send_pending
from tickets.services import (
    DeliveryFailure,
    ticket_record_bounce,
    ticket_reply,
    ticket_resume_mail,
)

pytestmark = pytest.mark.postgres
Kind = Notification.Kind


def bounce(ticket, address, *, permanent=True):
    return ticket_record_bounce(
        ticket=ticket,
        failures=[DeliveryFailure(address, permanent, "5.1.1" if permanent else "4.2.2", "no")],
        by=SYSTEM,
    )


def replies_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_no_email_to_a_stopped_address_and_mail_again_after_clearing(desk):
    ticket = desk.ticket()
    notifications_send_pending()  # the acknowledgement
    bounce(ticket, desk.requester.email.upper())  # addresses compare without case
    mail.outbox.clear()

    ticket_reply(ticket=ticket, body="Try turning it off and on.", by=desk.agent.user)
    assert notifications_send_pending() == 0

    assert replies_to(desk.requester) == []
    held = Notification.objects.get(ticket=ticket, kind=Kind.REQUESTER_REPLY)
    assert held.sent_at is None
    assert held.attempts == MAX_ATTEMPTS  # never retried
    assert held.last_error == (
        f"Held back: mail to {desk.requester.email} bounced (5.1.1) on ticket "
        f"#{ticket.number}. Nothing is sent to it until an agent chooses “Send mail again” "
        "(on the ticket page, or in the admin's mail stops)."
    )
    notifications_send_pending()
    assert replies_to(desk.requester) == []

    assert ticket_resume_mail(ticket=ticket, user=desk.requester, by=desk.agent.user) == 1
    ticket_reply(ticket=ticket, body="Did that work?", by=desk.agent.user)
    notifications_send_pending()

    [sent] = replies_to(desk.requester)
    assert "Did that work?" in sent.body
    stop = MailSuppression.objects.get()
    assert (stop.is_active, stop.cleared_by) == (False, desk.agent.user)


def test_a_temporary_failure_stops_nothing(desk):
    ticket = desk.ticket()
    bounce(ticket, desk.requester.email, permanent=False)
    mail.outbox.clear()

    notifications_send_pending()

    assert len(replies_to(desk.requester)) == 1  # the acknowledgement went out
    assert not MailSuppression.objects.exists()


def test_other_recipients_in_the_same_batch_still_get_theirs(desk):
    ticket = desk.ticket()
    other = desk.ticket(requester=desk.other_requester, by=desk.other_requester)
    bounce(ticket, desk.requester.email)
    mail.outbox.clear()

    notifications_send_pending()

    assert replies_to(desk.requester) == []
    assert len(replies_to(desk.other_requester)) == 1
    assert other.pk != ticket.pk
