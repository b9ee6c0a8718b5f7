"""Random activity through the services (hypothesis): whatever happened, every figure of the
dashboard, in every group and on every day, equals the slow computation, for a random
period, zone, viewer and filter. The same with the figures aggregated in Python (the
embedded mode's way) instead of PostgreSQL's GROUPING SETS."""

import contextlib
import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.figures import NONE, Period, ReportFilters, grouping, report_dashboard
from tests.reports.compare import assert_matches
from tickets.clocks import sla_sweep
from tickets.errors import TicketError
from tickets.models import Priority, Source, Ticket
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_claim,
    ticket_close,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
    ticket_set_open,
    ticket_set_pending,
    ticket_set_plan,
    ticket_set_priority,
)

pytestmark = pytest.mark.postgres

START = dt.datetime(2024, 3, 7, 8, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
OPERATIONS = [
    "create",
    "create",
    "reply",
    "reply",
    "note",
    "message",
    "pending",
    "open",
    "resolve",
    "reopen",
    "close",
    "claim",
    "replan",
    "priority",
    "sweep",
]
ZONES = ["UTC", "America/New_York", "Europe/Paris", "Australia/Sydney"]

steps = st.lists(
    st.tuples(
        # Minutes to wait first: 0 makes ties (two events at one instant).
        st.sampled_from([0, 0, 5, 20, 45, 90, 240, 600, 1500]),
        st.sampled_from(OPERATIONS),
        st.integers(min_value=0, max_value=7),  # which ticket
        st.integers(min_value=0, max_value=3),  # a choice: plan, priority, source, actor
    ),
    min_size=15,
    max_size=40,
)
views = st.tuples(
    st.integers(min_value=0, max_value=3),  # first day of the period, after START's eve
    st.integers(min_value=1, max_value=12),  # its length in days
    st.sampled_from(ZONES),
    st.sampled_from(["agent", "manager", "admin"]),
    st.sampled_from(["none", "priority", "agent", "unassigned", "topic", "email"]),
)


class Activity:
    """Applies random steps to a small desk; steps the lifecycle refuses are skipped."""

    def __init__(self, desk, plans, admin):
        self.desk, self.plans, self.admin = desk, plans, admin
        self.tickets: list[Ticket] = []

    def people(self, choice):
        return [self.desk.agent.user, self.desk.manager.user, self.admin][choice % 3]

    def run(self, operation, index, choice):
        if operation == "create":
            self.create(choice)
            return
        if operation == "sweep":
            sla_sweep()
            return
        if not self.tickets:
            return
        ticket = self.tickets[index % len(self.tickets)]
        ticket.refresh_from_db()
        by = self.people(choice)
        actions = {
            "reply": lambda: ticket_reply(ticket=ticket, body="Answer.", by=by),
            "note": lambda: ticket_add_note(ticket=ticket, body="Note.", by=by),
            "message": lambda: ticket_add_message(
                ticket=ticket, body="Again.", by=ticket.requester
            ),
            "pending": lambda: ticket_set_pending(ticket=ticket, by=by),
            "open": lambda: ticket_set_open(ticket=ticket, by=by),
            "resolve": lambda: ticket_resolve(ticket=ticket, by=by),
            "reopen": lambda: ticket_reopen(ticket=ticket, by=by),
            "close": lambda: ticket_close(ticket=ticket, by=by),
            "claim": lambda: ticket_claim(ticket=ticket, by=self.desk.agent.user),
            "replan": lambda: ticket_set_plan(ticket=ticket, plan=self.plans[choice], by=by),
            "priority": lambda: ticket_set_priority(
                ticket=ticket, priority=Priority.values[choice], by=by
            ),
        }
        # Not allowed from this status: nothing happens, as in the product.
        with contextlib.suppress(TicketError):
            actions[operation]()

    def create(self, choice):
        desk = self.desk
        department = desk.sales if choice == 3 else desk.it
        self.tickets.append(
            desk.ticket(
                subject="Random",
                help_topic=desk.topic if choice in (0, 1) else None,
                department=department,
                source=[Source.WEB, Source.EMAIL, Source.PHONE, Source.WEB][choice],
                priority=None if choice == 0 else Priority.values[choice],
            )
        )


def _filters(name, desk) -> ReportFilters:
    return {
        "none": ReportFilters(),
        "priority": ReportFilters(priority=Priority.HIGH),
        "agent": ReportFilters(agent=desk.agent.pk),
        "unassigned": ReportFilters(agent=NONE),
        "topic": ReportFilters(help_topic=desk.topic.pk),
        "email": ReportFilters(channel=Source.EMAIL),
    }[name]


def _check(desk, plans, admin_user, script, view):
    first, length, zone, viewer, filter_name = view
    with transaction.atomic():
        activity = Activity(desk, plans, admin_user)
        moment = START
        # A few tickets first, so that most steps have something to act on.
        script = [(0, "create", 0, choice) for choice in (0, 1, 2, 3)] + list(script)
        for wait, operation, index, choice in script:
            moment += dt.timedelta(minutes=wait)
            with time_machine.travel(moment, tick=False):
                activity.run(operation, index, choice)
        user = {"agent": desk.agent.user, "manager": desk.manager.user, "admin": admin_user}[
            viewer
        ]
        start_day = START.date() + dt.timedelta(days=first - 1)
        period = Period(
            start_day, start_day + dt.timedelta(days=length - 1), zoneinfo.ZoneInfo(zone)
        )
        dashboard = report_dashboard(
            user=user, period=period, filters=_filters(filter_name, desk), now=moment
        )
        assert_matches(dashboard, user=user)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _live(settings):
    """Every figure live here; test_rollups_property.py reads them from rollups."""
    settings.REPORT_ROLLUPS = False


SETTINGS = hypothesis_settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples on every run and in CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(script=steps, view=views)
def test_random_activity_figures_equal_the_slow_computation(desk, plans, admin_user, script, view):
    _check(desk, plans, admin_user, script, view)


@hypothesis_settings(SETTINGS, max_examples=10)
@given(script=steps, view=views)
def test_the_python_aggregation_gives_the_same_figures(
    desk, plans, admin_user, script, view, monkeypatch
):
    monkeypatch.setattr(grouping, "_aggregate_sql", grouping._aggregate_python)
    _check(desk, plans, admin_user, script, view)
