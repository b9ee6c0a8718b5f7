"""Satisfaction surveys: one per resolution, asked of the requester after a delay."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .ticket import HelpTopic, Ticket, TicketEvent

# How long after the survey is sent a rating can be given and changed (decision 0041).
RATING_WINDOW = timedelta(days=7)


class SatisfactionRating(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"


class SatisfactionSurvey(models.Model):
    """The "How did we do?" of one resolution: scheduled when the ticket is resolved,
    sent once by the beat's pass when due (tickets.services.satisfaction), cancelled if
    the ticket reopens first; rated through the signed link in its email.

    The department, agent and topic are those of the resolution, so the figures credit
    whoever resolved it, whatever happens to the ticket afterwards.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled (reopened before it was sent)"
        SKIPPED = "skipped", "Not sent (surveys turned off, or no address)"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="satisfaction_surveys"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The event that resolved the ticket: the resolution the survey (and its token) is
    # about. Written in that event's transaction, deleted with the ticket.
    resolution = models.ForeignKey(
        TicketEvent,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,  # the unique constraint below serves lookups
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    help_topic = models.ForeignKey(
        HelpTopic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    rating = models.CharField(max_length=8, choices=SatisfactionRating.choices, blank=True)
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resolution"], name="tickets_survey_once_per_resolution"
            ),
            models.CheckConstraint(
                condition=Q(rating__in=["", *SatisfactionRating.values]),
                name="tickets_survey_rating_valid",
            ),
        ]
        indexes = [
            # The beat's pass: what is due, cheaply.
            models.Index(fields=["due_at"], condition=Q(state="scheduled"), name="survey_due"),
            models.Index(fields=["ticket", "created_at"], name="survey_ticket"),
            # The figures: rated surveys by when they were rated.
            models.Index(fields=["rated_at"], condition=~Q(rating=""), name="survey_rated"),
        ]

    def __str__(self):
        return f"Survey of ticket {self.ticket_id} ({self.get_state_display()})"

    @property
    def closes_at(self):
        return None if self.sent_at is None else self.sent_at + RATING_WINDOW

    def is_open(self, now=None) -> bool:
        """Whether a rating can be given or changed now."""
        now = now or timezone.now()
        return (
            self.state == self.State.SENT and self.closes_at is not None and now < self.closes_at
        )
