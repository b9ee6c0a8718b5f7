"""Business-time arithmetic (sla.business_time): hand-made vectors, then properties.

No database: calendars are CalendarSpec values built directly.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.business_time import (
    CalendarSpec,
    add_business_minutes,
    business_minutes_between,
    is_working_time,
    working_periods,
)

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
T = dt.time
MON_FRI = range(5)


def at(zone, *args, fold=0):
    return dt.datetime(*args, tzinfo=zone, fold=fold)


def office(zone="UTC", *spans, days=MON_FRI, holidays=()):
    """A calendar working ``spans`` (pairs of times; default 9-17) on ``days``."""
    spans = spans or ((T(9), T(17)),)
    return CalendarSpec(
        time_zone=zone,
        intervals=tuple((day, start, end) for day in days for start, end in spans),
        holidays=frozenset(holidays),
    )


def around_the_clock(zone):
    return office(zone, (T(0), T(0)), days=range(7))


# Hand-made vectors ------------------------------------------------------------------------


def test_friday_afternoon_eight_hours_is_due_monday_afternoon():
    calendar = office("America/New_York")
    due = add_business_minutes(calendar, at(NY, 2026, 1, 9, 16), 480)
    assert due == at(NY, 2026, 1, 12, 16)
    assert due.tzinfo is UTC


def test_start_on_saturday_counts_from_monday_morning():
    calendar = office("America/New_York")
    assert add_business_minutes(calendar, at(NY, 2026, 1, 10, 11), 60) == at(NY, 2026, 1, 12, 10)
    assert (
        business_minutes_between(calendar, at(NY, 2026, 1, 10, 11), at(NY, 2026, 1, 12, 10)) == 60
    )


def test_start_before_opening_and_after_closing():
    calendar = office()
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 7), 30) == at(
        UTC, 2026, 1, 12, 9, 30
    )
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 18), 30) == at(
        UTC, 2026, 1, 13, 9, 30
    )


def test_a_target_that_fills_the_day_is_due_at_closing_not_next_opening():
    calendar = office()
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 9), 480) == at(UTC, 2026, 1, 12, 17)
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 9), 481) == at(
        UTC, 2026, 1, 13, 9, 1
    )


def test_zero_minutes_is_the_start_itself_even_outside_hours():
    calendar = office("America/New_York")
    saturday = at(NY, 2026, 1, 10, 11)
    assert add_business_minutes(calendar, saturday, 0) == saturday
    assert add_business_minutes(calendar, saturday, 0).tzinfo is UTC


def test_monday_holiday_pushes_to_tuesday():
    calendar = office("America/New_York", holidays=[dt.date(2026, 1, 19)])  # MLK Day
    due = add_business_minutes(calendar, at(NY, 2026, 1, 16, 16), 480)
    assert due == at(NY, 2026, 1, 20, 16)
    assert business_minutes_between(calendar, at(NY, 2026, 1, 16, 16), due) == 480


def test_holidays_are_dates_in_the_calendar_zone():
    # 2026-01-12 00:30 in Berlin is still Sunday in UTC: the Monday holiday covers it.
    calendar = office("Europe/Berlin", (T(0), T(0)), holidays=[dt.date(2026, 1, 12)])
    assert not is_working_time(calendar, at(UTC, 2026, 1, 11, 23, 30))
    assert is_working_time(calendar, at(UTC, 2026, 1, 12, 23, 30))  # Tuesday 00:30 in Berlin


def test_lunch_break():
    calendar = office("UTC", (T(9), T(12)), (T(13), T(17)))
    monday = dt.date(2026, 1, 12)
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 11), 120) == at(
        UTC, 2026, 1, 12, 14
    )
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 12, 30), 60) == at(
        UTC, 2026, 1, 12, 14
    )
    assert add_business_minutes(calendar, at(UTC, 2026, 1, 12, 9), 180) == at(UTC, 2026, 1, 12, 12)
    assert (
        business_minutes_between(calendar, at(UTC, 2026, 1, 12, 8), at(UTC, 2026, 1, 12, 18))
        == 420
    )
    assert not is_working_time(calendar, dt.datetime.combine(monday, T(12, 30), tzinfo=UTC))
    assert list(working_periods(calendar, at(UTC, 2026, 1, 12), at(UTC, 2026, 1, 13))) == [
        (at(UTC, 2026, 1, 12, 9), at(UTC, 2026, 1, 12, 12)),
        (at(UTC, 2026, 1, 12, 13), at(UTC, 2026, 1, 12, 17)),
    ]


def test_intervals_given_unsorted_and_overlapping_are_merged():
    messy = CalendarSpec(
        "UTC",
        ((0, T(13), T(17)), (0, T(9), T(12)), (0, T(11), T(14)), (0, T(16), T(0))),
    )
    assert messy.intervals == ((0, T(9), T(0)),)
    assert messy == CalendarSpec("UTC", ((0, T(9), T(0)),))
    assert business_minutes_between(messy, at(UTC, 2026, 1, 12), at(UTC, 2026, 1, 13)) == 15 * 60


def test_interval_boundaries_are_half_open():
    calendar = office()
    assert is_working_time(calendar, at(UTC, 2026, 1, 12, 9))
    assert not is_working_time(calendar, at(UTC, 2026, 1, 12, 17))
    assert is_working_time(calendar, at(UTC, 2026, 1, 12, 16, 59, 59, 999999))


def test_a_target_spanning_several_weeks():
    calendar = office("Europe/Berlin")  # 2,400 minutes a week
    start = at(BERLIN, 2026, 1, 5, 9)  # a Monday
    assert add_business_minutes(calendar, start, 3 * 2400) == at(BERLIN, 2026, 1, 23, 17)
    assert add_business_minutes(calendar, start, 3 * 2400 + 1) == at(BERLIN, 2026, 1, 26, 9, 1)
    with_holiday = office("Europe/Berlin", holidays=[dt.date(2026, 1, 14)])
    assert add_business_minutes(with_holiday, start, 3 * 2400) == at(BERLIN, 2026, 1, 26, 17)


def test_a_target_spanning_years_crosses_every_dst_change():
    calendar = office("America/New_York")
    start = at(NY, 2026, 1, 5, 9)
    due = add_business_minutes(calendar, start, 52 * 2400)  # 52 full weeks
    assert due == at(NY, 2027, 1, 1, 17)
    assert business_minutes_between(calendar, start, due) == 52 * 2400


def test_no_calendar_means_elapsed_time():
    start = at(NY, 2026, 3, 7, 12)  # across the spring-forward night
    assert add_business_minutes(None, start, 24 * 60) == start.astimezone(UTC) + dt.timedelta(
        days=1
    )
    assert add_business_minutes(None, start, 1.5) == start + dt.timedelta(seconds=90)
    assert business_minutes_between(None, start, at(NY, 2026, 3, 8, 12)) == 23 * 60


def test_empty_calendar_has_no_working_time():
    empty = CalendarSpec("Europe/Berlin")
    start = at(BERLIN, 2026, 1, 5, 9)
    with pytest.raises(ValueError, match="no working hours"):
        add_business_minutes(empty, start, 1)
    assert add_business_minutes(empty, start, 0) == start
    assert business_minutes_between(empty, start, start + dt.timedelta(days=400)) == 0
    assert not is_working_time(empty, start)


def test_end_not_after_start_measures_zero():
    calendar = office()
    monday = at(UTC, 2026, 1, 12, 10)
    assert business_minutes_between(calendar, monday, monday) == 0
    assert business_minutes_between(calendar, monday, monday - dt.timedelta(hours=1)) == 0


def test_fractional_minutes_are_kept_to_the_microsecond():
    calendar = office()
    due = add_business_minutes(calendar, at(UTC, 2026, 1, 12, 16, 59), 1.5)
    assert due == at(UTC, 2026, 1, 13, 9, 0, 30)
    assert business_minutes_between(calendar, at(UTC, 2026, 1, 12, 16, 59), due) == 1.5


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: add_business_minutes(None, dt.datetime(2026, 1, 12), 5), ValueError),
        (lambda: add_business_minutes(None, at(UTC, 2026, 1, 12), -1), ValueError),
        (lambda: add_business_minutes(None, at(UTC, 2026, 1, 12), float("nan")), ValueError),
        (
            lambda: business_minutes_between(None, at(UTC, 2026, 1, 12), dt.datetime(2026, 1, 13)),
            ValueError,
        ),
        (lambda: add_business_minutes(office(), at(UTC, 9999, 12, 1), 10**6), ValueError),
        (lambda: CalendarSpec("UTC", ((0, T(17), T(9)),)), ValueError),
        (lambda: CalendarSpec("UTC", ((7, T(9), T(17)),)), ValueError),
    ],
)
def test_bad_input_is_refused(call, error):
    with pytest.raises(error):
        call()


# Daylight saving time ------------------------------------------------------------------


def test_new_york_spring_forward_week_office_hours():
    # Clocks jump 02:00 -> 03:00 on Sunday 2026-03-08; the weekend's real time is an hour
    # shorter but 09:00-17:00 is still 8 hours.
    calendar = office("America/New_York")
    due = add_business_minutes(calendar, at(NY, 2026, 3, 6, 16), 480)
    assert due == at(NY, 2026, 3, 9, 16)
    assert due - at(NY, 2026, 3, 6, 16) == dt.timedelta(hours=71)
    monday, saturday = at(NY, 2026, 3, 9), at(NY, 2026, 3, 14)
    assert business_minutes_between(calendar, at(NY, 2026, 3, 2), at(NY, 2026, 3, 16)) == 4800
    assert business_minutes_between(calendar, monday, saturday) == 2400


def test_new_york_fall_back_week_office_hours():
    calendar = office("America/New_York")
    due = add_business_minutes(calendar, at(NY, 2026, 10, 30, 16), 480)
    assert due == at(NY, 2026, 11, 2, 16)
    assert due - at(NY, 2026, 10, 30, 16) == dt.timedelta(hours=73)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (NY, dt.date(2026, 3, 8), 23),
        (NY, dt.date(2026, 11, 1), 25),
        (BERLIN, dt.date(2026, 3, 29), 23),
        (BERLIN, dt.date(2026, 10, 25), 25),
        (NY, dt.date(2026, 3, 9), 24),
    ],
)
def test_a_whole_day_interval_lasts_as_long_as_the_day(zone, day, hours):
    calendar = around_the_clock(zone.key)
    midnight = dt.datetime.combine(day, T(0), tzinfo=zone)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), T(0), tzinfo=zone)
    assert business_minutes_between(calendar, midnight, next_midnight) == hours * 60
    assert add_business_minutes(calendar, midnight, hours * 60) == next_midnight


def test_berlin_whole_day_target_across_spring_forward():
    calendar = around_the_clock("Europe/Berlin")
    start = at(BERLIN, 2026, 3, 28, 12)
    # 24 hours of work from Saturday noon is Sunday 13:00 on the wall clock.
    assert add_business_minutes(calendar, start, 24 * 60) == at(BERLIN, 2026, 3, 29, 13)


def test_berlin_office_week_around_fall_back():
    calendar = office("Europe/Berlin")
    assert add_business_minutes(calendar, at(BERLIN, 2026, 10, 23, 16), 480) == at(
        BERLIN, 2026, 10, 26, 16
    )


def test_night_shift_through_the_spring_gap():
    # 00:00-06:00 on the Sunday the clock skips 02:00-03:00 is five hours of work.
    calendar = office("America/New_York", (T(0), T(6)), days=[6])
    sunday = at(NY, 2026, 3, 8)
    assert business_minutes_between(calendar, sunday, at(NY, 2026, 3, 9)) == 300
    assert add_business_minutes(calendar, sunday, 300) == at(NY, 2026, 3, 8, 6)
    assert add_business_minutes(calendar, sunday, 150) == at(NY, 2026, 3, 8, 3, 30)


def test_a_boundary_inside_the_gap_is_the_moment_of_the_jump():
    # "Until 02:30" on a day that has no 02:30 ends when the clock jumps (03:00 EDT); the
    # next interval starts right there, so the two never overlap.
    calendar = office("America/New_York", (T(1), T(2, 30)), (T(3), T(4)), days=[6])
    sunday = at(NY, 2026, 3, 8)
    assert list(working_periods(calendar, sunday, at(NY, 2026, 3, 9))) == [
        (at(NY, 2026, 3, 8, 1), at(NY, 2026, 3, 8, 4)),
    ]
    assert business_minutes_between(calendar, sunday, at(NY, 2026, 3, 9)) == 120
    only_gap = office("America/New_York", (T(2, 15), T(2, 45)), days=[6])
    assert business_minutes_between(only_gap, sunday, at(NY, 2026, 3, 9)) == 0
    assert add_business_minutes(only_gap, sunday, 30) == at(NY, 2026, 3, 15, 2, 45)


def test_an_ambiguous_boundary_is_its_first_occurrence():
    # 2026-11-01 in New York repeats 01:00-02:00 (EDT, then EST).
    early = office("America/New_York", (T(0), T(1, 30)), days=[6])
    sunday, monday = at(NY, 2026, 11, 1), at(NY, 2026, 11, 2)
    assert business_minutes_between(early, sunday, monday) == 90
    assert is_working_time(early, at(NY, 2026, 11, 1, 1, 15))
    assert not is_working_time(early, at(NY, 2026, 11, 1, 1, 15, fold=1))
    late = office("America/New_York", (T(1, 30), T(3)), days=[6])
    # From the first 01:30 (EDT) through the repeated hour to 03:00 EST.
    assert business_minutes_between(late, sunday, monday) == 150
    assert is_working_time(late, at(NY, 2026, 11, 1, 1, 15, fold=1))
    # (PEP 495: an aware time in the repeated hour never equals one in another zone, so
    # compare in UTC.)
    second_one_oclock = at(NY, 2026, 11, 1, 1, 0, fold=1).astimezone(UTC)
    assert add_business_minutes(late, sunday, 30) == second_one_oclock


def test_a_fall_back_across_midnight_returns_to_the_previous_date():
    # St John's fell back at 00:01 NDT to 23:01 NST on 2010-11-07, so the clock read
    # Saturday again after Sunday had begun. The second 23:30 is part of Sunday's working
    # time: Sunday 00:00-01:00 runs from the first 00:00 (NDT) to 01:00 NST, two hours.
    zone = ZoneInfo("America/St_Johns")
    calendar = CalendarSpec("America/St_Johns", ((6, T(0), T(1)),))
    second_half_past_eleven = at(zone, 2010, 11, 6, 23, 30, fold=1)
    assert is_working_time(calendar, second_half_past_eleven)
    assert not is_working_time(calendar, at(zone, 2010, 11, 6, 23, 30))
    assert add_business_minutes(calendar, second_half_past_eleven, 10) == (
        second_half_past_eleven.astimezone(UTC) + dt.timedelta(minutes=10)
    )
    assert business_minutes_between(calendar, second_half_past_eleven, at(zone, 2010, 11, 8)) == 90
    assert business_minutes_between(calendar, at(zone, 2010, 11, 6), at(zone, 2010, 11, 8)) == 120


def test_lord_howe_half_hour_shift():
    calendar = around_the_clock("Australia/Lord_Howe")
    zone = ZoneInfo("Australia/Lord_Howe")
    day = lambda d: dt.datetime.combine(d, T(0), tzinfo=zone)  # noqa: E731
    assert (
        business_minutes_between(calendar, day(dt.date(2026, 4, 5)), day(dt.date(2026, 4, 6)))
        == 24.5 * 60
    )
    assert (
        business_minutes_between(calendar, day(dt.date(2026, 10, 4)), day(dt.date(2026, 10, 5)))
        == 23.5 * 60
    )


def test_inputs_in_other_zones_are_instants():
    calendar = office("America/New_York")
    kolkata = ZoneInfo("Asia/Kolkata")
    start = at(kolkata, 2026, 1, 10, 2, 30)  # Friday 16:00 in New York
    assert add_business_minutes(calendar, start, 480) == at(NY, 2026, 1, 12, 16)


# Properties ---------------------------------------------------------------------------------

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"]

# The 2026 DST changes of the zones above, in UTC; starts cluster around them.
TRANSITIONS = [
    at(UTC, 2026, 3, 8, 7),  # New York, spring forward
    at(UTC, 2026, 11, 1, 6),  # New York, fall back
    at(UTC, 2026, 3, 29, 1),  # Berlin
    at(UTC, 2026, 10, 25, 1),  # Berlin
    at(UTC, 2026, 4, 4, 15),  # Lord Howe, back half an hour
    at(UTC, 2026, 10, 3, 15, 30),  # Lord Howe, forward half an hour
]


def test_the_transition_list_is_right():
    for moment, key in zip(
        TRANSITIONS, [NY, NY, BERLIN, BERLIN] + [ZoneInfo(ZONES[4])] * 2, strict=True
    ):
        before = (moment - dt.timedelta(microseconds=1)).astimezone(key).utcoffset()
        assert before != moment.astimezone(key).utcoffset()


# Boundaries on whole minutes, biased towards the small hours where DST changes happen.
minutes_of_day = st.one_of(
    st.integers(0, 24 * 60), st.sampled_from([0, 30, 60, 90, 120, 150, 180, 24 * 60])
)


@st.composite
def intervals(draw):
    weekday = draw(st.integers(0, 6))
    start, end = sorted(draw(st.lists(minutes_of_day, min_size=2, max_size=2, unique=True)))
    as_time = lambda m: T(m // 60, m % 60) if m < 24 * 60 else T(0)  # noqa: E731
    return weekday, as_time(start), as_time(end)


@st.composite
def calendars(draw, min_intervals=1):
    return CalendarSpec(
        time_zone=draw(st.sampled_from(ZONES)),
        intervals=tuple(draw(st.lists(intervals(), min_size=min_intervals, max_size=8))),
        holidays=frozenset(
            draw(
                st.lists(
                    st.dates(dt.date(2025, 12, 1), dt.date(2027, 3, 1)),
                    max_size=25,
                )
            )
        ),
    )


def whole_minute_instants():
    near_transition = st.builds(
        lambda moment, minutes: moment + dt.timedelta(minutes=minutes),
        st.sampled_from(TRANSITIONS),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
    )
    anywhere = st.builds(
        lambda minutes: at(UTC, 2026, 1, 1) + dt.timedelta(minutes=minutes),
        st.integers(0, 366 * 24 * 60),
    )
    return st.one_of(near_transition, anywhere)


def instants():
    in_some_zone = st.sampled_from([ZoneInfo(key) for key in ZONES])
    fine = st.builds(
        lambda moment, micro: moment + dt.timedelta(microseconds=micro),
        whole_minute_instants(),
        st.integers(0, 60_000_000),
    )
    return st.builds(lambda moment, zone: moment.astimezone(zone), fine, in_some_zone)


amounts = st.one_of(
    st.integers(0, 3000),
    st.integers(0, 200_000),
    st.floats(0, 5000, allow_nan=False, allow_infinity=False),
)
quick = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOLERANCE = 1e-6  # minutes; results are exact to the microsecond


@quick
@given(calendars(), instants(), amounts)
def test_measuring_what_was_added_gives_it_back(calendar, start, minutes):
    due = add_business_minutes(calendar, start, minutes)
    assert business_minutes_between(calendar, start, due) == pytest.approx(minutes, abs=TOLERANCE)


@quick
@given(calendars(), instants(), amounts.filter(lambda m: m >= 1e-6))
def test_a_due_time_never_lies_inside_non_working_time(calendar, start, minutes):
    due = add_business_minutes(calendar, start, minutes)
    assert due > start
    # The microsecond before is working time: the due time is inside or at the end of a
    # working period, and it is the earliest such instant.
    just_before = due - dt.timedelta(microseconds=1)
    assert is_working_time(calendar, just_before)
    assert business_minutes_between(calendar, start, just_before) < minutes


@quick
@given(calendars(), instants(), amounts, amounts)
def test_more_minutes_never_come_due_earlier(calendar, start, first, second):
    low, high = sorted([first, second])
    assert add_business_minutes(calendar, start, low) <= add_business_minutes(
        calendar, start, high
    )


@quick
@given(calendars(min_intervals=0), st.lists(instants(), min_size=3, max_size=3))
def test_measuring_is_additive(calendar, moments):
    a, b, c = sorted(moments)
    whole = business_minutes_between(calendar, a, c)
    parts = business_minutes_between(calendar, a, b) + business_minutes_between(calendar, b, c)
    assert parts == pytest.approx(whole, abs=TOLERANCE)


@settings(max_examples=60, deadline=None)
@given(calendars(min_intervals=0), instants(), st.integers(0, 400 * 24 * 60))
def test_measuring_agrees_with_walking_the_periods_day_by_day(calendar, start, span):
    end = start + dt.timedelta(minutes=span)
    periods = list(working_periods(calendar, start, end))
    walked = sum((e - s for s, e in periods), dt.timedelta()) / dt.timedelta(minutes=1)
    assert business_minutes_between(calendar, start, end) == pytest.approx(walked, abs=TOLERANCE)
    for s, e in periods:
        assert is_working_time(calendar, s + (e - s) / 2)
    for (_, e), (s, _) in itertools.pairwise(periods):
        assert e < s
        assert not is_working_time(calendar, e + (s - e) / 2)


def minute_by_minute(calendar, start, end):
    """An independent oracle: count the minutes in [start, end) that are working time.

    A minute works when the highest wall-clock reading seen so far (in the calendar's zone)
    lies inside an interval of its date that is not a holiday. That is the documented rule
    (a boundary is the first instant the clock reads it or later) in another form. Exact
    when every boundary falls on a whole minute, as in these tests.
    """
    zone = ZoneInfo(calendar.time_zone)
    step = dt.timedelta(minutes=1)
    moment, highest, count = start - dt.timedelta(days=1), None, 0
    while moment < end:
        wall = moment.astimezone(zone).replace(tzinfo=None)
        highest = wall if highest is None else max(highest, wall)
        if moment >= start and highest.date() not in calendar.holidays:
            minute = highest.hour * 60 + highest.minute
            for weekday, s, e in calendar.intervals:
                last = 24 * 60 if e == T(0) else e.hour * 60 + e.minute
                if weekday == highest.weekday() and s.hour * 60 + s.minute <= minute < last:
                    count += 1
                    break
        moment += step
    return count


@settings(max_examples=40, deadline=None)
@given(calendars(min_intervals=0), whole_minute_instants(), st.integers(0, 3 * 24 * 60))
def test_measuring_matches_a_minute_by_minute_count(calendar, start, span):
    end = start + dt.timedelta(minutes=span)
    assert business_minutes_between(calendar, start, end) == minute_by_minute(calendar, start, end)
