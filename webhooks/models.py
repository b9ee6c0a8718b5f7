"""Outbound webhooks: endpoints, a delivery per endpoint per event, and each attempt.

A delivery row is written in the transaction of the event it reports (webhooks/fanout.py,
a listener of tickets.events), so a change and its deliveries commit together or not at
all; the worker sends what is due (webhooks/sending.py). See docs/decisions/0029.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    """What an endpoint may subscribe to (docs/webhooks.md has each payload)."""

    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_UPDATED = "ticket.updated", "Ticket updated (priority, SLA plan, department)"
    TICKET_STATUS_CHANGED = "ticket.status_changed", "Status changed"
    TICKET_ASSIGNED = "ticket.assigned", "Assigned or claimed"
    MESSAGE_CREATED = "ticket.message.created", "Message from the requester"
    REPLY_CREATED = "ticket.reply.created", "Reply from an agent"
    NOTE_CREATED = "ticket.note.created", "Internal note (only with internal notes included)"
    SLA_WARNING = "ticket.sla.warning", "SLA warning"
    SLA_BREACHED = "ticket.sla.breached", "SLA breached"
    ESCALATED = "ticket.escalated", "Escalated"
    TICKET_MERGED = "ticket.merged", "Merged into another, another merged in, or a merge undone"
    TICKET_LINKED = "ticket.linked", "Linked to another ticket, or a link removed"
    SATISFACTION_RATED = "ticket.satisfaction.rated", "Satisfaction rated by the requester"
    TASK_CREATED = "ticket.task.created", "Task added to a ticket"
    TASK_UPDATED = "ticket.task.updated", "Task changed (title, description, department, due)"
    TASK_ASSIGNED = "ticket.task.assigned", "Task assigned or unassigned"
    TASK_COMPLETED = "ticket.task.completed", "Task completed"
    TASK_REOPENED = "ticket.task.reopened", "Task reopened"
    TASK_DELETED = "ticket.task.deleted", "Task deleted"


# Sent only by the admin's "send a test event", whatever the endpoint subscribes to.
TEST_EVENT_TYPE = "webhook.test"
# Sent only by an automation rule's "call a webhook" action, whatever the endpoint
# subscribes to (the admin chose the endpoint in the rule).
RULE_EVENT_TYPE = "automation.rule"


class WebhookEndpoint(models.Model):
    """Where events are sent, which ones, and the secret that signs them."""

    url = models.URLField("URL", max_length=2000, help_text="http:// or https://")
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(
        default=list, help_text="The event types sent (webhooks.models.EventType values)."
    )
    departments = models.ManyToManyField(
        "accounts.Department",
        blank=True,
        related_name="+",
        help_text="Only tickets of these departments. Empty: every department.",
    )
    include_notes = models.BooleanField(
        "include internal notes",
        default=False,
        help_text="Send ticket.note.created: internal notes leave the help desk.",
    )
    is_active = models.BooleanField("active", default=True)
    owner_email = models.EmailField(
        blank=True, help_text="Told when the endpoint is disabled. Empty: the admins."
    )
    # The signing secrets, `whsec_` and base64 (Standard Webhooks). Kept as they are, since
    # signing needs them; the admin shows a secret only on the page after it was made.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Since when every attempt has failed (None: the last one succeeded); three days of it
    # disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The circuit breaker: paused until then; once it has passed, one probe is sent and
    # decides. Attempts before breaker_reset_at no longer count towards tripping it.
    paused_until = models.DateTimeField(null=True, blank=True, editable=False)
    breaker_reset_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The one worker sending to this endpoint holds it until then (webhooks/sending.py).
    sender_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.description or self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its body, frozen when the event happened, and its fate."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FAILED = "failed", "Failed, will retry"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Given up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # The event (or, for thread entries, which have none, the entry) it reports. Written in
    # the event's transaction and kept after a ticket is deleted: no database link.
    event = models.ForeignKey(
        "tickets.TicketEvent",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    entry = models.ForeignKey(
        "tickets.ThreadEntry",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The webhook-id header: the same for every attempt, so a receiver drops duplicates.
    webhook_id = models.CharField(max_length=40, unique=True, editable=False)
    event_type = models.CharField(max_length=40)
    # The exact body sent, every time (signatures are over these bytes).
    payload = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Handed to a sender by the beat sweep, which leaves it alone until then.
    dispatched_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "failed", "delivered", "dead"]),
                name="webhooks_delivery_state_valid",
            ),
        ]
        indexes = [
            # What is due, per endpoint (the senders) and overall (the sweep): only the
            # rows still owed, so delivered history costs nothing here.
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                condition=Q(state__in=["pending", "failed"]),
                name="webhook_delivery_due",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "failed"]),
                name="webhook_delivery_sweep",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.webhook_id}"

    @property
    def is_owed(self) -> bool:
        return self.state in (self.State.PENDING, self.State.FAILED)


class WebhookAttempt(models.Model):
    """One try at a delivery: what the endpoint answered, or why nothing was sent."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    # The first 4 kB of the answer, as text (whatever the endpoint sent: shown escaped).
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["delivery", "at"], name="webhook_attempt_delivery"),
            # The circuit breaker reads an endpoint's latest attempts.
            models.Index(fields=["endpoint", "-at"], name="webhook_attempt_endpoint"),
            models.Index(fields=["at"], name="webhook_attempt_at"),
        ]

    def __str__(self):
        outcome = self.status_code or self.error or "no answer"
        return f"Attempt at {self.at:%Y-%m-%d %H:%M:%S} ({outcome})"
