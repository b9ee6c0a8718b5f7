"""The ticket and everything that happens to it.

Models are thin: fields, constraints and small derived properties. Every change goes
through tickets/services.py; every list and page query through tickets/selectors.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Status(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Priority(models.IntegerChoices):
    # Stored as numbers so that sorting and "raise one step" are plain arithmetic.
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class Source(models.TextChoices):
    WEB = "web", "Web form"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    API = "api", "API"
    AGENT = "agent", "Agent"


class EntryKind(models.TextChoices):
    MESSAGE = "message", "Message"  # from the requester
    REPLY = "reply", "Reply"  # from an agent, sent to the requester
    NOTE = "note", "Internal note"  # between agents, never shown to the requester


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    CLAIMED = "claimed", "Claimed"
    ASSIGNED = "assigned", "Assigned"
    TRANSFERRED = "transferred", "Transferred"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"
    PLAN_CHANGED = "plan_changed", "SLA plan changed"
    STATUS_CHANGED = "status_changed", "Status changed"
    REOPENED = "reopened", "Reopened"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"
    ESCALATED = "escalated", "Escalated"


class HelpTopic(models.Model):
    """What the requester needs help with; decides department, plan and priority."""

    name = models.CharField(max_length=100, unique=True)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="help_topics"
    )
    sla_plan = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="help_topics",
        help_text="Empty: the department's default plan.",
    )
    default_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_priority__in=Priority.values),
                name="tickets_topic_priority_valid",
            ),
        ]

    def __str__(self):
        return self.name


class Ticket(models.Model):
    number = models.PositiveBigIntegerField(
        unique=True, editable=False, help_text="The number people quote; never reused."
    )
    subject = models.CharField(max_length=255)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="tickets"
    )
    help_topic = models.ForeignKey(
        HelpTopic, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    sla_plan = models.ForeignKey(
        "sla.SLAPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="tickets_ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="tickets_ticket_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="tickets_ticket_source_valid"
            ),
        ]
        indexes = [
            # The queue: a department's tickets in a status, newest activity first.
            models.Index(
                fields=["department", "status", "-updated_at"], name="ticket_dept_status_upd"
            ),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
        ]

    def __str__(self):
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in (Status.OPEN, Status.PENDING)


class ThreadEntry(models.Model):
    """One message in a ticket's conversation."""

    Kind = EntryKind

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="thread_entries",
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "thread entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values),
                name="tickets_entry_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="entry_ticket_created")]

    def __str__(self):
        return f"{self.get_kind_display()} on #{self.ticket.number}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


def attachment_path(instance, filename):
    # The stored name is random; the name the browser sent is kept only as data.
    return f"attachments/{instance.ticket_id}/{instance.sha256[:16]}-{instance.token}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(ThreadEntry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    token = models.CharField(max_length=32, editable=False)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename


class TicketEvent(models.Model):
    """An audit row for every change: who, what, from and to, when."""

    Kind = EventKind

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the system.",
    )
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="tickets_event_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self):
        return f"{self.get_kind_display()} on #{self.ticket.number}"


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
