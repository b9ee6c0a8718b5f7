"""The email outbox: one row per message to send."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .ticket import ThreadEntry, Ticket, TicketEvent


class Notification(models.Model):
    """An email owed to someone, written in the same transaction as the change causing it.

    This is a transactional outbox: a change and its notification commit together or not
    at all, and the worker sends whatever is unsent, so a lost Celery message or a killed
    worker delays an email but never drops or doubles it (see tickets/notifications.py).
    """

    class Kind(models.TextChoices):
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACHED = "sla_breached", "SLA breached"
        NEW_TICKET = "new_ticket", "New ticket in your department"
        ASSIGNED = "assigned", "Ticket assigned to you"
        TASK_ASSIGNED = "task_assigned", "Task assigned to you"
        REQUESTER_REPLIED = "requester_replied", "Requester replied"
        # To the requester (templates/emails/requester_*), with their link to the ticket.
        REQUESTER_ACKNOWLEDGEMENT = "requester_acknowledgement", "Ticket received (requester)"
        REQUESTER_REPLY = "requester_reply", "Agent reply (requester)"
        REQUESTER_RESOLVED = "requester_resolved", "Ticket resolved (requester)"
        REQUESTER_NEW_LINK = "requester_new_link", "New access link (requester)"
        # "How did we do?", sent when its survey is due (tickets.services.satisfaction).
        SATISFACTION_SURVEY = "satisfaction_survey", "Satisfaction survey (requester)"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(
        TicketEvent,
        null=True,
        blank=True,
        # Deleted with their ticket, before its events. Written in the same transaction as
        # the event it names, so a database check of the link could never fail.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,  # the unique (event, recipient, kind) index serves lookups
    )
    # For a reply sent to the requester: the entry whose text the email carries.
    entry = models.ForeignKey(
        ThreadEntry,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # looked up only through the notification
    )
    # Our Message-ID for this email, given when it is first sent: random, so that nobody can
    # guess one to thread into a ticket; a reply by email is matched against it
    # (mail.threading). Never derived from the ticket's number.
    message_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "kind"],
                condition=Q(event__isnull=False),
                name="tickets_notification_once_per_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="notification_unsent",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_id} for ticket {self.ticket_id}"
