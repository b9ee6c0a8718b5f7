"""Random activity through the services (hypothesis), with the beat's rollup refresh run
at random moments in between: whatever happened, and whichever hours were filled before
later changes touched them, the dashboard read from rollups equals the slow computation
(tests/reports/slow.py) in every group and on every day, exactly, and so equals the live
figures (test_figures_property.py checks those against the same walk)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from reports.figures import (
    Period,
    report_dashboard,
    report_first_response_bands,
    report_sla_weeks,
)
from reports.models import ReportChange, ReportFillState, ReportHour
from reports.rollups.fill import rollups_refresh
from reports.rollups.read import plan_of
from tests.reports.compare import assert_matches
from tests.reports.test_figures_property import (
    OPERATIONS,
    SETTINGS,
    START,
    Activity,
    _filters,
    views,
)

pytestmark = pytest.mark.postgres

steps = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 5, 20, 45, 90, 240, 600, 1500]),
        st.sampled_from([*OPERATIONS, "refresh", "refresh"]),
        st.integers(min_value=0, max_value=7),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=15,
    max_size=40,
)


def _check(desk, plans, admin_user, script, view):
    first, length, zone, viewer, filter_name = view
    with transaction.atomic():
        activity = Activity(desk, plans, admin_user)
        moment = START
        script = [(0, "create", 0, choice) for choice in (0, 1, 2, 3)] + list(script)
        for wait, operation, index, choice in script:
            moment += dt.timedelta(minutes=wait)
            with time_machine.travel(moment, tick=False):
                if operation == "refresh":
                    rollups_refresh(now=moment)
                else:
                    activity.run(operation, index, choice)
        moment += dt.timedelta(minutes=90)
        with time_machine.travel(moment, tick=False):
            rollups_refresh(now=moment)
        user = {"agent": desk.agent.user, "manager": desk.manager.user, "admin": admin_user}[
            viewer
        ]
        start_day = START.date() + dt.timedelta(days=first - 1)
        period = Period(
            start_day, start_day + dt.timedelta(days=length - 1), zoneinfo.ZoneInfo(zone)
        )
        assert not ReportChange.objects.exists()
        with time_machine.travel(moment, tick=False):
            filters = _filters(filter_name, desk)
            dashboard = report_dashboard(user=user, period=period, filters=filters, now=moment)
            assert_matches(dashboard, user=user)
            # The charts, read with the figures, as their own live queries count them.
            assert dashboard.weeks == report_sla_weeks(user=user, period=period, filters=filters)
            assert dashboard.response_bands == report_first_response_bands(
                user=user, period=period, filters=filters
            )
        transaction.set_rollback(True)


@SETTINGS
@given(script=steps, view=views)
def test_rollups_equal_the_slow_computation(desk, plans, admin_user, script, view):
    _check(desk, plans, admin_user, script, view)


def test_filled_hours_are_read_from_rollups(desk, plans, admin_user):
    """The property above is only worth something if hours really come from rollups."""
    with transaction.atomic():
        activity = Activity(desk, plans, admin_user)
        moment = START
        for operation in ("create", "reply", "resolve", "reopen", "resolve"):
            moment += dt.timedelta(minutes=70)
            with time_machine.travel(moment, tick=False):
                activity.run(operation, 0, 1)
        moment += dt.timedelta(hours=3)
        with time_machine.travel(moment, tick=False):
            assert rollups_refresh(now=moment) > 0
        assert ReportHour.objects.exists()
        assert not ReportFillState.objects.filter(state=ReportFillState.State.PENDING).exists()
        period = Period(START.date(), START.date(), zoneinfo.ZoneInfo("UTC"))
        plan = plan_of(period, moment)
        assert plan.stored
        dashboard = report_dashboard(
            user=admin_user, period=period, filters=_filters("none", desk), now=moment
        )
        assert_matches(dashboard, user=admin_user)
        assert dashboard.total.flow.resolved == 1
        transaction.set_rollback(True)
