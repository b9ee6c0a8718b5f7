"""Tags and time spent: how agents find tickets again, and what working them cost.

A tag is free text an agent types ("vpn", "Printer"), stored once with the spelling it
was first given and unique on its lower-cased name, so "VPN" and "vpn" are one tag
(docs/decisions/0043). Tickets carry tags through TicketTag rows. A TimeEntry is minutes
an agent spent on a ticket, on its own or with the reply or note it was spent on.
Validation lives in tickets/services/tags.py and tickets/services/time_spent.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

TAG_NAME_MAX_LENGTH = 50
# A day's work on one entry: more is a typo (minutes typed as seconds), not time spent.
TIME_ENTRY_MAX_MINUTES = 24 * 60
TIME_NOTE_MAX_LENGTH = 500


class Tag(models.Model):
    """A label agents put on tickets to find them again; admins rename and merge them."""

    name = models.CharField(
        max_length=TAG_NAME_MAX_LENGTH,
        help_text="As shown; unique whatever the case ('VPN' and 'vpn' are one tag).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tickets_tag_name_once"),
        ]

    def __str__(self):
        return self.name


class TicketTag(models.Model):
    """A tag on a ticket."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="ticket_tags", db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="ticket_tags", db_index=False
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["ticket", "tag"]
        verbose_name = "ticket tag"
        constraints = [
            # Also serves a ticket's tags (ticket, ...).
            models.UniqueConstraint(fields=["ticket", "tag"], name="tickets_ticket_tag_once"),
        ]
        indexes = [
            # The queue's filter by a tag: which tickets have it, one index range.
            models.Index(fields=["tag", "ticket"], name="ticket_tag_tag"),
        ]

    def __str__(self):
        return f"Tag {self.tag_id} on ticket {self.ticket_id}"


class TimeEntry(models.Model):
    """Minutes an agent spent on a ticket, with an optional note of what on.

    `department` is the ticket's department when the time was logged: the reports count
    time where it was spent, even after a transfer.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="time_entries", db_index=False
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    minutes = models.PositiveIntegerField()
    note = models.CharField(max_length=TIME_NOTE_MAX_LENGTH, blank=True, default="")
    entry = models.ForeignKey(
        "tickets.ThreadEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
        help_text="The reply or note the time was spent on, if any.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=TIME_ENTRY_MAX_MINUTES),
                name="tickets_time_entry_minutes_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="time_entry_ticket"),
            # The reports: time spent in a period, by department and agent.
            models.Index(fields=["created_at", "department"], name="time_entry_created"),
        ]

    def __str__(self):
        return f"{self.minutes} min on ticket {self.ticket_id}"
