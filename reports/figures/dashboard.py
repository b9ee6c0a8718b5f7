"""Everything the dashboard shows for one period and filters, in a fixed number of queries
whatever the number of tickets: the cards, the breakdown tables and the days.

Each number comes with the set of tickets behind it (a TicketSet and the filters of its
row), for the desk to link to the queue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from accounts.models import Agent, Department
from reports.figures.flow import DayFlow, Flow, report_flow
from reports.figures.grouping import DIMENSIONS, TOTAL
from reports.figures.now import NowFigures, report_now
from reports.figures.periods import Day, Period
from reports.figures.scope import NONE, ReportFilters
from reports.figures.series import (
    ResponseBands,
    Week,
    report_first_response_bands,
    report_sla_weeks,
)
from reports.figures.sla import Achievement, report_sla_achievement
from reports.figures.time_spent import TimeSpentFigures, report_time_spent
from reports.figures.times import (
    Times,
    report_first_resolution,
    report_first_response,
    report_resolution,
)
from reports.rollups.fill import rollups_enabled
from reports.rollups.read import report_figures_from_rollups
from tickets.models import ClockKind, HelpTopic, Priority
from tickets.selectors.measures import Measure, TicketSet

BREAKDOWNS = {
    "department": "Department",
    "help_topic": "Help topic",
    "priority": "Priority",
    "agent": "Agent",
}
# What a breakdown row of tickets without a topic or an assignee is called.
NO_VALUE_LABELS = {"help_topic": "No help topic", "agent": "Unassigned"}


@dataclass(frozen=True)
class PeriodSets:
    """The sets behind the period's numbers (a row's filters narrow them)."""

    period: Period

    def of(self, measure: str, clock: str | None = None) -> TicketSet:
        return TicketSet(measure, self.period.start, self.period.end, clock)

    def sla(self, measure: str) -> dict[str, TicketSet]:
        return {kind: self.of(measure, kind) for kind in ClockKind.values}

    def day(self, day: Day, measure: str) -> TicketSet:
        if measure == Measure.OPEN_AT:
            return TicketSet(measure, None, day.end)
        return TicketSet(measure, day.start, day.end)

    @property
    def open_now(self) -> TicketSet:
        return TicketSet(Measure.OPEN_NOW)

    @property
    def due_soon(self) -> TicketSet:
        return TicketSet(Measure.DUE_SOON)


@dataclass
class Row:
    """The figures of one group: the total, or one department, topic, priority or agent."""

    label: str
    filters: ReportFilters
    flow: Flow = field(default_factory=Flow)
    sla: dict[str, Achievement] = field(default_factory=dict)
    first_response: Times = field(default_factory=Times)
    resolution: Times = field(default_factory=Times)  # the latest resolution
    first_resolution: Times = field(default_factory=Times)


@dataclass
class Dashboard:
    period: Period
    filters: ReportFilters
    now: datetime.datetime
    sets: PeriodSets
    current: NowFigures
    total: Row
    breakdowns: dict[str, list[Row]]
    days: list[DayFlow]
    # The charts' own figures (reports.figures.series).
    weeks: list[Week] = field(default_factory=list)
    response_bands: ResponseBands = field(default_factory=lambda: ResponseBands(bands=[]))
    # Time agents logged in the period (reports.figures.time_spent).
    time_spent: TimeSpentFigures = field(default_factory=TimeSpentFigures)


def report_dashboard(
    *, user, period: Period, filters: ReportFilters, now: datetime.datetime
) -> Dashboard:
    """The dashboard's figures for `user`'s departments: from the hourly rollups and the
    hours not filled yet, the charts' series included (five queries, PostgreSQL;
    reports.rollups.read), or all live (nine, and two for the charts); one for the time
    spent; plus at most three for the names of the breakdowns' rows."""
    current = report_now(user=user, filters=filters, now=now)
    if rollups_enabled():
        rolled = report_figures_from_rollups(
            user=user, period=period, filters=filters, now=now, open_now=current.open
        )
        flow = rolled.flow
        weeks, bands = rolled.weeks, rolled.response_bands
        figures = {
            "flow": flow.groups,
            "sla": rolled.sla,
            "first_response": rolled.first_response,
            "resolution": rolled.resolution,
            "first_resolution": rolled.first_resolution,
        }
    else:
        flow = report_flow(user=user, period=period, filters=filters)
        weeks = report_sla_weeks(user=user, period=period, filters=filters)
        bands = report_first_response_bands(user=user, period=period, filters=filters)
        figures = {
            "flow": flow.groups,
            "sla": report_sla_achievement(user=user, period=period, filters=filters),
            "first_response": report_first_response(user=user, period=period, filters=filters),
            "resolution": report_resolution(user=user, period=period, filters=filters),
            "first_resolution": report_first_resolution(user=user, period=period, filters=filters),
        }
    keys = {key for grouped in figures.values() for key in grouped}
    labels = _labels(keys)
    rows = {key: _row(key, figures, filters, labels) for key in keys}
    breakdowns = {
        name: sorted(
            (row for (group, _), row in rows.items() if group == name),
            key=lambda row: (row.label == NO_VALUE_LABELS.get(name), _sort_key(row, name)),
        )
        for name in BREAKDOWNS
    }
    return Dashboard(
        period=period,
        filters=filters,
        now=now,
        sets=PeriodSets(period),
        current=current,
        total=rows.get((TOTAL, None)) or Row("All tickets", filters),
        breakdowns=breakdowns,
        days=flow.days,
        weeks=weeks,
        response_bands=bands,
        time_spent=report_time_spent(user=user, period=period, filters=filters),
    )


def _sort_key(row: Row, name: str):
    if name == "priority":
        return -(row.filters.priority or 0)  # urgent first
    return row.label.casefold()


def _row(key, figures, filters: ReportFilters, labels) -> Row:
    name, value = key
    row_filters = filters
    if name in DIMENSIONS:
        field_name = "agent" if name == "agent" else name
        row_filters = filters.replace(**{field_name: NONE if value is None else value})
    sla = figures["sla"].get(key) or {kind: Achievement() for kind in ClockKind.values}
    return Row(
        label="All tickets" if name == TOTAL else labels[name].get(value, str(value)),
        filters=row_filters,
        flow=figures["flow"].get(key, Flow()),
        sla=sla,
        first_response=figures["first_response"].get(key, Times()),
        resolution=figures["resolution"].get(key, Times()),
        first_resolution=figures["first_resolution"].get(key, Times()),
    )


def _labels(keys) -> dict[str, dict]:
    wanted = {name: {v for n, v in keys if n == name and v is not None} for name in DIMENSIONS}
    labels: dict[str, dict] = {
        name: {None: NO_VALUE_LABELS.get(name, "None")} for name in DIMENSIONS
    }
    if wanted["department"]:
        departments = Department.objects.filter(pk__in=wanted["department"])
        labels["department"].update((d.pk, d.name) for d in departments)
    if wanted["help_topic"]:
        topics = HelpTopic.objects.filter(pk__in=wanted["help_topic"]).only("name")
        labels["help_topic"].update((t.pk, t.name) for t in topics)
    if wanted["agent"]:
        agents = Agent.objects.filter(pk__in=wanted["agent"]).select_related("user")
        labels["agent"].update((a.pk, str(a)) for a in agents)
    labels["priority"].update((p.value, p.label) for p in Priority)
    return labels
