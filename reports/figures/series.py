"""The figures the dashboard's charts need beyond the cards and tables: SLA achievement per
week, and how the first responses of the period spread over bands of business time.

- Weeks run Monday to Sunday in the viewer's zone, cut to the period (the first and last
  may be shorter); a clock counts in the week it completed in (measures' definition).
- First-response bands are [from, to) in business minutes, the first-response clock's own
  measure (reports.figures.times says which tickets and minutes); tickets without such a
  clock are counted apart, as "not measured".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from reports.figures.grouping import BUCKET, Agg, Buckets, aggregate
from reports.figures.periods import Period, day_start
from reports.figures.scope import ReportFilters, ticket_scope_q
from reports.figures.sla import Achievement
from tickets.models import ClockKind, SLAClock, Ticket
from tickets.selectors import measures
from tickets.selectors.measures import Measure, TicketSet

# Band edges in business minutes; the last band is open-ended.
RESPONSE_BAND_EDGES = [15, 60, 4 * 60, 8 * 60, 16 * 60]
RESPONSE_BAND_LABELS = [
    "Under 15 min",
    "15 to 60 min",
    "1 to 4 h",
    "4 to 8 h",
    "8 to 16 h",
    "16 h or more",
]


@dataclass(frozen=True)
class Week:
    first_day: datetime.date
    last_day: datetime.date  # inclusive, within the period
    start: datetime.datetime
    end: datetime.datetime
    sla: dict[str, Achievement] = field(default_factory=dict)


@dataclass(frozen=True)
class Band:
    label: str
    low: int | None  # business minutes, inclusive; None: from zero
    high: int | None  # exclusive; None: no upper bound
    tickets: int = 0


@dataclass(frozen=True)
class ResponseBands:
    bands: list[Band]
    unmeasured: int = 0  # first replies without a first-response clock

    @property
    def measured(self) -> int:
        return sum(band.tickets for band in self.bands)

    @property
    def largest(self) -> int:
        return max((band.tickets for band in self.bands), default=0)


def period_weeks(period: Period) -> list[tuple[datetime.date, datetime.date]]:
    """(first day, last day) of each Monday-to-Sunday week, cut to the period."""
    weeks, first = [], period.first_day
    while first <= period.last_day:
        sunday = first + datetime.timedelta(days=6 - first.weekday())
        last = min(sunday, period.last_day)
        weeks.append((first, last))
        first = last + datetime.timedelta(days=1)
    return weeks


WEEK_AGGS = {
    "achieved": Agg("count", when="r_achieved"),
    "breached": Agg("count", when="r_breached"),
    "achieved_tickets": Agg("tickets", when="r_achieved"),
    "breached_tickets": Agg("tickets", when="r_breached"),
    "completed_tickets": Agg("tickets"),
    "breached_open_tickets": Agg("tickets", when="r_breached_open"),
}
WEEK = "week"


def week_bounds(period: Period, spans: list[tuple[datetime.date, datetime.date]]) -> list:
    """The instants the weeks `spans` start at, then the last one's end."""
    return [
        period.start,
        *(day_start(last + datetime.timedelta(days=1), period.zone) for _, last in spans),
    ]


def weeks_of(period: Period, achievements: dict[tuple[str, int], dict[str, int]]) -> list[Week]:
    """The period's weeks with their achievement per clock kind, from Achievement's fields
    per (kind, week number from 1): the live query's and the rollups' (reports.rollups.read)."""
    spans = period_weeks(period)
    bounds = week_bounds(period, spans)
    return [
        Week(
            first_day=first,
            last_day=last,
            start=bounds[number - 1],
            end=bounds[number],
            sla={
                kind: Achievement(**achievements[(kind, number)])
                if (kind, number) in achievements
                else Achievement()
                for kind in ClockKind.values
            },
        )
        for number, (first, last) in enumerate(spans, start=1)
    ]


def report_sla_weeks(*, user, period: Period, filters: ReportFilters) -> list[Week]:
    """Achievement per clock kind in each week of the period: one query."""
    bounds = week_bounds(period, period_weeks(period))
    breached = Q(outcome="breached")
    rows = (
        measures.completed_clocks(kind=None, start=period.start, end=period.end)
        .filter(ticket_scope_q(user=user, filters=filters, prefix="ticket__"))
        .values(
            r_ticket=F("ticket_id"),
            r_kind=F("kind"),
            r_at=F("completed_at"),
            r_achieved=measures.as_flag(Q(outcome="achieved")),
            r_breached=measures.as_flag(breached),
            r_breached_open=measures.as_flag(breached & measures.is_active_q("ticket__")),
        )
    )
    result = aggregate(
        rows, WEEK_AGGS, groups={WEEK: ("r_kind", BUCKET)}, buckets=Buckets("r_at", bounds)
    )[WEEK]
    return weeks_of(period, result)


def _band_q(low: int | None, high: int | None) -> Q:
    q = Q(r_business__isnull=False)
    if low is not None:
        q &= Q(r_business__gte=low)
    if high is not None:
        q &= Q(r_business__lt=high)
    return q


def response_bands() -> list[tuple[str, int | None, int | None]]:
    lows = [None, *RESPONSE_BAND_EDGES]
    highs = [*RESPONSE_BAND_EDGES, None]
    return list(zip(RESPONSE_BAND_LABELS, lows, highs, strict=True))


def _first_response_minutes() -> Subquery:
    """The met first-response clock's business minutes, as reports.figures.times reads them
    (a ticket has at most one met first-response clock)."""
    return Subquery(
        SLAClock.objects.filter(
            ticket_id=OuterRef("pk"), kind=ClockKind.FIRST_RESPONSE, met_at__isnull=False
        )
        .order_by("-met_at")
        .values("business_minutes_taken")[:1]
    )


def bands_of(counts: list[int], unmeasured: int) -> ResponseBands:
    """ResponseBands from the tickets per band, in response_bands' order."""
    return ResponseBands(
        bands=[
            Band(label, low, high, count)
            for (label, low, high), count in zip(response_bands(), counts, strict=True)
        ],
        unmeasured=unmeasured,
    )


def report_first_response_bands(*, user, period: Period, filters: ReportFilters) -> ResponseBands:
    """The period's first responses (report_first_response's tickets) counted per band of
    business minutes: one query."""
    bands = response_bands()
    first_replies = TicketSet(Measure.FIRST_REPLY, period.start, period.end)
    counts = (
        Ticket.objects.filter(
            ticket_scope_q(user=user, filters=filters),
            measures.ticket_set_q(first_replies, now=timezone.now()),
        )
        .annotate(r_business=_first_response_minutes())
        .aggregate(
            unmeasured=Count("pk", filter=Q(r_business__isnull=True)),
            **{
                f"band_{i}": Count("pk", filter=_band_q(low, high))
                for i, (_, low, high) in enumerate(bands)
            },
        )
    )
    return bands_of([counts[f"band_{i}"] for i in range(len(bands))], counts["unmeasured"])
