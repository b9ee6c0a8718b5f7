"""The charts' figures (reports.figures.series) on the two weeks of tests/reports/scenario.py:
SLA achievement per week, and first responses per band of business time, worked out by
hand, and equal to the per-period figures they split."""

import datetime as dt

import pytest

from reports.figures import (
    Period,
    ReportFilters,
    period_weeks,
    report_first_response,
    report_first_response_bands,
    report_sla_achievement,
    report_sla_weeks,
)
from tests.reports.scenario import FIRST_DAY, LAST_DAY, NEW_YORK, PARIS
from tickets.models import ClockKind

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
