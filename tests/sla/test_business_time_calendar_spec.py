"""CalendarSpec.from_calendar: the one place sla.business_time reads a BusinessCalendar's rows."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sla.business_time import CalendarSpec, add_business_minutes, business_minutes_between
from sla.models import BusinessCalendar, Holiday, WorkingInterval

T = dt.time
pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar():
    calendar = BusinessCalendar.objects.create(name="Scranton", time_zone="America/New_York")
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=T(13), end=T(17))
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=T(9), end=T(12))
    Holiday.objects.create(calendar=calendar, date=dt.date(2026, 1, 19), name="MLK Day")
    return calendar


def test_from_calendar_reads_intervals_and_holidays(calendar):
    spec = CalendarSpec.from_calendar(calendar)
    assert spec == CalendarSpec(
        "America/New_York",
        tuple(
            (day, start, end) for day in range(5) for start, end in [(T(9), T(12)), (T(13), T(17))]
        ),
        frozenset({dt.date(2026, 1, 19)}),
    )


def test_a_prefetched_calendar_needs_no_queries(calendar, django_assert_num_queries):
    fetched = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(
        pk=calendar.pk
    )
    start = dt.datetime(2026, 1, 16, 16, tzinfo=dt.UTC)
    with django_assert_num_queries(0):
        CalendarSpec.from_calendar(fetched)
        add_business_minutes(fetched, start, 480)
        business_minutes_between(fetched, start, start + dt.timedelta(days=30))


def test_the_spec_is_built_once_per_calendar_instance(calendar, django_assert_num_queries):
    fetched = BusinessCalendar.objects.get(pk=calendar.pk)
    start = dt.datetime(2026, 1, 16, 16, tzinfo=ZoneInfo("America/New_York"))
    with django_assert_num_queries(2):  # intervals, holidays
        first = add_business_minutes(fetched, start, 480)
        assert add_business_minutes(fetched, start, 480) == first
    # Friday 16:00 New York, one hour left that day; Monday is a holiday; seven hours of
    # Tuesday with a lunch break from 12 to 13 end at 17:00.
    assert first == dt.datetime(2026, 1, 20, 22, tzinfo=dt.UTC)
