"""The figures of two weeks of a New York desk (tests/reports/scenario.py): the numbers
worked out by hand, and every figure of every group and day equal to the slow
computation (tests/reports/slow.py), for several viewers, zones and filters. Each test
runs twice: every figure live, and the dashboard read from hourly rollups filled up to the
scenario's last afternoon (the hours after it computed live)."""

import zoneinfo

import pytest

from reports.figures import (
    NONE,
    Period,
    ReportFilters,
    report_dashboard,
    report_first_resolution,
    report_first_response,
    report_resolution,
    report_sla_achievement,
)
from reports.rollups.fill import rollups_rebuild
from tests.reports.compare import assert_matches
from tests.reports.scenario import FIRST_DAY, LAST_DAY, PARIS, ny
from tickets.models import Priority, Source

pytestmark = pytest.mark.postgres

TOTAL = ("total", None)
PERIOD = Period(FIRST_DAY, LAST_DAY, PARIS)


@pytest.fixture(params=["live", "rollups"], autouse=True)
def figures_from(request, settings, office_weeks):
    settings.REPORT_ROLLUPS = request.param == "rollups"
    if settings.REPORT_ROLLUPS:
        filled = list(rollups_rebuild(start=ny(1, 0), end=ny(16, 0), now=ny(15, 16)))
        assert len(filled) > 300
    return request.param


def test_sla_achievement_by_hand(office_weeks, desk):
    sla = report_sla_achievement(user=desk.agent.user, period=PERIOD, filters=ReportFilters())[
        TOTAL
    ]
    first = sla["first_response"]
    # Met: lunch (45), pending (20), reopened (30). Breached: holiday (swept), replanned
    # (its replacement clock, swept), unanswered (swept). Closed and no-plan: neither.
    assert (first.achieved, first.breached, first.rate) == (3, 3, 0.5)
    assert first.breached_open_tickets == 2  # replanned and unanswered are still open
    resolution = sla["resolution"]
    # Met: closed, holiday, pending, reopened (at its second resolution); breached: lunch.
    assert (resolution.achieved, resolution.breached, resolution.rate) == (4, 1, 0.8)
    assert resolution.breached_open_tickets == 1
    following = sla["next_response"]
    # Lunch's second answer took 210 > 120 business minutes (no sweep saw it); reopened's
    # took 30; pending's next response was paused by the resolution, so has no outcome.
    assert (following.achieved, following.breached) == (1, 1)


def test_first_response_times_by_hand(office_weeks, desk):
    times = report_first_response(user=desk.agent.user, period=PERIOD, filters=ReportFilters())[
        TOTAL
    ]
    assert times.tickets == 6
    # Business minutes: 20, 30, 45, 60 (Critical, 24/7), 105 (Friday, holiday, Tuesday).
    assert times.business.n == 5
    assert times.business.median == 45
    assert times.business.p90 == pytest.approx(60 + 0.6 * 45)
    assert times.business.mean == pytest.approx(52)
    # Calendar: 20, 30, 60, 60, 105 and 5,325 (the DST night is an hour short).
    assert times.calendar.n == 6
    assert times.calendar.median == 60
    assert times.calendar.p90 == pytest.approx(105 + 0.5 * (5325 - 105))


def test_resolution_times_by_hand(office_weeks, desk):
    user, filters = desk.agent.user, ReportFilters()
    latest = report_resolution(user=user, period=PERIOD, filters=filters)[TOTAL]
    assert latest.tickets == 4
    # Business: closed 120, holiday 150, pending 180 (360 paused), reopened 420 (180 paused
    # while resolved).
    assert latest.business.median == 165
    assert latest.business.p90 == pytest.approx(180 + 0.7 * 240)
    # Calendar: 120, 1,560, 1,620, 5,370.
    assert latest.calendar.median == 1590
    assert latest.calendar.p90 == pytest.approx(1620 + 0.7 * 3750)
    first = report_first_resolution(user=user, period=PERIOD, filters=filters)[TOTAL]
    # The reopened ticket's first resolution took 120 calendar minutes.
    assert first.tickets == 4
    assert first.calendar.median == 840
    assert first.business.n == 0


