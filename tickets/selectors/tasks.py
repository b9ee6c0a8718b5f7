"""Tasks as the pages and the API read them: a ticket's, and an agent's own ("My tasks")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet

from accounts.models import Agent, Department
from tickets import access
from tickets.models import Task, TaskStatus, Ticket

TASK_RELATED = ("department", "assignee__user", "completed_by")
MY_TASKS_LIMIT = 500


def task_list_for_ticket(*, ticket: Ticket) -> list[Task]:
    """The ticket's tasks, open ones first, each group oldest first (one query)."""
    return list(
        Task.objects.filter(ticket=ticket)
        .select_related(*TASK_RELATED)
        .order_by("-status", "created_at", "id")  # "open" > "done": descending, open first
    )


def task_queryset_for_ticket(*, ticket: Ticket) -> QuerySet[Task]:
    return (
        Task.objects.filter(ticket=ticket)
        .select_related(*TASK_RELATED)
        .order_by("created_at", "id")
    )


@dataclass
class MyTask:
    task: Task
    # The agent works the ticket's department: the page links to the ticket. An assignee
    # from another department sees the task, and the ticket's number and subject only.
    can_open_ticket: bool


def task_list_for_assignee(*, user) -> list[MyTask]:
    """The agent's open tasks, the earliest due first (so overdue ones lead), those with
    no due time last; with their tickets (two queries at most)."""
    agent = access.agent_of(user)
    if agent is None:
        return []
    tasks = (
        Task.objects.filter(assignee=agent, status=TaskStatus.OPEN)
        .select_related("department", "ticket", "ticket__department")
        .order_by(F("due_at").asc(nulls_last=True), "created_at", "id")[:MY_TASKS_LIMIT]
    )
    departments = access.agent_department_ids(user)
    return [MyTask(task=t, can_open_ticket=t.ticket.department_id in departments) for t in tasks]


@dataclass
class TaskFormChoices:
    departments: list[Department]
    # Active agents, each with the ids of the departments they may take tasks in.
    agents: list[tuple[Department, list[Agent]]]


def task_form_choices() -> TaskFormChoices:
    """What the task form offers: active departments, and their agents by department."""
    departments = list(Department.objects.filter(is_active=True).order_by("name", "id"))
    by_department: dict[int, list[Agent]] = {d.pk: [] for d in departments}
    agents = (
        Agent.objects.filter(
            is_active=True, user__is_active=True, memberships__department__in=departments
        )
        .select_related("user")
        .annotate(department_pk=F("memberships__department_id"))
        .order_by("user__display_name", "user__email", "id")
    )
    for agent in agents:
        by_department[agent.department_pk].append(agent)
    return TaskFormChoices(
        departments=departments, agents=[(d, by_department[d.pk]) for d in departments]
    )
