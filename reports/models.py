"""What the reports keep: the spreadsheets built in the background, the weekly emails to
department managers (each its own outbox row), and the hourly rollups of the figures.

Rollups (docs/decisions/0035, docs/reports.md):

A ReportHour row holds, for one UTC hour and one combination of a ticket's department, help
topic, priority, assignee and channel (as the ticket is now), what that hour adds to every
figure: counts, and the minutes of each measured ticket (so medians and p90s over any range
of hours stay exact). reports/rollups/fill.py writes them, one statement per hour;
reports/rollups/read.py reads them with the live computation of what is not filled.

Counts of distinct tickets are not additive across hours (a ticket resolved on Monday and
again on Tuesday is one resolved ticket of the week), so each such count comes with `*_prev`:
for every counted row that has an earlier one of the same ticket (its previous resolution,
reopen, or completed clock of the same kind and outcome), that earlier row's time. Over a
range starting at S, the distinct tickets are the count minus the `*_prev` at or after S.

Ids are plain integers, not foreign keys: the rows are derived data, rebuilt at will, and
must not hold up deleting a department or an agent.
"""

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

# How long a built spreadsheet stays downloadable (the hourly sweep deletes it after).
EXPORT_KEEP = datetime.timedelta(days=7)


def _export_expiry():
    return timezone.now() + EXPORT_KEEP


class ReportExport(models.Model):
    """A spreadsheet of the tickets behind a number, asked for by one agent and built by a
    worker. Its file lives in private storage (MEDIA_ROOT, never served by URL): only the
    requester downloads it, through the desk."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_exports"
    )
    title = models.CharField(max_length=300)
    # The queue view and filters (reports.exports.queue_to_json), read back by the worker.
    parameters = models.JSONField()
    time_zone = models.CharField(max_length=64)  # the requester's, for the times in the file
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="report-exports/", max_length=255, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=_export_expiry)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="report_export_owner"),
            models.Index(fields=["expires_at"], name="report_export_expiry"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"


class WeeklyReportEmail(models.Model):
    """The weekly email of one department's figures to one manager, for one week: written
    once (the unique constraint, whoever runs the job and however often) in the same
    transaction as its rendered message, and sent from here like an outbox row."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_reports"
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="weekly_reports"
    )
    week_start = models.DateField()  # the Monday, in the recipient's time zone
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "department", "week_start"],
                name="reports_weekly_email_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="weekly_unsent",
            ),
        ]

    def __str__(self):
        return f"Week of {self.week_start} for {self.department_id} to {self.recipient_id}"


# Rollups --------------------------------------------------------------------------------
# Bump when the fill's definitions change: hours filled by another version are filled again.
ROLLUP_VERSION = 1
SLA_KINDS = ("first_response", "next_response", "resolution")
SLA_OUTCOMES = ("achieved", "breached", "completed", "breached_open")


def _count():
    return models.IntegerField(default=0)


def _times():
    return ArrayField(models.DateTimeField(), default=list, blank=True)


def _minutes():
    return ArrayField(models.FloatField(), default=list, blank=True)


class ReportHour(models.Model):
    hour = models.DateTimeField()  # its start, UTC
    department_id = models.IntegerField(null=True)
    help_topic_id = models.IntegerField(null=True)
    priority = models.SmallIntegerField(null=True)
    agent_id = models.IntegerField(null=True)  # the assignee
    channel = models.CharField(max_length=16)
    # Flow: tickets created; the backlog's change (+1 into open/pending, -1 out of it);
    # resolutions, those reopened later, reopens.
    created = _count()
    backlog_delta = _count()
    resolved = _count()
    resolved_prev = _times()
    reopened_after = _count()
    reopened_after_prev = _times()
    reopened = _count()
    reopened_prev = _times()
    # Times: the tickets measured and their minutes (business as the clock took them).
    first_reply = _count()
    first_reply_business = _minutes()
    first_reply_calendar = _minutes()
    latest_resolution = _count()
    latest_resolution_business = _minutes()
    latest_resolution_calendar = _minutes()
    first_resolution = _count()
    first_resolution_calendar = _minutes()
    # SLA: counted clocks that completed in the hour, per kind and outcome (breached_open:
    # breached, and the ticket open or pending now; completed: achieved or breached).
    sla_first_response_achieved = _count()
    sla_first_response_achieved_prev = _times()
    sla_first_response_breached = _count()
    sla_first_response_breached_prev = _times()
    sla_first_response_completed = _count()
    sla_first_response_completed_prev = _times()
    sla_first_response_breached_open = _count()
    sla_first_response_breached_open_prev = _times()
    sla_next_response_achieved = _count()
    sla_next_response_achieved_prev = _times()
    sla_next_response_breached = _count()
    sla_next_response_breached_prev = _times()
    sla_next_response_completed = _count()
    sla_next_response_completed_prev = _times()
    sla_next_response_breached_open = _count()
    sla_next_response_breached_open_prev = _times()
    sla_resolution_achieved = _count()
    sla_resolution_achieved_prev = _times()
    sla_resolution_breached = _count()
    sla_resolution_breached_prev = _times()
    sla_resolution_completed = _count()
    sla_resolution_completed_prev = _times()
    sla_resolution_breached_open = _count()
    sla_resolution_breached_open_prev = _times()

    class Meta:
        indexes = [
            models.Index(fields=["hour"], name="report_hour_hour"),
            # The dashboard filtered by department over a range of hours.
            models.Index(fields=["department_id", "hour"], name="report_hour_department"),
        ]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}:00 department {self.department_id}"


class ReportHourTicket(models.Model):
    """Which tickets an hour's rows count: a change to a ticket refills exactly these hours."""

    pk = models.CompositePrimaryKey("ticket_id", "hour")
    ticket_id = models.BigIntegerField()
    hour = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["hour"], name="report_hour_ticket_hour")]

    def __str__(self):
        return f"ticket {self.ticket_id} in {self.hour:%Y-%m-%d %H}:00"


class ReportFillState(models.Model):
    """One row per hour known to the rollups. Locked (FOR UPDATE SKIP LOCKED) while its rows
    are rewritten, so two beats never fill one hour at once and a half-done fill (a killed
    worker) rolls back and leaves the hour pending."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FILLED = "filled", "Filled"

    hour = models.DateTimeField(primary_key=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    version = models.PositiveIntegerField(default=0)
    filled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["-hour"], condition=models.Q(state="pending"), name="report_fill_pending"
            )
        ]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}:00 {self.state}"


class ReportChange(models.Model):
    """A ticket changed (written by reports.listener in the change's transaction): the
    beat marks the hours it counts in for refill. `history` False: only the hour of `at`
    can have changed (a new reply, a breach); True: any hour of the ticket (a transfer, a
    reopen, a plan change)."""

    ticket_id = models.BigIntegerField()
    at = models.DateTimeField()
    history = models.BooleanField(default=True)

    def __str__(self):
        return f"ticket {self.ticket_id} changed at {self.at:%Y-%m-%d %H:%M}"


class ReportCursor(models.Model):
    """How far the beat has read a table without events of its own (the SLA clocks that a
    deadline recomputation replaces: their tickets changed)."""

    name = models.CharField(max_length=32, primary_key=True)
    position = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} at {self.position}"
