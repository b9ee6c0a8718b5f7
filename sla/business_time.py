"""Business-time arithmetic: how much working time lies between two instants, and when a
given amount of working time will have passed.

Pure functions with no database access. ``calendar`` is a ``BusinessCalendar``, a
``CalendarSpec`` (a plain value built once from a calendar) or ``None`` for 24/7. Inputs are
aware datetimes in any zone; results are aware datetimes in UTC.

Semantics
---------
* Working intervals are wall-clock times in the calendar's zone, half-open: 09:00-17:00 works
  at 09:00 and stops at 17:00. An end of 00:00 means midnight at the end of the day.
  Overlapping or touching intervals on a day are merged; holidays remove whole local dates.
* Durations are real elapsed time between the aware wall-clock boundaries, so DST only
  matters when a transition falls inside an interval: a 00:00-24:00 interval lasts 23 hours on
  a spring-forward day and 25 on a fall-back day; 09:00-17:00 is 8 hours either way.
* A boundary wall time means the first instant at which the calendar's clock shows that time
  or later. For an ambiguous time (the repeated hour) that is its first occurrence, i.e.
  zoneinfo's ``fold=0``. For a nonexistent time (in the spring-forward gap) it is the instant
  of the jump: "until 02:30" on a day the clock jumps from 02:00 to 03:00 ends at 03:00. This
  differs from plain ``fold=0``, which would read 02:30 as 03:30 and could make two intervals
  overlap in real time; the rule used here is monotonic, so interval order is preserved.
* A clock started outside working hours starts at the next working instant.
* ``add_business_minutes(..., 0)`` returns ``start`` itself (the same instant, in UTC), even
  outside working hours: a zero target is due at once.
* A target that ends exactly at the end of an interval is due at that end (17:00), not at the
  start of the next interval; the microsecond before a due time is always working time.
* A calendar without intervals has no working time: adding a positive amount raises
  ``ValueError``, measuring gives 0.
* Everything is computed in integer microseconds; ``business_minutes_between`` returns float
  minutes.

Speed: whole weeks with no holiday and no DST transition are skipped arithmetically (a week's
working time is then the nominal weekly total); only the first and last days, holidays and
transition days are looked at one by one. Holidays are found by bisection, and the dates on
which a zone changes its UTC offset are computed once per (zone, year).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeAlias
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sla.models import BusinessCalendar

__all__ = [
    "CalendarSpec",
    "add_business_minutes",
    "business_minutes_between",
    "is_working_time",
    "working_periods",
]

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND
_MIDNIGHT = dt.time(0)
_DAY = dt.timedelta(days=1)
_DAY_CACHE_LIMIT = 4096

Interval: TypeAlias = tuple[int, dt.time, dt.time]
Segment: TypeAlias = tuple[int, int]  # (start, end) in microseconds since the epoch, UTC


def _delta_to_us(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds


def _to_us(moment: dt.datetime) -> int:
    return _delta_to_us(moment - _EPOCH)


def _from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def _time_to_us(value: dt.time) -> int:
    return (
        (value.hour * 60 + value.minute) * 60 + value.second
    ) * _US_PER_SECOND + value.microsecond


def _us_to_time(us: int) -> dt.time:
    seconds, micro = divmod(us, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, micro)


def _spend(segments: Iterable[Segment], target: int, *, after: int | None = None):
    """Spend `target` microseconds of working time over `segments` (those after `after`).

    Returns the moment it runs out, or None with what is left when the segments end first.
    """
    for s, e in segments:
        if after is not None:
            if e <= after:
                continue
            s = max(s, after)
        if e - s >= target:
            return s + target, 0
        target -= e - s
    return None, target


@functools.lru_cache(maxsize=2048)
def _offset_change_dates(
    time_zone: str, year: int
) -> tuple[tuple[dt.date, ...], frozenset[dt.date]]:
    """Local dates of ``year`` on which ``time_zone`` may change its UTC offset.

    Samples the offset once a day (in UTC) and marks every local date the change could fall
    on, read with either offset. Over-marking is harmless (those days are computed exactly);
    it assumes no zone changes its offset twice within 24 hours and back again.
    """
    zone = ZoneInfo(time_zone)
    # Stay two days clear of datetime's limits, where converting to a zone would overflow.
    lowest = dt.datetime.min.replace(tzinfo=UTC) + 2 * _DAY
    highest = dt.datetime.max.replace(tzinfo=UTC) - 2 * _DAY
    first = dt.datetime(year, 1, 1, tzinfo=UTC) - 2 * _DAY if year > dt.MINYEAR else lowest
    last = dt.datetime(year, 12, 31, tzinfo=UTC) + 3 * _DAY if year < dt.MAXYEAR else highest
    marked: set[dt.date] = set()
    moment = first
    offset = moment.astimezone(zone).utcoffset()
    while moment < last:
        after = moment + _DAY
        new_offset = after.astimezone(zone).utcoffset()
        if new_offset != offset:
            low, high = min(offset, new_offset), max(offset, new_offset)
            day = (moment + low).date()
            while day <= (after + high).date():
                if day.year == year:
                    marked.add(day)
                day += _DAY
            offset = new_offset
        moment = after
    return tuple(sorted(marked)), frozenset(marked)


@dataclasses.dataclass(frozen=True)
class CalendarSpec:
    """The working time of a calendar as a plain, hashable value.

    ``intervals`` holds ``(weekday, start, end)`` with weekday 0 = Monday and ``end`` of
    00:00 meaning midnight at the end of the day; they may come unsorted and overlapping and
    are stored merged and sorted. ``holidays`` are whole dates in ``time_zone``.
    """

    time_zone: str = "UTC"
    intervals: tuple[Interval, ...] = ()
    holidays: frozenset[dt.date] = frozenset()

    zone: ZoneInfo = dataclasses.field(init=False, repr=False, compare=False)
    _walls: tuple[tuple[Segment, ...], ...] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    _nominal: tuple[int, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _week: int = dataclasses.field(init=False, repr=False, compare=False)
    _sorted_holidays: tuple[dt.date, ...] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    _days: dict[dt.date, tuple[Segment, ...]] = dataclasses.field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self):
        by_day: list[list[Segment]] = [[] for _ in range(7)]
        for weekday, start, end in self.intervals:
            if not 0 <= weekday <= 6:
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}.")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("Working intervals are wall-clock times without a zone.")
            start_us = _time_to_us(start)
            end_us = _US_PER_DAY if end == _MIDNIGHT else _time_to_us(end)
            if end_us <= start_us:
                raise ValueError(f"Interval {start}-{end} must end after it starts.")
            by_day[weekday].append((start_us, end_us))
        walls = []
        for spans in by_day:
            merged: list[list[int]] = []
            for start_us, end_us in sorted(spans):
                if merged and start_us <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end_us)
                else:
                    merged.append([start_us, end_us])
            walls.append(tuple((s, e) for s, e in merged))
        intervals = tuple(
            (weekday, _us_to_time(s), _MIDNIGHT if e == _US_PER_DAY else _us_to_time(e))
            for weekday, spans in enumerate(walls)
            for s, e in spans
        )
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if isinstance(holiday, dt.datetime) or not isinstance(holiday, dt.date):
                raise TypeError(f"Holidays are dates, not {holiday!r}.")
        nominal = tuple(sum(e - s for s, e in spans) for spans in walls)
        set_ = object.__setattr__
        set_(self, "intervals", intervals)
        set_(self, "holidays", holidays)
        set_(self, "zone", ZoneInfo(self.time_zone))
        set_(self, "_walls", tuple(walls))
        set_(self, "_nominal", nominal)
        set_(self, "_week", sum(nominal))
        set_(self, "_sorted_holidays", tuple(sorted(holidays)))
        set_(self, "_days", {})

    @classmethod
    def from_calendar(cls, calendar: BusinessCalendar) -> CalendarSpec:
        """Read a calendar's intervals and holidays (from the prefetch cache when present)."""
        return cls(
            time_zone=calendar.time_zone,
            intervals=tuple((i.weekday, i.start, i.end) for i in calendar.intervals.all()),
            holidays=frozenset(h.date for h in calendar.holidays.all()),
        )

    @property
    def weekly_minutes(self) -> float:
        """Nominal working minutes in a week without holidays or DST changes."""
        return self._week / _US_PER_MINUTE

    # Days ---------------------------------------------------------------------------------

    def _local_date(self, us: int) -> dt.date:
        return _from_us(us).astimezone(self.zone).date()

    def _is_transition_day(self, day: dt.date) -> bool:
        return day in _offset_change_dates(self.time_zone, day.year)[1]

    def _wall_to_us(self, local: dt.datetime) -> int:
        """The first instant at which the zone's clock reads ``local`` or later."""
        utc = local.astimezone(UTC)
        # Both sides carry self.zone, so == compares wall-clock readings: a mismatch means the
        # reading does not exist (it lies in a forward gap).
        if utc.astimezone(self.zone) == local:
            return _to_us(utc)
        # fold=1 reads the gap time with the offset after the jump: an instant before it.
        low, high = _to_us(local.replace(fold=1)), _to_us(utc)
        while high - low > 1:
            middle = (low + high) // 2
            if _from_us(middle).astimezone(self.zone) >= local:
                high = middle
            else:
                low = middle
        return high

    def _segments(self, day: dt.date) -> tuple[Segment, ...]:
        """The working periods of a local date, in UTC microseconds, in order."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        walls = self._walls[day.weekday()]
        if not walls or day in self.holidays:
            segments: tuple[Segment, ...] = ()
        elif self._is_transition_day(day):
            midnight = dt.datetime.combine(day, _MIDNIGHT, tzinfo=self.zone)
            exact = []
            for s, e in walls:
                # Aware + timedelta is wall-clock arithmetic (fold=0): midnight + 24h is the
                # next day's midnight.
                start = self._wall_to_us(midnight + dt.timedelta(microseconds=s))
                end = self._wall_to_us(midnight + dt.timedelta(microseconds=e))
                if end > start:  # an interval wholly inside a gap has no working time
                    exact.append((start, end))
            segments = tuple(exact)
        else:
            offset = dt.datetime.combine(day, _MIDNIGHT, tzinfo=self.zone).utcoffset()
            base = (day.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY - _delta_to_us(offset)
            segments = tuple((base + s, base + e) for s, e in walls)
        if len(self._days) >= _DAY_CACHE_LIMIT:
            self._days.clear()
        self._days[day] = segments
        return segments

    def _day_total(self, day: dt.date) -> int:
        nominal = self._nominal[day.weekday()]
        if not nominal or day in self.holidays:
            return 0
        if self._is_transition_day(day):
            return sum(e - s for s, e in self._segments(day))
        return nominal

    def _first_irregular_day(self, first: dt.date, stop: dt.date) -> dt.date | None:
        """The first day in [first, stop) whose working time may differ from the nominal.

        That is a holiday, or a DST transition day on which the change falls inside working
        hours (a 02:00 change does not touch 09:00-17:00).
        """
        found = None
        index = bisect.bisect_left(self._sorted_holidays, first)
        if index < len(self._sorted_holidays) and self._sorted_holidays[index] < stop:
            found = stop = self._sorted_holidays[index]
        for year in range(first.year, stop.year + 1):
            days = _offset_change_dates(self.time_zone, year)[0]
            for index in range(bisect.bisect_left(days, first), len(days)):
                day = days[index]
                if day >= stop:
                    return found
                if self._day_total(day) != self._nominal[day.weekday()]:
                    return day
        return found

    def _regular_weeks(self, day: dt.date, weeks: int) -> int:
        """How many of the next ``weeks`` weeks from ``day`` hold exactly the nominal time."""
        try:
            stop = day + dt.timedelta(days=7 * weeks)
        except OverflowError:
            stop = dt.date.max
            weeks = (stop - day).days // 7
        irregular = self._first_irregular_day(day, stop)
        if irregular is None:
            return weeks
        return (irregular - day).days // 7

    # Arithmetic ---------------------------------------------------------------------------

    def _add(self, start: int, day: dt.date, target: int) -> int:
        if not self._week:
            raise ValueError("The calendar has no working hours, so no deadline can be reached.")
        # The start belongs to the span of its local date or, right after a fall-back across
        # midnight, of the next one; later days lie wholly after it.
        for current in (day, day + _DAY):
            due, target = _spend(self._segments(current), target, after=start)
            if due is not None:
                return due
        day += 2 * _DAY
        week, nominal, holidays = self._week, self._nominal, self.holidays
        while True:
            if target > week:
                # Leave at least a microsecond so the due time is found inside a day.
                weeks = self._regular_weeks(day, (target - 1) // week)
                if weeks:
                    target -= weeks * week
                    day += dt.timedelta(days=7 * weeks)
                    continue
            today = nominal[day.weekday()]
            if today and day not in holidays:
                if target <= today or self._is_transition_day(day):
                    # Walk the real periods: the due time falls today, or today is a DST
                    # day whose working time may differ from the nominal.
                    due, target = _spend(self._segments(day), target)
                    if due is not None:
                        return due
                else:
                    target -= today
            day += _DAY

    def _between(self, low: int, high: int, first: dt.date, last: dt.date) -> int:
        if not self._week:
            return 0
        total = 0
        # Days from inner_first to inner_last lie wholly inside [low, high) and may be
        # counted in bulk; the two days at either end are clipped to it.
        inner_first, inner_last = first + 2 * _DAY, last - _DAY
        day, stop = first, last + _DAY
        while day <= stop:
            if inner_first <= day <= inner_last:
                weeks = ((inner_last - day).days + 1) // 7
                if weeks:
                    weeks = self._regular_weeks(day, weeks)
                    if weeks:
                        total += weeks * self._week
                        day += dt.timedelta(days=7 * weeks)
                        continue
                total += self._day_total(day)
            else:
                for s, e in self._segments(day):
                    s, e = max(s, low), min(e, high)
                    if e > s:
                        total += e - s
            day += _DAY
        return total


CalendarLike: TypeAlias = "BusinessCalendar | CalendarSpec | None"


def _spec_of(calendar: CalendarLike) -> CalendarSpec | None:
    """The spec for a calendar, cached on the instance like Django's related-object caches.

    Reload the calendar (or pass a fresh CalendarSpec) after changing its hours. For bulk
    work build one spec per calendar with CalendarSpec.from_calendar and pass that.
    """
    if calendar is None or isinstance(calendar, CalendarSpec):
        return calendar
    spec = calendar.__dict__.get("_sla_clock_spec")
    if spec is None or spec.time_zone != calendar.time_zone:
        spec = CalendarSpec.from_calendar(calendar)
        calendar._sla_clock_spec = spec
    return spec


def _require_aware(moment: dt.datetime, name: str) -> None:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}.")
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime.")


def _minutes_to_us(minutes: float) -> int:
    if isinstance(minutes, int):
        us = minutes * _US_PER_MINUTE
    else:
        value = float(minutes)
        if not math.isfinite(value):
            raise ValueError(f"minutes must be finite, not {minutes!r}.")
        us = round(value * _US_PER_MINUTE)
    if us < 0:
        raise ValueError(f"minutes must not be negative, not {minutes!r}.")
    return us


def add_business_minutes(
    calendar: CalendarLike, start: dt.datetime, minutes: float
) -> dt.datetime:
    """The instant at which ``minutes`` of working time have passed since ``start`` (UTC).

    Counting starts at the next working instant when ``start`` is outside working hours;
    ``minutes == 0`` returns ``start`` itself. Raises ValueError for negative minutes, a
    calendar without working hours (when minutes > 0) or a result past year 9999.
    """
    _require_aware(start, "start")
    target = _minutes_to_us(minutes)
    if target == 0:
        return start.astimezone(UTC)
    spec = _spec_of(calendar)
    try:
        if spec is None:
            return _from_us(_to_us(start) + target)
        day = start.astimezone(spec.zone).date()
        return _from_us(spec._add(_to_us(start), day, target))
    except OverflowError as error:
        raise ValueError("The deadline falls beyond the year 9999.") from error


def business_minutes_between(
    calendar: CalendarLike, start: dt.datetime, end: dt.datetime
) -> float:
    """Working minutes between two instants; 0 when ``end`` is not after ``start``."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    low, high = _to_us(start), _to_us(end)
    if high <= low:
        return 0.0
    spec = _spec_of(calendar)
    if spec is None:
        return (high - low) / _US_PER_MINUTE
    first, last = start.astimezone(spec.zone).date(), end.astimezone(spec.zone).date()
    return spec._between(low, high, first, last) / _US_PER_MINUTE


