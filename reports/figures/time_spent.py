"""Time spent in the period (tickets.models.TimeEntry): the total, per agent and per
department, for the dashboard's breakdown table (docs/decisions/0043).

An entry counts in the period it was logged in, under the department its ticket was in
then; the report's filters (department, help topic, priority, assignee, channel) select
the tickets as every other figure does. One query: the sums per (agent, department), added
up here into the two breakdowns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum

from reports.figures.periods import Period
from reports.figures.scope import ReportFilters, ticket_scope_q
from tickets.models import TimeEntry


@dataclass
class TimeRow:
    label: str
    minutes: int = 0
    entries: int = 0


@dataclass
class TimeSpentFigures:
    total: TimeRow = field(default_factory=lambda: TimeRow("All agents"))
    by_agent: list[TimeRow] = field(default_factory=list)
    by_department: list[TimeRow] = field(default_factory=list)


def report_time_spent(*, user, period: Period, filters: ReportFilters) -> TimeSpentFigures:
    """The period's time spent in the viewer's departments, most first."""
    rows = (
        TimeEntry.objects.filter(
            ticket_scope_q(user=user, filters=filters, prefix="ticket__"),
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .values(
            "agent_id", "agent__display_name", "agent__email", "department_id", "department__name"
        )
        .annotate(minutes=Sum("minutes"), entries=Count("id"))
        .order_by()
    )
    figures = TimeSpentFigures()
    agents: dict[int, TimeRow] = {}
    departments: dict[int, TimeRow] = {}
    for row in rows:
        name = row["agent__display_name"] or row["agent__email"]
        for groups, key, label in (
            (agents, row["agent_id"], name),
            (departments, row["department_id"], row["department__name"]),
        ):
            item = groups.setdefault(key, TimeRow(label))
            item.minutes += row["minutes"]
            item.entries += row["entries"]
        figures.total.minutes += row["minutes"]
        figures.total.entries += row["entries"]
    figures.by_agent = _most_first(agents.values())
    figures.by_department = _most_first(departments.values())
    return figures


def _most_first(rows) -> list[TimeRow]:
    return sorted(rows, key=lambda row: (-row.minutes, row.label.casefold()))
