import pytest

from tickets.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from tickets.models import EntryKind, EventKind, Status
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_close,
    ticket_reply,
    ticket_resolve,
    ticket_set_pending,
)


def test_agent_reply_is_a_public_entry(desk):
    ticket = desk.ticket()

    entry = ticket_reply(ticket=ticket, body="The vendor is updating the CRM.", by=desk.agent.user)

    assert (entry.kind, entry.author, entry.is_public) == (EntryKind.REPLY, desk.agent.user, True)
    assert list(ticket.entries.values_list("kind", flat=True)) == ["message", "reply"]


def test_reply_touches_updated_at(desk):
    ticket = desk.ticket()
    before = ticket.updated_at

    ticket_reply(ticket=ticket, body="On it", by=desk.agent.user)

    ticket.refresh_from_db()
    assert ticket.updated_at > before


def test_note_is_internal(desk):
    entry = ticket_add_note(
        ticket=desk.ticket(), body="Ruled out the network.", by=desk.agent.user
    )

    assert (entry.kind, entry.is_public) == (EntryKind.NOTE, False)


def test_requester_cannot_reply_or_write_notes(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_reply(ticket=ticket, body="hi", by=desk.requester)
    with pytest.raises(NotPermitted):
        ticket_add_note(ticket=ticket, body="hi", by=desk.requester)
    assert ticket.entries.count() == 1


def test_agent_of_another_department_cannot_reply_or_note(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_reply(ticket=ticket, body="hi", by=desk.sales_agent.user)
    with pytest.raises(NotPermitted):
        ticket_add_note(ticket=ticket, body="hi", by=desk.sales_agent.user)


def test_empty_reply_is_refused(desk):
    with pytest.raises(InvalidInput, match="reply cannot be empty"):
        ticket_reply(ticket=desk.ticket(), body="   ", by=desk.agent.user)


def test_requester_message_on_an_open_ticket_changes_no_status(desk):
    ticket = desk.ticket()

    entry = ticket_add_message(ticket=ticket, body="Any news?", by=desk.requester)

    ticket.refresh_from_db()
    assert (entry.kind, ticket.status) == (EntryKind.MESSAGE, Status.OPEN)
    assert not ticket.events.exclude(kind=EventKind.CREATED).exists()


def test_requester_message_reopens_a_resolved_ticket(desk):
    ticket = ticket_resolve(ticket=desk.ticket(), by=desk.agent.user)

    ticket_add_message(ticket=ticket, body="It broke again.", by=desk.requester)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.resolved_at is None
    event = ticket.events.get(kind=EventKind.REOPENED)
    assert (event.actor, event.data) == (
        desk.requester,
        {"from": {"id": "resolved", "name": "Resolved"}, "to": {"id": "open", "name": "Open"}},
    )


def test_requester_message_returns_a_pending_ticket_to_open(desk):
    ticket = ticket_set_pending(ticket=desk.ticket(), by=desk.agent.user)

    ticket_add_message(ticket=ticket, body="Here is the screenshot.", by=desk.requester)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    last = ticket.events.filter(kind=EventKind.STATUS_CHANGED).last()
    assert (last.data["from"]["id"], last.data["to"]["id"]) == ("pending", "open")


def test_closed_ticket_takes_no_message_or_reply(desk):
    ticket = ticket_close(ticket=desk.ticket(), by=desk.agent.user)

    with pytest.raises(TransitionNotAllowed, match="open a new ticket"):
        ticket_add_message(ticket=ticket, body="Hello?", by=desk.requester)
    with pytest.raises(TransitionNotAllowed):
        ticket_reply(ticket=ticket, body="Hello?", by=desk.agent.user)
    assert ticket.entries.count() == 1


def test_another_requester_cannot_add_a_message(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_add_message(ticket=ticket, body="me too", by=desk.other_requester)
    with pytest.raises(NotPermitted):
        ticket_add_message(ticket=ticket, body="me too", by=desk.agent.user)
