"""Whose tickets a report covers: the viewer's departments (tickets.access), narrowed by the
report's filters. Filters apply to tickets as they are now (their department, help topic,
priority, assignee and channel today), as the queue's filters do, so a figure and the queue
it links to select the same tickets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db.models import Q

from accounts.models import Agent, Department
from tickets import access
from tickets.models import HelpTopic

NONE = "none"  # a help topic or agent filter asking for tickets with none


@dataclass(frozen=True)
class ReportFilters:
    department: int | None = None
    help_topic: int | str | None = None  # a topic id, NONE, or None (any)
    priority: int | None = None
    agent: int | str | None = None  # the assignee: an agent id, NONE, or None (anyone)
    channel: str | None = None  # Ticket.source

    def replace(self, **changes) -> ReportFilters:
        return dataclasses.replace(self, **changes)


def _id_or_none(field: str, value) -> Q:
    if value == NONE:
        return Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}_id": int(value)})


def ticket_scope_q(*, user, filters: ReportFilters, prefix: str = "") -> Q:
    """The tickets a viewer's report covers, as a filter on tickets (`prefix` "ticket__"
    for rows that belong to a ticket). A department outside the viewer's gives nothing."""
    departments = access.report_department_ids(user)
    if filters.department is not None:
        departments = departments & {filters.department}
    q = Q(**{f"{prefix}department_id__in": sorted(departments)})
    if filters.help_topic is not None:
        q &= _id_or_none(f"{prefix}help_topic", filters.help_topic)
    if filters.priority is not None:
        q &= Q(**{f"{prefix}priority": filters.priority})
    if filters.agent is not None:
        q &= _id_or_none(f"{prefix}assignee", filters.agent)
    if filters.channel is not None:
        q &= Q(**{f"{prefix}source": filters.channel})
    return q


@dataclass(frozen=True)
class ReportOptions:
    """What the report's filters offer a viewer: their departments, and those departments'
    help topics and agents."""

    departments: list
    help_topics: list
    agents: list


def report_options(*, user) -> ReportOptions:
    """Three queries."""
    ids = sorted(access.report_department_ids(user))
    return ReportOptions(
        departments=list(Department.objects.filter(pk__in=ids).order_by("name")),
        help_topics=list(HelpTopic.objects.filter(department_id__in=ids).order_by("name")),
        agents=list(
            Agent.objects.filter(memberships__department_id__in=ids)
            .select_related("user")
            .distinct()
            .order_by("user__display_name", "user__email")
        ),
    )
