"""Ticket clocks follow the ticket: start, meet, pause, resume, reopen, plan change."""

import datetime as dt
from datetime import timedelta

import pytest
import time_machine

from sla.models import WorkingInterval
from tests.support.factories import BusinessCalendarFactory, SLAPlanFactory
from tickets.models import ClockKind, SLAState
from tickets.services import (
    ticket_add_message,
    ticket_close,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
    ticket_set_open,
    ticket_set_pending,
    ticket_set_plan,
)

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday


def minutes(n):
    return timedelta(minutes=n)


def clocks(ticket):
    return {c.kind: c for c in ticket.clocks.filter(met_at__isnull=True, stopped_at__isnull=True)}


def all_clocks(ticket, kind):
    return list(ticket.clocks.filter(kind=kind).order_by("id"))


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_a_new_ticket_starts_first_response_and_resolution(desk, traveller):
    ticket = desk.ticket()  # Standard: 60 / 120 / 480 minutes, 24/7, warn at 75 %

    live = clocks(ticket)
    assert set(live) == {ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION}
    first = live[ClockKind.FIRST_RESPONSE]
    assert (first.started_at, first.warn_at, first.due_at) == (
        START,
        START + minutes(45),
        START + minutes(60),
    )
    assert live[ClockKind.RESOLUTION].due_at == START + minutes(480)
    ticket.refresh_from_db()
    assert (ticket.next_due_at, ticket.sla_state) == (START + minutes(60), SLAState.OK)


def test_a_ticket_without_a_plan_has_no_clocks(desk, traveller):
    desk.standard.is_default = False
    desk.standard.save()
    desk.it.default_sla_plan = None
    desk.it.save()

    ticket = desk.ticket()

    assert not ticket.clocks.exists()
    ticket.refresh_from_db()
    assert (ticket.next_due_at, ticket.sla_state) == (None, SLAState.NONE)


def test_agent_reply_meets_first_response_with_the_minutes_taken(desk, traveller):
    ticket = desk.ticket()
    traveller.shift(minutes(30))

    ticket_reply(ticket=ticket, body="Looking", by=desk.agent.user)

    [first] = all_clocks(ticket, ClockKind.FIRST_RESPONSE)
    assert (first.met_at, first.business_minutes_taken) == (START + minutes(30), 30)
    ticket.refresh_from_db()
    assert ticket.next_due_at == START + minutes(480)  # only resolution is left


def test_requester_message_after_a_reply_starts_next_response(desk, traveller):
    ticket = desk.ticket()
    traveller.shift(minutes(10))
    ticket_add_message(ticket=ticket, body="Also the phone", by=desk.requester)
    assert ClockKind.NEXT_RESPONSE not in clocks(ticket)  # first response still owed

    ticket_reply(ticket=ticket, body="Looking", by=desk.agent.user)
    traveller.shift(minutes(20))
    ticket_add_message(ticket=ticket, body="Any news?", by=desk.requester)

    nxt = clocks(ticket)[ClockKind.NEXT_RESPONSE]
    assert (nxt.started_at, nxt.due_at) == (START + minutes(30), START + minutes(150))
    ticket.refresh_from_db()
    assert ticket.next_due_at == START + minutes(150)

    traveller.shift(minutes(5))
    ticket_reply(ticket=ticket, body="Yes", by=desk.agent.user)
    [nxt] = all_clocks(ticket, ClockKind.NEXT_RESPONSE)
    assert nxt.business_minutes_taken == 5


def test_pending_pauses_resolution_but_never_first_response(desk, traveller):
    ticket = desk.ticket()
    traveller.shift(minutes(20))
    ticket_set_pending(ticket=ticket, by=desk.agent.user)

    live = clocks(ticket)
    assert live[ClockKind.RESOLUTION].paused_at == START + minutes(20)
    assert live[ClockKind.FIRST_RESPONSE].paused_at is None
    ticket.refresh_from_db()
    assert ticket.next_due_at == START + minutes(60)  # paused clocks have no deadline

    traveller.shift(minutes(120))
    ticket_set_open(ticket=ticket, by=desk.agent.user)

    resolution = clocks(ticket)[ClockKind.RESOLUTION]
    assert resolution.paused_at is None
    assert resolution.paused_minutes == 120
    assert resolution.due_at == START + minutes(480 + 120)
    assert resolution.warn_at == START + minutes(360 + 120)


def test_a_plan_that_does_not_pause_when_pending(desk, traveller):
    desk.standard.pause_when_pending = False
    desk.standard.save()
    ticket = desk.ticket()

    ticket_set_pending(ticket=ticket, by=desk.agent.user)

    assert clocks(ticket)[ClockKind.RESOLUTION].paused_at is None


def test_requester_reply_to_pending_resumes_and_starts_next_response(desk, traveller):
    ticket = desk.ticket()
    ticket_reply(ticket=ticket, body="Please send a screenshot", by=desk.agent.user)
    ticket_set_pending(ticket=ticket, by=desk.agent.user)
    traveller.shift(minutes(60))

    ticket_add_message(ticket=ticket, body="Here", by=desk.requester)

    live = clocks(ticket)
    assert live[ClockKind.RESOLUTION].due_at == START + minutes(540)
    assert live[ClockKind.NEXT_RESPONSE].due_at == START + minutes(60 + 120)


