"""The dashboard's figures, computed live: pure reads with keyword-only arguments, in the
style of tickets.selectors. Every figure covers the viewer's departments only
(tickets.access.report_department_ids) and the tickets of tickets.selectors.measures.

Callers import from here: `from reports.figures import report_dashboard`.
"""

from reports.figures.dashboard import (
    BREAKDOWNS,
    NO_VALUE_LABELS,
    Dashboard,
    PeriodSets,
    Row,
    report_dashboard,
)
from reports.figures.flow import DayFlow, Flow, FlowReport, report_flow
from reports.figures.grouping import TOTAL, percentile_cont
from reports.figures.now import NowFigures, report_now
from reports.figures.periods import (
    CUSTOM,
    DEFAULT_PRESET,
    PRESETS,
    Day,
    Period,
    PeriodError,
    period_of,
)
from reports.figures.satisfaction import report_help_centre, report_satisfaction
from reports.figures.scope import (
    NONE,
    ReportFilters,
    ReportOptions,
    report_options,
    ticket_scope_q,
)
from reports.figures.series import (
    Band,
    ResponseBands,
    Week,
    period_weeks,
    report_first_response_bands,
    report_sla_weeks,
)
from reports.figures.sla import Achievement, report_sla_achievement
from reports.figures.time_spent import TimeRow, TimeSpentFigures, report_time_spent
from reports.figures.times import (
    Durations,
    Times,
    report_first_resolution,
    report_first_response,
    report_resolution,
)

__all__ = [
    "BREAKDOWNS",
    "CUSTOM",
    "DEFAULT_PRESET",
    "NONE",
    "NO_VALUE_LABELS",
    "PRESETS",
    "TOTAL",
    "Achievement",
    "Band",
    "Dashboard",
    "Day",
    "DayFlow",
    "Durations",
    "Flow",
    "FlowReport",
    "NowFigures",
    "Period",
    "PeriodError",
    "PeriodSets",
    "ReportFilters",
    "ReportOptions",
    "ResponseBands",
    "Row",
    "TimeRow",
    "TimeSpentFigures",
    "Times",
    "Week",
    "percentile_cont",
    "period_of",
    "period_weeks",
    "report_dashboard",
    "report_first_resolution",
    "report_first_response",
    "report_first_response_bands",
    "report_flow",
    "report_help_centre",
    "report_now",
    "report_options",
    "report_resolution",
    "report_satisfaction",
    "report_sla_achievement",
    "report_sla_weeks",
    "report_time_spent",
    "ticket_scope_q",
]
