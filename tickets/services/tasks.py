"""A ticket's tasks: adding, editing, assigning, completing, reopening, deleting, and the
check before resolving (docs/decisions/0040-tasks.md).

Who may: whoever may act on the ticket (tickets.access.may_manage_tasks); a task's
assignee may also complete and reopen their own task when the ticket is in a department
they do not work. A task's assignee must be an active agent of the task's department. Each
service locks the ticket (so a task added while another agent resolves waits for the
resolve, and is seen by its check) and the task, records a task_* event on the ticket
(tickets/events.py) and tells a new assignee by email, through the outbox.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Agent, Department
from tickets import access
from tickets.errors import InvalidInput, NotPermitted, OpenTasks, TransitionNotAllowed
from tickets.events import change, ref, task_ref
from tickets.models import (
    TASK_DESCRIPTION_MAX_LENGTH,
    TASK_TITLE_MAX_LENGTH,
    EventKind,
    Status,
    Task,
    TaskStatus,
    Ticket,
)
from tickets.services.common import actor_user, clean_text, lock_ticket, record_event
from tickets.services.notifications import notify_task_assigned

# What people are told; tests assert these exactly.
TASK_NOT_PERMITTED = "You do not work in this ticket's department."
TASK_NOT_YOURS = "Only agents of this ticket's department, or the task's assignee, can do that."
TASK_TICKET_CLOSED = "Ticket #{number} is closed: its tasks cannot change."
TASK_ALREADY_DONE = "The task “{title}” is already done."
TASK_ALREADY_OPEN = "The task “{title}” is already open."
TASK_DEPARTMENT_INACTIVE = "{department} does not take tasks."
TASK_ASSIGNEE_ELSEWHERE = "{agent} does not work in {department}."
TASK_DUE_NAIVE = "The due time needs a time zone."
TASK_DESCRIPTION_TOO_LONG = (
    f"The description is too long (at most {TASK_DESCRIPTION_MAX_LENGTH:,} characters)."
)
TASK_BAD_CHARACTER = "The description contains a character that cannot be stored."
OPEN_TASKS = (
    "Ticket #{number} has {count} open task{s}: {titles}. Complete them first, or confirm "
    "to resolve the ticket anyway."
)


class _Unset:
    def __repr__(self):
        return "UNSET"


UNSET = _Unset()  # task_edit: leave this field as it is


# Checks ----------------------------------------------------------------------------------


def _require_manager(by, ticket: Ticket) -> None:
    if not access.may_manage_tasks(by, ticket):
        raise NotPermitted(TASK_NOT_PERMITTED)


def _require_open_ticket(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise TransitionNotAllowed(TASK_TICKET_CLOSED.format(number=ticket.number))


def _clean_title(value) -> str:
    return clean_text(value, field="title", max_length=TASK_TITLE_MAX_LENGTH)


def _clean_description(value) -> str:
    text = (value or "").strip()
    if len(text) > TASK_DESCRIPTION_MAX_LENGTH:
        raise InvalidInput(TASK_DESCRIPTION_TOO_LONG)
    if "\x00" in text:
        raise InvalidInput(TASK_BAD_CHARACTER)
    return text


def _clean_due(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        raise InvalidInput(TASK_DUE_NAIVE)
    return value.astimezone(datetime.UTC)


def _check_department(department: Department) -> None:
    if not department.is_active:
        raise InvalidInput(TASK_DEPARTMENT_INACTIVE.format(department=department))


def _check_assignee(agent: Agent | None, department: Department) -> None:
    if agent is not None and not access.assignable_agents(department).filter(pk=agent.pk).exists():
        raise InvalidInput(TASK_ASSIGNEE_ELSEWHERE.format(agent=agent, department=department))


def _lock(task: Task) -> tuple[Ticket, Task]:
    ticket = lock_ticket(task.ticket)
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("department", "assignee__user")
        .filter(pk=task.pk, ticket=ticket)
        .first()
    )
    if locked is None:
        raise InvalidInput("That task no longer exists.")
    locked.ticket = ticket
    return ticket, locked


def _due_text(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# Services --------------------------------------------------------------------------------


def task_create(
    *,
    ticket: Ticket,
    title: str,
    by,
    description: str = "",
    department: Department | None = None,
    assignee: Agent | None = None,
    due_at: datetime.datetime | None = None,
) -> Task:
    """A new open task on the ticket, in `department` (the ticket's if none), for
    `assignee` (an agent of that department, or nobody yet), due at `due_at` (aware)."""
    title = _clean_title(title)
    description = _clean_description(description)
    due_at = _clean_due(due_at)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        _require_manager(by, ticket)
        _require_open_ticket(ticket)
        department = department or Department.objects.get(pk=ticket.department_id)
        _check_department(department)
        _check_assignee(assignee, department)
        now = timezone.now()
        task = Task.objects.create(
            ticket=ticket,
            title=title,
            description=description,
            department=department,
            assignee=assignee,
            due_at=due_at,
            created_by=actor_user(by),
            created_at=now,
            updated_at=now,
        )
        event = record_event(
            ticket,
            EventKind.TASK_CREATED,
            by,
            {
                "task": task_ref(task),
                "department": ref(department),
                "assignee": ref(assignee),
                "due_at": _due_text(due_at),
            },
        )
        if assignee is not None:
            notify_task_assigned(task=task, agent=assignee, event=event, by=by)
    return task


def task_edit(
    *,
    task: Task,
    by,
    title=UNSET,
    description=UNSET,
    department=UNSET,
    due_at=UNSET,
    assignee=UNSET,
) -> Task:
    """Change what is given of the task (UNSET leaves a field as it is): one task_changed
    event for the title, description, department and due time, and a task_assigned event
    when the assignee changes. Moving the task to another department lets go of an
    assignee who does not work there, unless a new one is given."""
    changes: dict = {}
    if title is not UNSET:
        changes["title"] = _clean_title(title)
    if description is not UNSET:
        changes["description"] = _clean_description(description)
    if due_at is not UNSET:
        changes["due_at"] = _clean_due(due_at)
    with transaction.atomic():
        ticket, task = _lock(task)
        _require_manager(by, ticket)
        _require_open_ticket(ticket)
        if department is not UNSET and department.pk != task.department_id:
            _check_department(department)
            changes["department"] = department
        new_department = changes.get("department", task.department)
        if assignee is UNSET and "department" in changes and task.assignee_id is not None:
            stays = access.assignable_agents(new_department).filter(pk=task.assignee_id).exists()
            assignee = task.assignee if stays else None
        items = _apply_changes(task, changes)
        if items:
            task.updated_at = timezone.now()
            task.save(update_fields=[*(i["field"] for i in items), "updated_at"])
            record_event(
                ticket, EventKind.TASK_CHANGED, by, {"task": task_ref(task), "changes": items}
            )
        if assignee is not UNSET:
            _assign(task, assignee, by)
    return task


def _apply_changes(task: Task, changes: dict) -> list[dict]:
    """Set what differs on the task; the event's items for it."""
    items = []
    for name, new in changes.items():
        old = getattr(task, name)
        if name == "department":
            items.append({"field": name, **change(ref(old), ref(new))})
        elif old == new:
            continue
        elif name == "due_at":
            items.append({"field": name, **change(_due_text(old), _due_text(new))})
        elif name == "description":
            # Text the event need not copy: that it changed is what the history says.
            items.append({"field": name, "from": None, "to": None})
        else:
            items.append({"field": name, "from": old, "to": new})
        setattr(task, name, new)
    return items


def task_assign(*, task: Task, agent: Agent | None, by) -> Task:
    """Give the task to an agent of its department (None: nobody); they are told by email."""
    with transaction.atomic():
        ticket, task = _lock(task)
        _require_manager(by, ticket)
        _require_open_ticket(ticket)
        _assign(task, agent, by)
    return task


def _assign(task: Task, agent: Agent | None, by) -> None:
    """On a locked task: check, save, record, notify; nothing when nothing changes."""
    if task.assignee_id == (agent.pk if agent else None):
        return
    _check_assignee(agent, task.department)
    old = task.assignee
    task.assignee = agent
    task.updated_at = timezone.now()
    task.save(update_fields=["assignee", "updated_at"])
    event = record_event(
        task.ticket,
        EventKind.TASK_ASSIGNED,
        by,
        {"task": task_ref(task), **change(ref(old), ref(agent))},
    )
    if agent is not None:
        notify_task_assigned(task=task, agent=agent, event=event, by=by)


def task_complete(*, task: Task, by) -> Task:
    """Done: by an agent of the ticket's department, or by the task's assignee (whatever
    the ticket's department). A closed ticket's tasks may still be completed."""
    with transaction.atomic():
        ticket, task = _lock(task)
        if not access.may_complete_task(by, task):
            raise NotPermitted(TASK_NOT_YOURS)
        if task.status == TaskStatus.DONE:
            raise InvalidInput(TASK_ALREADY_DONE.format(title=task.title))
        now = timezone.now()
        task.status = TaskStatus.DONE
        task.completed_at = now
        task.completed_by = actor_user(by)
        task.updated_at = now
        task.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
        record_event(ticket, EventKind.TASK_COMPLETED, by, {"task": task_ref(task)})
    return task


def task_reopen(*, task: Task, by) -> Task:
    """Open again (not on a closed ticket): who may complete it may reopen it."""
    with transaction.atomic():
        ticket, task = _lock(task)
        if not access.may_complete_task(by, task):
            raise NotPermitted(TASK_NOT_YOURS)
        _require_open_ticket(ticket)
        if task.status == TaskStatus.OPEN:
            raise InvalidInput(TASK_ALREADY_OPEN.format(title=task.title))
        task.status = TaskStatus.OPEN
        task.completed_at = None
        task.completed_by = None
        task.updated_at = timezone.now()
        task.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
        record_event(ticket, EventKind.TASK_REOPENED, by, {"task": task_ref(task)})
    return task


def task_delete(*, task: Task, by) -> None:
    """Gone: the task_deleted event keeps its id and title in the ticket's history."""
    with transaction.atomic():
        ticket, task = _lock(task)
        _require_manager(by, ticket)
        record_event(ticket, EventKind.TASK_DELETED, by, {"task": task_ref(task)})
        task.delete()


# The lifecycle's check -------------------------------------------------------------------


def tasks_block_resolve(ticket: Ticket) -> None:
    """Refuse to resolve a (locked) ticket with open tasks: OpenTasks lists them, so the
    page can show them and ask for confirmation."""
    tasks = list(
        Task.objects.filter(ticket=ticket, status=TaskStatus.OPEN).order_by("created_at", "id")
    )
    if tasks:
        titles = ", ".join(f"“{t.title}”" for t in tasks)
        message = OPEN_TASKS.format(
            number=ticket.number, count=len(tasks), s="" if len(tasks) == 1 else "s", titles=titles
        )
        raise OpenTasks(message, tasks)
