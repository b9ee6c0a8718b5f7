"""SLA achievement per target: achieved / (achieved + breached) over the clocks that
completed in the period (tickets/selectors/measures.py defines each word)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q

from reports.figures.grouping import TOTAL, Agg, aggregate, breakdown_groups, ticket_columns
from reports.figures.periods import Period
from reports.figures.scope import ReportFilters, ticket_scope_q
from tickets.models import ClockKind
from tickets.selectors import measures


@dataclass(frozen=True)
class Achievement:
    """One target's clocks that completed in the period, and the tickets they belong to.

    A ticket has at most one counted first-response and one resolution clock, so for
    those the clock and ticket counts agree; a ticket may have several next-response
    clocks (one per requester message answered).
    """

    achieved: int = 0
    breached: int = 0
    achieved_tickets: int = 0
    breached_tickets: int = 0
    completed_tickets: int = 0
    breached_open_tickets: int = 0  # breached, and the ticket is open or pending now

    @property
    def completed(self) -> int:
        return self.achieved + self.breached

    @property
    def rate(self) -> float | None:
        """Achieved share, 0 to 1; None when no clock completed."""
        return self.achieved / self.completed if self.completed else None


AGGS = {
    "achieved": Agg("count", when="r_achieved"),
    "breached": Agg("count", when="r_breached"),
    "achieved_tickets": Agg("tickets", when="r_achieved"),
    "breached_tickets": Agg("tickets", when="r_breached"),
    "completed_tickets": Agg("tickets"),
    "breached_open_tickets": Agg("tickets", when="r_breached_open"),
}

# {(group name, group value): {clock kind: Achievement}}; the total's value is None.
Grouped = dict[tuple[str, object], dict[str, Achievement]]


def report_sla_achievement(*, user, period: Period, filters: ReportFilters) -> Grouped:
    """Achievement per clock kind, in total and by department, help topic, priority and
    agent: one query."""
    clocks = measures.completed_clocks(kind=None, start=period.start, end=period.end).filter(
        ticket_scope_q(user=user, filters=filters, prefix="ticket__")
    )
    breached = Q(outcome="breached")
    rows = clocks.values(
        **ticket_columns("ticket__"),
        r_kind=F("kind"),
        r_achieved=measures.as_flag(Q(outcome="achieved")),
        r_breached=measures.as_flag(breached),
        r_breached_open=measures.as_flag(breached & measures.is_active_q("ticket__")),
    )
    result = aggregate(rows, AGGS, groups=breakdown_groups("r_kind"))
    grouped: Grouped = {}
    for name, by_key in result.items():
        for (kind, *value), figures in by_key.items():
            key = (name, value[0] if value else None)
            grouped.setdefault(key, {})[kind] = Achievement(**figures)
    grouped.setdefault((TOTAL, None), {})
    for per_kind in grouped.values():
        for kind in ClockKind.values:
            per_kind.setdefault(kind, Achievement())
    return grouped