def test_resolve_meets_resolution_minus_paused_time_and_reopen_resumes(desk, traveller):
    ticket = desk.ticket()
    ticket_reply(ticket=ticket, body="On it", by=desk.agent.user)
    traveller.shift(minutes(30))
    ticket_set_pending(ticket=ticket, by=desk.agent.user)
    traveller.shift(minutes(60))
    ticket_set_open(ticket=ticket, by=desk.agent.user)
    traveller.shift(minutes(30))

    ticket_resolve(ticket=ticket, by=desk.agent.user)

    [resolution] = all_clocks(ticket, ClockKind.RESOLUTION)
    assert resolution.met_at == START + minutes(120)
    assert resolution.business_minutes_taken == 60  # 120 elapsed, 60 of them pending
    ticket.refresh_from_db()
    assert (ticket.next_due_at, ticket.sla_state) == (None, SLAState.NONE)

    traveller.shift(minutes(24 * 60))
    ticket_reopen(ticket=ticket, by=desk.agent.user)

    [resolution] = all_clocks(ticket, ClockKind.RESOLUTION)
    assert resolution.met_at is None
    assert resolution.paused_minutes == 60 + 24 * 60
    assert resolution.due_at == START + minutes(480 + 60 + 24 * 60)
    ticket.refresh_from_db()
    assert ticket.next_due_at == resolution.due_at

    traveller.shift(minutes(10))
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    [resolution] = all_clocks(ticket, ClockKind.RESOLUTION)
    assert resolution.business_minutes_taken == 70


def test_requester_reply_reopens_a_resolved_ticket_with_its_clock(desk, traveller):
    ticket = desk.ticket()
    ticket_reply(ticket=ticket, body="Fixed", by=desk.agent.user)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    traveller.shift(minutes(60))

    ticket_add_message(ticket=ticket, body="Broken again", by=desk.requester)

    live = clocks(ticket)
    assert set(live) == {ClockKind.RESOLUTION, ClockKind.NEXT_RESPONSE}
    assert live[ClockKind.RESOLUTION].due_at == START + minutes(480 + 60)


def test_resolving_without_a_reply_stops_first_response(desk, traveller):
    ticket = desk.ticket()

    ticket_resolve(ticket=ticket, by=desk.requester)

    [first] = all_clocks(ticket, ClockKind.FIRST_RESPONSE)
    assert (first.met_at, first.stopped_at) == (None, START)


def test_close_ends_every_clock(desk, traveller):
    ticket = desk.ticket()
    traveller.shift(minutes(15))

    ticket_close(ticket=ticket, by=desk.agent.user)

    assert clocks(ticket) == {}
    [resolution] = all_clocks(ticket, ClockKind.RESOLUTION)
    assert resolution.business_minutes_taken == 15
    ticket.refresh_from_db()
    assert (ticket.next_due_at, ticket.sla_state) == (None, SLAState.NONE)


def test_plan_change_replaces_clocks_on_the_new_terms(desk, traveller):
    ticket = desk.ticket()
    traveller.shift(minutes(10))

    ticket_set_plan(ticket=ticket, plan=desk.critical, by=desk.manager.user)  # 15 min first

    first_clocks = all_clocks(ticket, ClockKind.FIRST_RESPONSE)
    assert [c.stopped_at for c in first_clocks] == [START + minutes(10), None]
    new = first_clocks[1]
    assert (new.started_at, new.due_at, new.target_minutes) == (START, START + minutes(15), 15)
    ticket.refresh_from_db()
    assert ticket.next_due_at == START + minutes(15)


def test_plan_change_to_no_plan_stops_the_clocks(desk, traveller):
    ticket = desk.ticket()

    ticket_set_plan(ticket=ticket, plan=None, by=desk.manager.user)

    assert clocks(ticket) == {}
    ticket.refresh_from_db()
    assert ticket.sla_state == SLAState.NONE


def test_plan_change_from_no_plan_starts_clocks_from_creation(desk, traveller):
    ticket = desk.ticket()
    ticket_set_plan(ticket=ticket, plan=None, by=desk.manager.user)
    traveller.shift(minutes(30))

    ticket_set_plan(ticket=ticket, plan=desk.standard, by=desk.manager.user)

    live = clocks(ticket)
    assert live[ClockKind.FIRST_RESPONSE].due_at == START + minutes(60)


def test_business_hours_friday_afternoon_is_due_monday_afternoon(desk):
    calendar = BusinessCalendarFactory(time_zone="America/New_York")
    for weekday in range(5):
        WorkingInterval.objects.create(
            calendar=calendar, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    plan = SLAPlanFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=480)
    desk.topic.sla_plan = plan
    desk.topic.save()
    friday_4pm = dt.datetime(2026, 3, 6, 16, 0, tzinfo=calendar_zone(calendar))

    with time_machine.travel(friday_4pm, tick=False):
        ticket = desk.ticket()

    resolution = clocks(ticket)[ClockKind.RESOLUTION]
    assert resolution.due_at == dt.datetime(2026, 3, 9, 16, 0, tzinfo=calendar_zone(calendar))
    assert ClockKind.FIRST_RESPONSE not in clocks(ticket)


def calendar_zone(calendar):
    import zoneinfo

    return zoneinfo.ZoneInfo(calendar.time_zone)
