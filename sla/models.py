"""SLA policy: plans with their targets, and the business calendars they are measured in.

This app knows nothing of tickets. Deadline arithmetic lives in sla/clock.py; each ticket's
clocks and the escalation sweep live in the tickets app.
"""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import validate_time_zone


class BusinessCalendar(models.Model):
    """When a team works: weekly intervals and holidays, in one time zone."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class WorkingInterval(models.Model):
    """One stretch of working time on a weekday, in the calendar's zone.

    A day may have several (a lunch break splits the day in two). An end of 00:00 means
    midnight at the end of the day.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="sla_interval_weekday_valid",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) | Q(end=datetime.time(0)),
                name="sla_interval_end_after_start",
                violation_error_message="The interval must end after it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    """A whole date on which nobody works, in the calendar's zone."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SLAPlan(models.Model):
    """Targets, in business minutes, and what to do when one is missed."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    first_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Until the first agent reply. Empty: no target."
    )
    next_response_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Until an agent replies to each later requester message. Empty: no target.",
    )
    resolution_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Until the ticket is resolved. Empty: no target."
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="Empty: the clock runs around the clock (24/7).",
    )
    warning_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Warn when this share of a target has elapsed.",
    )
    pause_when_pending = models.BooleanField(
        default=True, help_text="Pause resolution and next-response clocks while pending."
    )
    # Escalation actions, run once when a clock breaches.
    escalate_notify_assignee = models.BooleanField(default=True)
    escalate_notify_manager = models.BooleanField(default=False)
    escalate_raise_priority = models.BooleanField(default=False)
    escalate_to_agent = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Reassign breached tickets to this agent.",
    )
    escalate_to_department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Transfer breached tickets to this department.",
    )
    is_default = models.BooleanField(
        default=False, help_text="The system default, used when nothing else names a plan."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA plan"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="sla_plan_single_default",
                violation_error_message="Another plan is already the default.",
            ),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=99),
                name="sla_plan_warning_percent_range",
            ),
        ]

    def __str__(self):
        return self.name
