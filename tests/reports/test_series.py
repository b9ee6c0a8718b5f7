"""The charts' figures (reports.figures.series) on the two weeks of tests/reports/scenario.py:
SLA achievement per week, and first responses per band of business time, worked out by
hand, and equal to the per-period figures they split."""

import datetime as dt

import pytest
import time_machine

from reports.figures import (
    Period,
    ReportFilters,
    period_weeks,
    report_dashboard,
    report_first_response,
    report_first_response_bands,
    report_sla_achievement,
    report_sla_weeks,
)
from reports.rollups.fill import rollups_refresh
from reports.rollups.read import plan_of
from tests.reports.scenario import FIRST_DAY, LAST_DAY, NEW_YORK, PARIS
from tests.support.factories import SLAPlanFactory
from tickets.clocks import sla_sweep
from tickets.models import ClockKind
from tickets.services import ticket_add_message, ticket_reply

pytestmark = pytest.mark.postgres

PERIOD = Period(FIRST_DAY, LAST_DAY, PARIS)


def test_weeks_run_monday_to_sunday_cut_to_the_period():
    period = Period(dt.date(2024, 3, 6), dt.date(2024, 3, 19), PARIS)
    assert period_weeks(period) == [
        (dt.date(2024, 3, 6), dt.date(2024, 3, 10)),
        (dt.date(2024, 3, 11), dt.date(2024, 3, 17)),
        (dt.date(2024, 3, 18), dt.date(2024, 3, 19)),
    ]
    one_day = Period(dt.date(2024, 3, 10), dt.date(2024, 3, 10), PARIS)
    assert period_weeks(one_day) == [(dt.date(2024, 3, 10), dt.date(2024, 3, 10))]


def test_achievement_per_week_by_hand(office_weeks, desk):
    first, second = report_sla_weeks(user=desk.agent.user, period=PERIOD, filters=ReportFilters())
    assert (first.first_day, first.last_day) == (dt.date(2024, 3, 4), dt.date(2024, 3, 10))
    assert first.start == dt.datetime(2024, 3, 4, tzinfo=PARIS)
    assert first.end == second.start == dt.datetime(2024, 3, 11, tzinfo=PARIS)
    # Week one: only the printer jam's resolution clock (met by closing) completed.
    assert first.sla["resolution"].completed == first.sla["resolution"].achieved == 1
    assert first.sla["first_response"].completed == 0
    # Week two: everything else (test_figures_exact.py has the per-ticket reasons).
    fr = second.sla["first_response"]
    assert (fr.achieved, fr.breached) == (3, 3)
    res = second.sla["resolution"]
    assert (res.achieved, res.breached) == (3, 1)


def test_the_weeks_add_up_to_the_period(office_weeks, desk):
    for zone in (PARIS, NEW_YORK):
        period = Period(FIRST_DAY, LAST_DAY, zone)
        weeks = report_sla_weeks(user=desk.agent.user, period=period, filters=ReportFilters())
        total = report_sla_achievement(
            user=desk.agent.user, period=period, filters=ReportFilters()
        )[("total", None)]
        for kind in ClockKind.values:
            assert sum(w.sla[kind].achieved for w in weeks) == total[kind].achieved
            assert sum(w.sla[kind].breached for w in weeks) == total[kind].breached


def test_first_response_bands_by_hand(office_weeks, desk):
    bands = report_first_response_bands(
        user=desk.agent.user, period=PERIOD, filters=ReportFilters()
    )
    # Business minutes 20, 30, 45 (15 to 60), 60 and 105 (1 to 4 h); the no-plan ticket
    # has no first-response clock.
    assert [b.tickets for b in bands.bands] == [0, 3, 2, 0, 0, 0]
    assert bands.unmeasured == 1
    times = report_first_response(user=desk.agent.user, period=PERIOD, filters=ReportFilters())
    total = times[("total", None)]
    assert bands.measured == total.business.n
    assert bands.measured + bands.unmeasured == total.tickets


def test_no_departments_no_figures(office_weeks, desk):
    requester = desk.requester
    weeks = report_sla_weeks(user=requester, period=PERIOD, filters=ReportFilters())
    assert all(w.sla[k].completed == 0 for w in weeks for k in ClockKind.values)
    bands = report_first_response_bands(user=requester, period=PERIOD, filters=ReportFilters())
    assert bands.measured == bands.unmeasured == 0


@pytest.mark.parametrize("zone", [PARIS, NEW_YORK])
def test_the_dashboard_reads_the_charts_from_rollups_as_the_live_queries_count_them(
    office_weeks, desk, zone
):
    """The dashboard takes the weeks and bands from the rollups' two statements, not from
    report_sla_weeks and report_first_response_bands: before any hour is filled (every
    stretch computed live by the rollups' SQL) and after the beat filled them."""
    period = Period(FIRST_DAY, LAST_DAY, zone)
    now = dt.datetime(2024, 3, 20, 12, tzinfo=dt.UTC)
    user, filters = desk.agent.user, ReportFilters()
    weeks = report_sla_weeks(user=user, period=period, filters=filters)
    bands = report_first_response_bands(user=user, period=period, filters=filters)
    for refresh in (False, True):
        if refresh:
            with time_machine.travel(now, tick=False):
                assert rollups_refresh(now=now) > 0
            assert plan_of(period, now).stored
        with time_machine.travel(now, tick=False):
            dashboard = report_dashboard(user=user, period=period, filters=filters, now=now)
        assert dashboard.weeks == weeks
        assert dashboard.response_bands == bands
    assert [b.tickets for b in dashboard.response_bands.bands] == [0, 3, 2, 0, 0, 0]
    assert dashboard.response_bands.unmeasured == 1


def test_a_ticket_breached_twice_in_a_week_is_one_ticket_of_that_week(desk):
    """Next-response clocks complete once per requester message: two breached on Monday
    and Tuesday are two breaches but one ticket of the week, on the rollups' path as on the
    live one (the rows' earlier times are counted from the week's start, not the day's)."""
    plan = SLAPlanFactory(next_response_minutes=60)
    desk.it.default_sla_plan = plan
    desk.it.save(update_fields=["default_sla_plan"])
    monday = dt.datetime(2024, 5, 6, 9, tzinfo=dt.UTC)

    def at(hours, step):
        with time_machine.travel(monday + dt.timedelta(hours=hours), tick=False):
            return step()

    ticket = at(0, lambda: desk.ticket(subject="VPN drops", help_topic=None, department=desk.it))
    at(0.2, lambda: ticket_reply(ticket=ticket, body="Looking.", by=desk.agent.user))
    for day in (0, 24):
        at(day + 0.5, lambda: ticket_add_message(ticket=ticket, body="Again.", by=desk.requester))
        at(day + 3, lambda: sla_sweep())
        at(day + 3.2, lambda: ticket_reply(ticket=ticket, body="Fixed.", by=desk.agent.user))
    period = Period(dt.date(2024, 5, 6), dt.date(2024, 5, 12), dt.UTC)
    now = monday + dt.timedelta(days=8)
    user, filters = desk.agent.user, ReportFilters()
    [live] = report_sla_weeks(user=user, period=period, filters=filters)
    assert (live.sla["next_response"].breached, live.sla["next_response"].breached_tickets) == (
        2,
        1,
    )
    for refresh in (False, True):
        if refresh:
            with time_machine.travel(now, tick=False):
                rollups_refresh(now=now)
        with time_machine.travel(now, tick=False):
            dashboard = report_dashboard(user=user, period=period, filters=filters, now=now)
        assert dashboard.weeks == [live]
