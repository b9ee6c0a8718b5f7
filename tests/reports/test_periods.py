"""Report periods: presets and custom dates on a given day, whole local days, clear errors."""

import datetime as dt
import itertools
import zoneinfo

import pytest

from reports.figures import periods
from reports.figures.periods import PeriodError, period_of

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TODAY = dt.date(2024, 3, 31)  # Paris moves to summer time at 02:00 today


@pytest.mark.parametrize(
    "preset, first, last",
    [
        (periods.LAST_7, dt.date(2024, 3, 25), TODAY),
        (periods.LAST_30, dt.date(2024, 3, 2), TODAY),
        (periods.LAST_90, dt.date(2024, 1, 2), TODAY),
        (periods.THIS_MONTH, dt.date(2024, 3, 1), TODAY),
        (periods.LAST_MONTH, dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ],
)
def test_presets(preset, first, last):
    period = period_of(preset=preset, zone=PARIS, today=TODAY)
    assert (period.first_day, period.last_day) == (first, last)


def test_this_month_runs_to_its_last_day():
    period = period_of(preset=periods.THIS_MONTH, zone=PARIS, today=dt.date(2024, 12, 5))
    assert (period.first_day, period.last_day) == (dt.date(2024, 12, 1), dt.date(2024, 12, 31))


def test_days_are_local_and_a_dst_day_is_23_hours():
    period = period_of(preset=periods.LAST_7, zone=PARIS, today=TODAY)
    days = period.days()
    assert len(days) == 7
    assert period.start == dt.datetime(2024, 3, 24, 23, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2024, 3, 31, 22, tzinfo=dt.UTC)
    assert days[-1].end - days[-1].start == dt.timedelta(hours=23)
    assert all(a.end == b.start for a, b in itertools.pairwise(days))


def test_a_zone_that_skips_midnight():
    # Santiago moved its clocks from 00:00 to 01:00 on 8 September 2024.
    santiago = zoneinfo.ZoneInfo("America/Santiago")
    period = periods.Period(dt.date(2024, 9, 7), dt.date(2024, 9, 8), santiago)
    first, second = period.days()
    assert second.start == dt.datetime(2024, 9, 8, 4, tzinfo=dt.UTC)  # 00:00 -04, the jump
    assert first.end - first.start == dt.timedelta(hours=24)
    assert second.end - second.start == dt.timedelta(hours=23)


def test_custom_dates():
    period = period_of(
        preset=periods.CUSTOM,
        zone=PARIS,
        today=TODAY,
        first_day=dt.date(2024, 3, 1),
        last_day=dt.date(2024, 3, 1),
    )
    assert len(period.days()) == 1
    assert period.label == "1 Mar 2024 to 1 Mar 2024"


@pytest.mark.parametrize(
    "first, last, message",
    [
        (None, dt.date(2024, 3, 1), periods.DATES_MISSING),
        (dt.date(2024, 3, 2), dt.date(2024, 3, 1), periods.END_BEFORE_START),
        (dt.date(2023, 1, 1), dt.date(2024, 3, 1), periods.TOO_LONG),
        (dt.date(2024, 4, 1), dt.date(2024, 4, 2), periods.STARTS_IN_FUTURE),
    ],
)
def test_custom_dates_that_make_no_period(first, last, message):
    with pytest.raises(PeriodError) as raised:
        period_of(preset=periods.CUSTOM, zone=PARIS, today=TODAY, first_day=first, last_day=last)
    assert raised.value.message == message
