"""Report periods: whole days in the viewer's time zone, as aware UTC instants.

A period runs from the start of its first day to the start of the day after its last, in
the viewer's zone, so a day is 23 or 25 hours long across a DST change and every instant
belongs to exactly one day.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

LAST_7 = "last_7"
LAST_30 = "last_30"
LAST_90 = "last_90"
THIS_MONTH = "this_month"
LAST_MONTH = "last_month"
CUSTOM = "custom"
PRESETS = {
    LAST_7: "Last 7 days",
    LAST_30: "Last 30 days",
    LAST_90: "Last 90 days",
    THIS_MONTH: "This month",
    LAST_MONTH: "Last month",
    CUSTOM: "Custom dates",
}
DEFAULT_PRESET = LAST_30
MAX_DAYS = 366

# What a person sees when the dates they gave make no period.
DATES_MISSING = "Enter both a start and an end date for custom dates."
END_BEFORE_START = "The end date is before the start date."
TOO_LONG = f"A period can be at most {MAX_DAYS} days long."
STARTS_IN_FUTURE = "The period starts in the future: choose a start date up to today."


class PeriodError(ValueError):
    """Dates that make no period; the message is for the person who gave them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def day_start(day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The first instant of a local date, in UTC (midnight; or, where a zone skips
    midnight, the first instant after it)."""
    # A midnight in a DST gap reads with the offset before the gap: the instant of the jump.
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=zone).astimezone(datetime.UTC)


@dataclass(frozen=True)
class Day:
    date: datetime.date
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class Period:
    first_day: datetime.date
    last_day: datetime.date  # inclusive
    zone: zoneinfo.ZoneInfo
    preset: str = CUSTOM

    @property
    def start(self) -> datetime.datetime:
        return day_start(self.first_day, self.zone)

    @property
    def end(self) -> datetime.datetime:
        return day_start(self.last_day + datetime.timedelta(days=1), self.zone)

    @property
    def label(self) -> str:
        dates = f"{self.first_day:%-d %b %Y} to {self.last_day:%-d %b %Y}"
        if self.preset == CUSTOM:
            return dates
        return f"{PRESETS[self.preset]} ({dates})"

    def days(self) -> list[Day]:
        days, day = [], self.first_day
        while day <= self.last_day:
            following = day + datetime.timedelta(days=1)
            days.append(Day(day, day_start(day, self.zone), day_start(following, self.zone)))
            day = following
        return days


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def period_of(
    *,
    preset: str,
    zone: zoneinfo.ZoneInfo,
    today: datetime.date,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
) -> Period:
    """The period a preset (or custom dates) means on `today`, in `zone`. Raises PeriodError."""
    one = datetime.timedelta(days=1)
    if preset in (LAST_7, LAST_30, LAST_90):
        length = {LAST_7: 7, LAST_30: 30, LAST_90: 90}[preset]
        return Period(today - (length - 1) * one, today, zone, preset)
    if preset == THIS_MONTH:
        return Period(_month_start(today), _next_month(today) - one, zone, preset)
    if preset == LAST_MONTH:
        last = _month_start(today) - one
        return Period(_month_start(last), last, zone, preset)
    if preset != CUSTOM:
        raise PeriodError(f"Unknown period {preset!r}.")
    if first_day is None or last_day is None:
        raise PeriodError(DATES_MISSING)
    if last_day < first_day:
        raise PeriodError(END_BEFORE_START)
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise PeriodError(TOO_LONG)
    if first_day > today:
        raise PeriodError(STARTS_IN_FUTURE)
    return Period(first_day, last_day, zone, CUSTOM)
