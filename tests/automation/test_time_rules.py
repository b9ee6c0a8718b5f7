"""Time rules: beat's pass acts once per ticket per period; a new period starts when the
moment measured moves; the shipped defaults."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps

from automation.engine import time_rules_run
from automation.models import Rule, RuleEmail, RuleRun
from tests.automation.conftest import make_rule
from tests.support.factories import BusinessCalendarFactory
from tickets.models import EntryKind, EventKind, Notification, Status, TicketEvent
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_assign,
    ticket_reply,
    ticket_resolve,
    ticket_set_pending,
)

add_defaults = importlib.import_module("automation.migrations.0002_default_rules").add_defaults

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def at(hours):
    return time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False)


@pytest.fixture(autouse=True)
def _shipped(db):
    """The data migration's rules; a transactional test's flush may have removed them."""
    add_defaults(apps, None)


def defaults():
    return {rule.name: rule for rule in Rule.objects.filter(trigger="time", is_active=False)}


@pytest.fixture
def nudge(desk):
    """After 2 calendar hours without an agent reply, a note."""
    return make_rule(
        name="Nudge",
        trigger="time",
        conditions=[{"field": "hours_since_agent", "operator": "calendar_hours", "value": "2"}],
        actions=[{"kind": "add_note", "text": "No reply for 2 hours"}],
    )


def notes(ticket):
    return ticket.entries.filter(kind=EntryKind.NOTE).count()


def test_acts_once_per_period(desk, nudge):
    with at(0):
        ticket = desk.ticket()
    with at(1):
        assert time_rules_run() == 0
    with at(3):
        assert time_rules_run() == 1
        assert time_rules_run() == 0  # the same period: once
    assert notes(ticket) == 1
    event_free = TicketEvent.objects.filter(ticket=ticket, data__rule__isnull=False)
    assert not event_free.exists()  # a note has no event; nothing else changed
    with at(4):
        ticket_reply(ticket=ticket, body="Looking", by=desk.agent.user)  # a new period
    with at(5):
        assert time_rules_run() == 0
    with at(6.5):
        assert time_rules_run() == 1
    assert notes(ticket) == 2
    assert RuleRun.objects.filter(rule=nudge, ticket=ticket).count() == 2


def test_closed_tickets_are_not_candidates(desk, nudge):
    from tickets.services import ticket_close

    with at(0):
        ticket = desk.ticket()
        ticket_close(ticket=ticket, by=desk.agent.user)
    with at(5):
        assert time_rules_run() == 0


def test_default_rules_ship_inactive():
    assert set(defaults()) == {
        "Remind requesters pending for 3 business days",
        "Close tickets resolved for 7 days",
        "Tell the manager of a ticket unassigned for an hour",
    }


def switch_on(name):
    Rule.objects.filter(name=name).update(is_active=True)


def test_default_reminder_after_three_business_days(desk):
    calendar = BusinessCalendarFactory(weekdays_nine_to_five=True, time_zone="UTC")
    desk.standard.calendar = calendar
    desk.standard.save()
    switch_on("Remind requesters pending for 3 business days")
    with at(0):
        ticket = desk.ticket(help_topic=None, department=desk.it)
        ticket_reply(ticket=ticket, body="Which printer?", by=desk.agent.user)
        ticket_set_pending(ticket=ticket, by=desk.agent.user)
    with at(24 + 8):  # Tuesday 17:00: one business day (8 hours)
        assert time_rules_run() == 0
    with at(48 + 7):  # Wednesday 16:00: 23 business hours
        assert time_rules_run() == 0
    with at(48 + 8):  # Wednesday 17:00: 24 business hours, three working days
        assert time_rules_run() == 1
    with at(96):
        assert time_rules_run() == 0  # once per pending period
    reminder = ticket.entries.filter(kind=EntryKind.REPLY).last()
    assert reminder.author is None
    assert f"ticket #{ticket.number}" in reminder.body and "Jim Halpert" in reminder.body
    assert Notification.objects.filter(
        kind=Notification.Kind.REQUESTER_REPLY, entry=reminder, recipient=desk.requester
    ).exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_default_close_after_seven_days_resolved(desk):
    switch_on("Close tickets resolved for 7 days")
    with at(0):
        ticket = desk.ticket()
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    with at(24 * 6):
        ticket_add_note(ticket=ticket, body="Follow-up", by=desk.agent.user)  # an update
    with at(24 * 7 - 1):
        assert time_rules_run() == 0
    with at(24 * 7 + 0.1):
        assert time_rules_run() == 1  # the note did not keep it open
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    closed = TicketEvent.objects.get(
        ticket=ticket, kind=EventKind.STATUS_CHANGED, data__to__id="closed"
    )
    assert closed.data["rule"]["name"] == "Close tickets resolved for 7 days"


def test_default_close_counts_from_the_last_requester_message(desk):
    switch_on("Close tickets resolved for 7 days")
    with at(0):
        ticket = desk.ticket()
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    with at(24 * 5):
        ticket_add_message(ticket=ticket, body="It broke again", by=desk.requester)  # reopens
    with at(24 * 5 + 1):
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    with at(24 * 8):  # 8 days after the first resolution, 3 after the requester wrote
        assert time_rules_run() == 0
    with at(24 * 12 + 2):
        assert time_rules_run() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_default_close_uses_the_requester_message_even_when_resolved_earlier(desk):
    """A requester's automated message does not reopen; it still starts the 7 days again."""
    switch_on("Close tickets resolved for 7 days")
    with at(0):
        ticket = desk.ticket()
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    with at(24 * 6):
        ticket_add_message(ticket=ticket, body="Out of office", by=desk.requester, automated=True)
    with at(24 * 8):
        assert time_rules_run() == 0
    with at(24 * 13 + 1):
        assert time_rules_run() == 1


def test_default_manager_notice_for_an_unassigned_ticket(desk):
    desk.it.manager = desk.manager
    desk.it.save()
    switch_on("Tell the manager of a ticket unassigned for an hour")
    with at(0):
        waiting = desk.ticket()
        taken = desk.ticket(subject="Taken")
        ticket_assign(ticket=taken, agent=desk.agent, by=desk.manager.user)
    with at(0.5):
        assert time_rules_run() == 0
    with at(1.1):
        assert time_rules_run() == 1
    with at(3):
        assert time_rules_run() == 0
    email = RuleEmail.objects.get()
    assert email.ticket == waiting and email.to == desk.manager.user.email
    assert f"#{waiting.number}" in email.body and "in IT" in email.body
