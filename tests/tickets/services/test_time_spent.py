"""Time spent in the domain: minutes on their own, with a reply, with a note; checked
(whole, positive, bounded), by agents of the department only, each with its event; the
ticket's totals per agent."""

import pytest
import time_machine

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EventKind, ThreadEntry, TicketEvent, TimeEntry
from tickets.selectors import time_spent_for_ticket
from tickets.services import (
    MINUTES_INVALID,
    ticket_add_note,
    ticket_close,
    ticket_log_time,
    ticket_reply,
)
from tickets.services.time_spent import ONLY_PEOPLE, TIME_NOTE_TOO_LONG

pytestmark = pytest.mark.django_db


def test_an_agent_logs_time_on_its_own_with_a_note(desk):
    ticket = desk.ticket()
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        entry = ticket_log_time(
            ticket=ticket, minutes=25, note="Called the vendor", by=desk.agent.user
        )
    assert (entry.minutes, entry.note, entry.agent, entry.entry) == (
        25,
        "Called the vendor",
        desk.agent.user,
        None,
    )
    assert entry.department == desk.it
    assert entry.created_at.isoformat() == "2026-03-02T10:00:00+00:00"
    (event,) = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TIME_LOGGED)
    assert event.actor == desk.agent.user
    assert event.data == {"minutes": 25, "time_entry": entry.pk, "entry": None}


def test_time_with_a_reply_and_with_a_note_is_linked_to_them(desk):
    ticket = desk.ticket()
    reply = ticket_reply(ticket=ticket, body="Restarted it.", by=desk.agent.user, minutes=15)
    note = ticket_add_note(ticket=ticket, body="Vendor bug.", by=desk.manager.user, minutes="40")
    entries = {e.entry_id: e for e in TimeEntry.objects.filter(ticket=ticket)}
    assert entries[reply.pk].minutes == 15 and entries[reply.pk].agent == desk.agent.user
    assert entries[note.pk].minutes == 40 and entries[note.pk].agent == desk.manager.user
    kinds = [
        e.data["entry"]["kind"]
        for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TIME_LOGGED)
    ]
    assert kinds == ["reply", "note"]


def test_a_reply_without_minutes_logs_nothing(desk):
    ticket = desk.ticket()
    ticket_reply(ticket=ticket, body="Hello", by=desk.agent.user, minutes="")
    ticket_add_note(ticket=ticket, body="Hello", by=desk.agent.user)
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("minutes", [0, -5, 1441, "abc", "1.5", 2.5, True, None, ""])
def test_minutes_are_whole_positive_and_bounded(desk, minutes):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput) as error:
        ticket_log_time(ticket=ticket, minutes=minutes, by=desk.agent.user)
    assert error.value.message == MINUTES_INVALID
    assert not TimeEntry.objects.exists()


def test_a_bad_minutes_value_refuses_the_reply_too(desk):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput, match="whole number"):
        ticket_reply(ticket=ticket, body="Done", by=desk.agent.user, minutes=0)
    assert not ThreadEntry.objects.filter(ticket=ticket, kind="reply").exists()


def test_the_note_is_bounded(desk):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput, match=TIME_NOTE_TOO_LONG):
        ticket_log_time(ticket=ticket, minutes=5, note="x" * 501, by=desk.agent.user)


def test_only_agents_of_the_department_log_time(desk):
    ticket = desk.ticket()
    for person in (desk.sales_agent.user, desk.requester, UserFactory(), None):
        with pytest.raises(NotPermitted):
            ticket_log_time(ticket=ticket, minutes=5, by=person)
    with pytest.raises(NotPermitted, match=ONLY_PEOPLE):
        ticket_log_time(ticket=ticket, minutes=5, by=SYSTEM)
    with pytest.raises(NotPermitted, match=ONLY_PEOPLE):
        ticket_reply(ticket=ticket, body="Automated", by=SYSTEM, minutes=5)
    assert not TimeEntry.objects.exists()


def test_time_can_be_logged_after_closing(desk):
    ticket = desk.ticket()
    ticket_close(ticket=ticket, by=desk.agent.user)
    ticket_log_time(ticket=ticket, minutes=10, by=desk.agent.user)
    assert time_spent_for_ticket(ticket=ticket).total == 10


def test_totals_per_agent(desk):
    ticket = desk.ticket()
    ticket_log_time(ticket=ticket, minutes=10, by=desk.agent.user)
    reply = ticket_reply(ticket=ticket, body="Done", by=desk.agent.user, minutes=20)
    ticket_log_time(ticket=ticket, minutes=45, by=desk.manager.user)
    ticket_log_time(ticket=desk.ticket(), minutes=99, by=desk.agent.user)  # another ticket
    spent = time_spent_for_ticket(ticket=ticket)
    assert spent.total == 75
    assert [(a.agent, a.minutes) for a in spent.by_agent] == [
        (desk.manager.user, 45),
        (desk.agent.user, 30),
    ]
    assert spent.by_entry == {reply.pk: 20}
