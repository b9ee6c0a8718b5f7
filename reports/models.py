"""What the reports keep: the spreadsheets built in the background, and the weekly emails
to department managers (each its own outbox row). The figures themselves are computed
live (reports/figures) and stored nowhere."""

import datetime

from django.conf import settings
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
