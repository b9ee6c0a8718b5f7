"""How long answers and resolutions take: median, p90 and mean, in business minutes (as the
SLA counts them) and in calendar minutes.

- First response: ticket created -> its first agent reply (internal notes never count),
  for the tickets whose first reply falls in the period. Business minutes are what the
  ticket's first-response clock took (`business_minutes_taken`, the SLA's own measure in
  the plan's calendar); a ticket without such a clock (no plan, no target) has calendar
  minutes only.
- Resolution, latest: created -> the latest resolution, for tickets resolved or closed now
  whose latest resolution falls in the period. Business minutes are the resolution clock's
  (business time minus the time paused while pending or resolved).
- Resolution, first: created -> the first resolution, for tickets whose first resolution
  falls in the period, in calendar minutes. Its business time is not recorded for a
  reopened ticket (the clock is measured again), so none is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, FloatField, OuterRef, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone

from reports.figures.grouping import (
    TOTAL,
    Agg,
    MinutesBetween,
    aggregate,
    breakdown_groups,
    ticket_columns,
)
from reports.figures.periods import Period
from reports.figures.scope import ReportFilters, ticket_scope_q
from tickets.models import ClockKind, EntryKind, SLAClock, ThreadEntry, Ticket
from tickets.selectors import measures
from tickets.selectors.measures import Measure, TicketSet


@dataclass(frozen=True)
class Durations:
    """Minutes: how many values, their median, 90th percentile and mean."""

    n: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


@dataclass(frozen=True)
class Times:
    tickets: int = 0  # the tickets measured (the set the figure links to)
    business: Durations = Durations()
    calendar: Durations = Durations()


def _durations_aggs(column: str) -> dict[str, Agg]:
    return {
        f"{column}.n": Agg("values", column),
        f"{column}.median": Agg("median", column),
        f"{column}.p90": Agg("p90", column),
        f"{column}.mean": Agg("mean", column),
    }


AGGS = {
    "tickets": Agg("tickets"),
    **_durations_aggs("r_business"),
    **_durations_aggs("r_calendar"),
}

Grouped = dict[tuple[str, object], Times]


def _durations(figures: dict, column: str) -> Durations:
    return Durations(
        n=figures[f"{column}.n"],
        median=figures[f"{column}.median"],
        p90=figures[f"{column}.p90"],
        mean=figures[f"{column}.mean"],
    )


def _grouped(rows) -> Grouped:
    result = aggregate(rows, AGGS, groups=breakdown_groups())
    grouped: Grouped = {}
    for name, by_key in result.items():
        for key, figures in by_key.items():
            grouped[(name, key[0] if key else None)] = Times(
                tickets=figures["tickets"],
                business=_durations(figures, "r_business"),
                calendar=_durations(figures, "r_calendar"),
            )
    grouped.setdefault((TOTAL, None), Times())
    return grouped


def _tickets(*, user, filters, ticket_set: TicketSet):
    return Ticket.objects.filter(
        ticket_scope_q(user=user, filters=filters),
        measures.ticket_set_q(ticket_set, now=timezone.now()),
    )


def _met_clock_minutes(kind: str) -> Subquery:
    # A met clock is never replaced (plan changes replace live clocks), and a ticket has at
    # most one met clock of each of these kinds.
    return Subquery(
        SLAClock.objects.filter(ticket_id=OuterRef("pk"), kind=kind, met_at__isnull=False)
        .order_by("-met_at")
        .values("business_minutes_taken")[:1]
    )


def _resolution_at(*, latest: bool) -> Subquery:
    order = ("-created_at", "-id") if latest else ("created_at", "id")
    return Subquery(
        measures.resolution_events()
        .filter(ticket_id=OuterRef("pk"))
        .order_by(*order)
        .values("created_at")[:1]
    )


def report_first_response(*, user, period: Period, filters: ReportFilters) -> Grouped:
    first_reply_at = Subquery(
        ThreadEntry.objects.filter(ticket_id=OuterRef("pk"), kind=EntryKind.REPLY)
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    return _times(
        user=user,
        filters=filters,
        ticket_set=TicketSet(Measure.FIRST_REPLY, period.start, period.end),
        at=first_reply_at,
        business=_met_clock_minutes(ClockKind.FIRST_RESPONSE),
    )


def report_resolution(*, user, period: Period, filters: ReportFilters) -> Grouped:
    """The latest resolution of tickets resolved or closed now."""
    return _times(
        user=user,
        filters=filters,
        ticket_set=TicketSet(Measure.LATEST_RESOLVED, period.start, period.end),
        at=_resolution_at(latest=True),
        business=_met_clock_minutes(ClockKind.RESOLUTION),
    )


def report_first_resolution(*, user, period: Period, filters: ReportFilters) -> Grouped:
    """The first resolution, calendar minutes only (business is None throughout)."""
    return _times(
        user=user,
        filters=filters,
        ticket_set=TicketSet(Measure.FIRST_RESOLVED, period.start, period.end),
        at=_resolution_at(latest=False),
        business=_no_minutes(),
    )


def _times(*, user, filters: ReportFilters, ticket_set: TicketSet, at, business) -> Grouped:
    """The tickets of `ticket_set`, each with the business minutes given and the calendar
    minutes from its creation to `at`, grouped."""
    rows = (
        _tickets(user=user, filters=filters, ticket_set=ticket_set)
        .annotate(r_at=at)
        .values(
            **ticket_columns(),
            r_business=business,
            r_calendar=MinutesBetween(F("created_at"), F("r_at")),
        )
    )
    return _grouped(rows)


def _no_minutes() -> Cast:
    return Cast(Value(None), output_field=FloatField())
