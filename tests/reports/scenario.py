"""Two weeks of a New York IT desk, made through the services on a frozen clock: the
`office_weeks` fixture of the report tests.

The plan measures in a calendar in America/New_York, Monday to Friday 09:00-12:00 and
13:00-17:00 (a lunch break), with Monday 11 March 2024 a holiday; the clocks jump to summer
time on Sunday 10 March. Each ticket exercises one rule; the numbers in the comments are
worked out by hand and asserted in test_figures_exact.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

import pytest
import time_machine

from sla.models import Holiday, WorkingInterval
from tests.support.factories import (
    BusinessCalendarFactory,
    HelpTopicFactory,
    SLAPlanFactory,
    UserFactory,
)
from tickets.clocks import sla_sweep
from tickets.models import Priority, Source, Ticket
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_claim,
    ticket_close,
    ticket_create,
    ticket_reply,
    ticket_resolve,
    ticket_set_pending,
    ticket_set_plan,
    ticket_set_priority,
)

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
FIRST_DAY = dt.date(2024, 3, 4)
LAST_DAY = dt.date(2024, 3, 17)


def ny(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall time in New York in March 2024."""
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=NEW_YORK)


@dataclass
class OfficeWeeks:
    desk: object
    plan: object
    tickets: dict[str, Ticket] = field(default_factory=dict)


def office_calendar():
    calendar = BusinessCalendarFactory(
        name="New York office", time_zone="America/New_York", weekdays_nine_to_five=False
    )
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start=start, end=end)
        for day in range(5)
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17)))
    )
    Holiday.objects.create(calendar=calendar, date=dt.date(2024, 3, 11), name="Office closed")
    return calendar


