"""Tickets in and out: created, resolved and reopened, in the period and per day; the backlog
(open and pending tickets) at the end of each day; the reopen rate.

- Created: tickets created in the period (per day: on that day).
- Resolved: tickets with a resolution in the period (a ticket resolved twice counts once).
- Reopen rate: of the tickets resolved in the period, the share reopened after such a
  resolution (up to now).
- Reopened (per day): tickets reopened on that day.
- Backlog at the end of a day: tickets open or pending at that instant, replayed from the
  status events (a ticket counts from its creation until a resolution, and again from a
  reopen).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import F

from reports.figures.grouping import (
    BUCKET,
    TOTAL,
    Agg,
    Buckets,
    aggregate,
    breakdown_groups,
    ticket_columns,
)
from reports.figures.periods import Day, Period
from reports.figures.scope import ReportFilters, ticket_scope_q
from tickets.models import Ticket
from tickets.selectors import measures


@dataclass(frozen=True)
class Flow:
    created: int = 0
    resolved: int = 0
    reopened_after: int = 0  # resolved in the period, then reopened

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened_after / self.resolved if self.resolved else None


@dataclass(frozen=True)
class DayFlow:
    day: Day
    created: int = 0
    resolved: int = 0
    reopened: int = 0
    backlog: int = 0  # open or pending at the day's end


@dataclass
class FlowReport:
    groups: dict[tuple[str, object], Flow] = field(default_factory=dict)
    days: list[DayFlow] = field(default_factory=list)


DAY = "day"


def _buckets(period: Period, column: str) -> Buckets:
    """Bucket i (1..n) is the period's day i; 0 is before the period."""
    days = period.days()
    return Buckets(column, [period.start, *(day.end for day in days)])


def _in_period(period: Period) -> dict[str, datetime.datetime]:
    return {"created_at__gte": period.start, "created_at__lt": period.end}


def _created(user, period, filters):
    rows = Ticket.objects.filter(
        ticket_scope_q(user=user, filters=filters), **_in_period(period)
    ).values(**ticket_columns(), r_at=F("created_at"))
    return aggregate(
        rows,
        {"created": Agg("tickets")},
        groups={**breakdown_groups(), DAY: (BUCKET,)},
        buckets=_buckets(period, "r_at"),
    )


def _resolved(user, period, filters):
    rows = (
        measures.resolution_events()
        .filter(ticket_scope_q(user=user, filters=filters, prefix="ticket__"))
        .filter(**_in_period(period))
        .values(
            **ticket_columns("ticket__"),
            r_at=F("created_at"),
            r_reopened=measures.reopened_later(),
        )
    )
    return aggregate(
        rows,
        {"resolved": Agg("tickets"), "reopened_after": Agg("tickets", when="r_reopened")},
        groups={**breakdown_groups(), DAY: (BUCKET,)},
        buckets=_buckets(period, "r_at"),
    )


def _reopened_per_day(user, period, filters):
    rows = (
        measures.reopen_events()
        .filter(ticket_scope_q(user=user, filters=filters, prefix="ticket__"))
        .filter(**_in_period(period))
        .values(r_ticket=F("ticket_id"), r_at=F("created_at"))
    )
    return aggregate(
        rows,
        {"reopened": Agg("tickets")},
        groups={DAY: (BUCKET,)},
        buckets=_buckets(period, "r_at"),
    )


def _backlog_deltas(user, period, filters):
    """Per bucket, how many tickets came into open/pending minus went out of it; bucket 0
    holds everything before the period, so the running sum is the backlog."""
    rows = (
        measures.status_events()
        .filter(ticket_scope_q(user=user, filters=filters, prefix="ticket__"))
        .filter(created_at__lt=period.end)
        .values(r_at=F("created_at"), r_delta=measures.backlog_delta())
    )
    return aggregate(
        rows,
        {"delta": Agg("sum", "r_delta")},
        groups={DAY: (BUCKET,)},
        buckets=_buckets(period, "r_at"),
    )


def report_flow(*, user, period: Period, filters: ReportFilters) -> FlowReport:
    """Created, resolved and reopened, in total, by breakdown and per day; the backlog at the
    end of each day: four queries."""
    created = _created(user, period, filters)
    resolved = _resolved(user, period, filters)
    reopened = _reopened_per_day(user, period, filters)
    deltas = _backlog_deltas(user, period, filters)
    report = FlowReport()
    for name in breakdown_groups():
        keys = set(created[name]) | set(resolved[name])
        for key in keys:
            made = created[name].get(key, {})
            done = resolved[name].get(key, {})
            report.groups[(name, key[0] if key else None)] = Flow(
                created=made.get("created", 0),
                resolved=done.get("resolved", 0),
                reopened_after=done.get("reopened_after", 0),
            )
    report.groups.setdefault((TOTAL, None), Flow())
    backlog = deltas[DAY].get((0,), {}).get("delta", 0)
    for number, day in enumerate(period.days(), start=1):
        backlog += deltas[DAY].get((number,), {}).get("delta", 0)
        report.days.append(
            DayFlow(
                day=day,
                created=created[DAY].get((number,), {}).get("created", 0),
                resolved=resolved[DAY].get((number,), {}).get("resolved", 0),
                reopened=reopened[DAY].get((number,), {}).get("reopened", 0),
                backlog=int(backlog),
            )
        )
    return report