def is_working_time(calendar: CalendarLike, instant: dt.datetime) -> bool:
    """Whether ``instant`` lies inside working time (interval starts in, ends out)."""
    _require_aware(instant, "instant")
    spec = _spec_of(calendar)
    if spec is None:
        return True
    at = _to_us(instant)
    day = instant.astimezone(spec.zone).date()
    return any(s <= at < e for current in (day, day + _DAY) for s, e in spec._segments(current))


def working_periods(
    calendar: CalendarLike, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """The working periods within [start, end), in order, as UTC pairs; adjacent ones joined.

    Walks day by day; meant for display and checks, not for long ranges in bulk.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    low, high = _to_us(start), _to_us(end)
    if high <= low:
        return
    spec = _spec_of(calendar)
    if spec is None:
        yield start.astimezone(UTC), end.astimezone(UTC)
        return
    yield from _joined(
        (max(s, low), min(e, high))
        for day in _date_range(
            start.astimezone(spec.zone).date(), end.astimezone(spec.zone).date() + _DAY
        )
        for s, e in spec._segments(day)
        if min(e, high) > max(s, low)
    )


def _date_range(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += _DAY


def _joined(segments: Iterable[Segment]) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    current = None
    for s, e in segments:
        if current is not None and s <= current[1]:
            current = (current[0], max(current[1], e))
            continue
        if current is not None:
            yield _from_us(current[0]), _from_us(current[1])
        current = (s, e)
    if current is not None:
        yield _from_us(current[0]), _from_us(current[1])
