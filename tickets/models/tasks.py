"""Tasks: pieces of a ticket's work handed to a department and an agent of their own.

A task belongs to one ticket and has its own department (often another team's: Facilities
moves the desk, IT replaces the monitor), an assignee who works in that department, a due
time and a status (open or done, with who completed it and when). Every change goes
through tickets/services/tasks.py, which records a task_* event on the ticket
(docs/decisions/0040-tasks.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .ticket import Ticket

TASK_TITLE_MAX_LENGTH = 200
TASK_DESCRIPTION_MAX_LENGTH = 10_000


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Task(models.Model):
    Status = TaskStatus

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=TASK_TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, help_text="Plain text, never rendered as HTML.")
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        db_index=False,  # the open-by-assignee index below serves "My tasks"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the system (automation).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="tickets_task_status_valid"
            ),
            # Done means completed at some time; open means not (reopening clears it).
            models.CheckConstraint(
                condition=(Q(status=TaskStatus.DONE) & Q(completed_at__isnull=False))
                | (Q(status=TaskStatus.OPEN) & Q(completed_at__isnull=True)),
                name="tickets_task_completed_when_done",
            ),
        ]
        indexes = [
            # "My tasks": an agent's open tasks by due time.
            models.Index(
                fields=["assignee", "due_at"],
                condition=Q(status=TaskStatus.OPEN),
                name="task_open_by_assignee",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < (now or timezone.now())