def test_flow_and_backlog_by_hand(office_weeks, desk):
    dashboard = report_dashboard(
        user=desk.agent.user, period=PERIOD, filters=ReportFilters(), now=ny(15, 16, 30)
    )
    flow = dashboard.total.flow
    assert (flow.created, flow.resolved, flow.reopened_after) == (8, 4, 1)
    assert flow.reopen_rate == 0.25
    by_day = {d.day.date.day: d for d in dashboard.days}
    assert len(dashboard.days) == 14
    assert by_day[4].created == 1 and by_day[4].resolved == 1 and by_day[4].backlog == 0
    # Friday 8 March 16:30 in New York is 22:30 in Paris: still Friday there.
    assert by_day[8].created == 1 and by_day[8].backlog == 1
    assert by_day[15].reopened == 1
    assert by_day[17].backlog == 4  # lunch, no plan, replanned, unanswered
    # Replanned's resolution clock (Critical, 480 minutes from 09:00) is due at 17:00.
    assert dashboard.current.open == 4
    assert dashboard.current.due_soon == 1


def test_sales_is_outside_an_it_agents_reports(office_weeks, desk):
    it = report_dashboard(
        user=desk.agent.user, period=PERIOD, filters=ReportFilters(), now=ny(17, 12)
    )
    assert [row.label for row in it.breakdowns["department"]] == ["IT"]
    # A department outside the viewer's is a filter that matches nothing.
    sales_only = report_dashboard(
        user=desk.agent.user,
        period=PERIOD,
        filters=ReportFilters(department=desk.sales.pk),
        now=ny(17, 12),
    )
    assert sales_only.total.flow.created == 0
    assert sales_only.current.open == 0
    sales = report_dashboard(
        user=desk.sales_agent.user, period=PERIOD, filters=ReportFilters(), now=ny(17, 12)
    )
    assert sales.total.flow.created == 1
    assert sales.total.sla["first_response"].achieved == 1


def test_requesters_see_nothing(office_weeks, desk):
    dashboard = report_dashboard(
        user=desk.requester, period=PERIOD, filters=ReportFilters(), now=ny(17, 12)
    )
    assert dashboard.total.flow.created == 0
    assert dashboard.breakdowns["department"] == []


FILTERS = [
    ReportFilters(),
    ReportFilters(priority=Priority.HIGH),
    ReportFilters(priority=Priority.URGENT),
    ReportFilters(help_topic=NONE),
    ReportFilters(agent=NONE),
    ReportFilters(channel=Source.EMAIL),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_every_figure_equals_the_slow_computation(office_weeks, desk, filters):
    dashboard = report_dashboard(
        user=desk.agent.user, period=PERIOD, filters=filters, now=ny(15, 16, 30)
    )
    assert_matches(dashboard, user=desk.agent.user)


def test_an_agents_filter_and_an_admin_everywhere(office_weeks, desk, admin_user):
    for user, filters in [
        (desk.agent.user, ReportFilters(agent=desk.agent.pk)),
        (desk.manager.user, ReportFilters(department=desk.it.pk)),
        (admin_user, ReportFilters()),
    ]:
        dashboard = report_dashboard(user=user, period=PERIOD, filters=filters, now=ny(17, 12))
        assert_matches(dashboard, user=user)
    everything = report_dashboard(
        user=admin_user, period=PERIOD, filters=ReportFilters(), now=ny(17, 12)
    )
    assert {row.label for row in everything.breakdowns["department"]} == {"IT", "Sales"}


@pytest.mark.parametrize(
    "zone, first_day, last_day",
    [
        ("America/New_York", FIRST_DAY, LAST_DAY),  # the viewer lives through the DST change
        ("Asia/Tokyo", FIRST_DAY, LAST_DAY),
        # Days that start at half past an hour: the hours they cut are computed live.
        ("Asia/Kolkata", FIRST_DAY, LAST_DAY),
        ("Europe/Paris", LAST_DAY.replace(day=12), LAST_DAY.replace(day=12)),  # one day
    ],
)
def test_other_zones_and_periods(office_weeks, desk, zone, first_day, last_day):
    period = Period(first_day, last_day, zoneinfo.ZoneInfo(zone))
    dashboard = report_dashboard(
        user=desk.agent.user, period=period, filters=ReportFilters(), now=ny(17, 12)
    )
    assert_matches(dashboard, user=desk.agent.user)
    if zone == "America/New_York":
        lengths = {d.date.day: (d.end - d.start).total_seconds() / 3600 for d in period.days()}
        assert lengths[10] == 23 and lengths[9] == 24
