"""Collaborators: copied on the replies, may answer, added by agents or by the mail channel."""

import pytest
from django.core import mail

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EntryKind, EventKind, Notification, Status
from tickets.outbox import notifications_send_pending
from tickets.services import (
    ticket_add_collaborator,
    ticket_add_message,
    ticket_remove_collaborator,
    ticket_reply,
    ticket_resolve,
)


@pytest.fixture
def pam(db):
    return UserFactory(email="pam@example.com", display_name="Pam Beesly")


def test_agents_and_the_mail_channel_add_collaborators_once(desk, pam):
    ticket = desk.ticket()
    ticket_add_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    ticket_add_collaborator(ticket=ticket, user=pam, by=SYSTEM)  # again: nothing new
    assert list(ticket.collaborators.values_list("user__email", flat=True)) == [pam.email]
    [event] = ticket.events.filter(kind=EventKind.COLLABORATOR_ADDED)
    assert (event.actor, event.data) == (
        desk.agent.user,
        {"to": {"id": pam.pk, "name": "Pam Beesly"}},
    )


def test_nobody_else_adds_and_the_requester_is_not_a_collaborator(desk, pam):
    ticket = desk.ticket()
    for stranger in (desk.requester, desk.sales_agent.user, None):
        with pytest.raises(NotPermitted):
            ticket_add_collaborator(ticket=ticket, user=pam, by=stranger)
    with pytest.raises(InvalidInput, match="requester already"):
        ticket_add_collaborator(ticket=ticket, user=desk.requester, by=desk.agent.user)
    assert not ticket.collaborators.exists()


def test_a_collaborator_may_write_and_hears_the_replies_without_the_private_link(desk, pam):
    ticket = desk.ticket()
    ticket_add_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    entry = ticket_add_message(ticket=ticket, body="Same here in Sales.", by=pam)
    assert (entry.kind, entry.author) == (EntryKind.MESSAGE, pam)
    ticket_reply(ticket=ticket, body="On it.", by=desk.agent.user)
    mail.outbox.clear()
    notifications_send_pending()

    to = {message.to[0]: message for message in mail.outbox if message.subject.startswith("Re:")}
    assert set(to) == {desk.requester.email, pam.email}
    ticket_path = f"/tickets/{ticket.number}/"
    assert ticket_path in to[desk.requester.email].body
    # A collaborator with an account signs in to see the page; the private link is not theirs.
    assert ticket_path in to[pam.email].body
    assert ticket.access_key not in to[pam.email].body
    assert "Reply to this email to add to the conversation" in to[pam.email].body

    ticket_resolve(ticket=ticket, by=desk.agent.user)
    assert Notification.objects.filter(
        kind=Notification.Kind.REQUESTER_RESOLVED, recipient=pam
    ).exists()


def test_a_removed_collaborator_may_write_no_more(desk, pam):
    ticket = desk.ticket()
    ticket_add_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    ticket_remove_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    with pytest.raises(NotPermitted):
        ticket_add_message(ticket=ticket, body="Hello?", by=pam)
    assert ticket.events.filter(kind=EventKind.COLLABORATOR_REMOVED).count() == 1


def test_a_collaborators_message_reopens_a_resolved_ticket(desk, pam):
    ticket = desk.ticket()
    ticket_add_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    ticket_add_message(ticket=ticket, body="Still broken for me.", by=pam)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