def build(desk, *, shift: dt.timedelta = dt.timedelta(0)) -> OfficeWeeks:
    """The two weeks; `shift` (whole weeks, say) moves every step later, for browser
    tests that must run at the real time (the hand-worked numbers hold only unshifted)."""
    plan = SLAPlanFactory(
        name="Office hours",
        calendar=office_calendar(),
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=600,
        pause_when_pending=True,
    )
    desk.it.default_sla_plan = plan
    desk.it.save(update_fields=["default_sla_plan"])
    world = OfficeWeeks(desk=desk, plan=plan)
    agent, manager, jim = desk.agent.user, desk.manager.user, desk.requester
    made = world.tickets

    def at(moment, step):
        with time_machine.travel(moment + shift, tick=False):
            return step()

    # G: closed from open without an answer, Monday 4 March (winter time). The resolution
    # clock is met by closing (120 business minutes); the first-response clock is stopped,
    # so it counts in neither achieved nor breached.
    made["closed"] = at(ny(4, 10), lambda: desk.ticket(subject="Printer jam"))
    at(ny(4, 12), lambda: ticket_close(ticket=made["closed"], by=agent))

    # A: Friday 16:30 before the holiday Monday and the change to summer time. First
    # response due Tuesday 09:30 (30 minutes on Friday, 30 on Tuesday); the sweep marks it
    # breached at 10:00; the reply at 10:15 took 30 + 75 = 105 business minutes and 5,325
    # calendar minutes (3 days 16 h 45 min, one hour short by DST). A note on Monday does
    # not count as a response.
    made["holiday"] = at(ny(8, 16, 30), lambda: desk.ticket(subject="VPN down"))
    at(ny(8, 16, 40), lambda: ticket_claim(ticket=made["holiday"], by=agent))
    at(ny(11, 10), lambda: ticket_add_note(ticket=made["holiday"], body="Seen.", by=agent))
    at(ny(12, 10), lambda: sla_sweep())
    at(ny(12, 10, 15), lambda: ticket_reply(ticket=made["holiday"], body="On it.", by=agent))
    # Resolved at 11:00: 30 + 120 = 150 business minutes, achieved.
    at(ny(12, 11), lambda: ticket_resolve(ticket=made["holiday"], by=agent))

    # B: across lunch. Created Tuesday 11:30, answered 13:15: 30 + 15 = 45 business
    # minutes (105 calendar). Jim writes again at 14:00; the answer on Wednesday 09:30 took
    # 180 + 30 = 210 > 120 minutes: the next response is breached though no sweep saw it.
    made["lunch"] = at(
        ny(12, 11, 30), lambda: desk.ticket(subject="Outlook crashes", source=Source.EMAIL)
    )
    at(
        ny(12, 13, 15),
        lambda: ticket_reply(ticket=made["lunch"], body="Try safe mode.", by=manager),
    )
    at(ny(12, 14), lambda: ticket_add_message(ticket=made["lunch"], body="Still.", by=jim))
    at(ny(13, 9, 30), lambda: ticket_reply(ticket=made["lunch"], body="Reinstalling.", by=agent))
    at(ny(13, 9, 35), lambda: ticket_claim(ticket=made["lunch"], by=agent))

    # C: paused while pending. Created Wednesday 09:00, answered 09:20 (20 minutes),
    # pending from 10:00 until Jim's answer on Thursday 09:00, resolved at 11:00:
    # 540 business minutes elapsed, 360 of them paused: 180.
    made["pending"] = at(ny(13, 9), lambda: desk.ticket(subject="New laptop"))
    at(ny(13, 9, 20), lambda: ticket_reply(ticket=made["pending"], body="Which model?", by=agent))
    at(ny(13, 10), lambda: ticket_set_pending(ticket=made["pending"], by=agent))
    at(ny(14, 9), lambda: ticket_add_message(ticket=made["pending"], body="The 14 inch.", by=jim))
    at(ny(14, 11), lambda: ticket_resolve(ticket=made["pending"], by=agent))

    # E: no plan. Created Wednesday 14:00, taken off its plan at 14:05, answered at 15:00:
    # 60 calendar minutes, no business minutes.
    made["no_plan"] = at(
        ny(13, 14),
        lambda: desk.ticket(subject="Desk phone", help_topic=None, department=desk.it, priority=2),
    )
    at(ny(13, 14, 5), lambda: ticket_set_plan(ticket=made["no_plan"], plan=None, by=agent))
    at(ny(13, 15), lambda: ticket_reply(ticket=made["no_plan"], body="Dial 9.", by=agent))

    # D: reopened. Created Thursday 13:00, answered 13:30 (30), resolved 15:00 (first
    # resolution: 120 minutes). Jim writes Friday 10:00 and reopens it (resolved from
    # Thursday 15:00 to Friday 10:00: 180 business minutes paused); answered 10:30 (next
    # response 30); resolved again 16:00: 600 elapsed - 180 paused = 420 business
    # minutes, 1,620 calendar minutes.
    made["reopened"] = at(ny(14, 13), lambda: desk.ticket(subject="Shared drive"))
    at(ny(14, 13, 30), lambda: ticket_reply(ticket=made["reopened"], body="Mapped.", by=manager))
    at(ny(14, 15), lambda: ticket_resolve(ticket=made["reopened"], by=manager))
    at(ny(15, 10), lambda: ticket_add_message(ticket=made["reopened"], body="Gone again.", by=jim))
    at(ny(15, 10, 30), lambda: ticket_reply(ticket=made["reopened"], body="Fixed.", by=manager))
    at(ny(15, 16), lambda: ticket_resolve(ticket=made["reopened"], by=manager))

    # F: a plan change. Created Friday 09:00 on the office plan, moved to Critical (15
    # minutes, 24/7) at 09:30: the first-response clock is replaced (the old one no longer
    # counts); the sweep at 09:40 breaches the replacement; answered 10:00 (60 minutes).
    # B's resolution clock (due Wednesday 15:30) is breached by the same sweep.
    made["replanned"] = at(ny(15, 9), lambda: desk.ticket(subject="CRM slow"))
    at(
        ny(15, 9, 30),
        lambda: ticket_set_plan(ticket=made["replanned"], plan=desk.critical, by=agent),
    )
    at(ny(15, 9, 40), lambda: sla_sweep())
    at(ny(15, 10), lambda: ticket_reply(ticket=made["replanned"], body="Looking.", by=agent))
    at(ny(15, 10, 5), lambda: ticket_set_priority(ticket=made["replanned"], priority=4, by=agent))

    # I: breached and still open. Created Friday 14:00, due 15:00, swept 15:30.
    made["unanswered"] = at(ny(15, 14), lambda: desk.ticket(subject="Badge reader"))
    at(ny(15, 15, 30), lambda: sla_sweep())

    # H: Sales, another department: an IT agent's reports never count it.
    sales_requester = UserFactory(display_name="Phyllis Vance")
    sales_topic = HelpTopicFactory(name="Quotes", department=desk.sales)
    made["sales"] = at(
        ny(13, 11),
        lambda: ticket_create(
            requester=sales_requester,
            by=sales_requester,
            subject="Quote for Dunmore",
            body="Please send a quote.",
            help_topic=sales_topic,
        ),
    )
    sales = desk.sales_agent.user
    at(ny(13, 11, 30), lambda: ticket_reply(ticket=made["sales"], body="Attached.", by=sales))
    at(ny(13, 12), lambda: ticket_resolve(ticket=made["sales"], by=sales))
    for ticket in made.values():
        ticket.refresh_from_db()
    assert made["replanned"].priority == Priority.URGENT
    return world


@pytest.fixture
def office_weeks(desk) -> OfficeWeeks:
    return build(desk)


@pytest.fixture
def admin_user(db):
    return UserFactory(superuser=True, display_name="Kelly Kapoor", time_zone="Europe/Paris")
