"""What agents write with and what mail is held back from: suppressions, canned
responses and drafts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .ticket import Ticket


class MailSuppression(models.Model):
    """An address our mail bounced from for good (a permanent failure, 5.x.x): the outbox
    sends it nothing until an agent clears the stop. Cleared rows are kept, as the record
    of what bounced and who sent mail again (docs/decisions/0020)."""

    address = models.EmailField(max_length=254, help_text="Lower-cased.")
    status = models.CharField(max_length=32, blank=True, help_text="The SMTP status, 5.1.1.")
    # What the remote server said (the report's diagnostic): text from outside, escaped
    # wherever it is shown.
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The ticket whose mail bounced.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One stop at a time per address: a second bounce finds the first.
            models.UniqueConstraint(
                fields=["address"],
                condition=Q(cleared_at__isnull=True),
                name="tickets_suppression_one_active",
            ),
        ]

    def __str__(self):
        return f"Mail to {self.address} stopped"

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None


class CannedResponse(models.Model):
    """A prepared reply agents insert into the reply box."""

    title = models.CharField(max_length=150)
    body = models.TextField()
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Empty: available to every department.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class Draft(models.Model):
    """What an agent has written in a ticket's reply or note box and not sent yet.

    One per agent, ticket and box, saved as they type (tickets.services.draft_save) so that
    a reload, another tab or a new login gives it back; sending the reply or the note
    removes it. Private to its author: not part of the ticket's history, so no event.
    """

    class Box(models.TextChoices):
        REPLY = "reply", "Reply"
        NOTE = "note", "Internal note"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="drafts", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_drafts"
    )
    box = models.CharField(max_length=8, choices=Box.choices)
    body = models.TextField(blank=True)
    canned_response = models.ForeignKey(
        CannedResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Files the agent had chosen: browsers cannot refill a file input, so the draft names
    # them for the agent to choose again (docs/decisions/0015).
    attachment_names = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket", "author", "box"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "author", "box"], name="tickets_draft_one_per_box"
            ),
            models.CheckConstraint(
                condition=Q(box__in=["reply", "note"]), name="tickets_draft_box_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_box_display()} draft by {self.author_id} on ticket {self.ticket_id}"
