"""Automation rules: when (a trigger), which tickets (conditions), what to do (actions).

Models are thin: what a rule says, and the rows that make it act exactly once (PendingTrigger,
RuleRun) and its outbox of emails (RuleEmail). The vocabulary of condition fields and action
kinds, and what each means, is in automation/conditions.py and automation/actions.py.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models import Priority, Status


class Trigger(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Ticket created"
    REQUESTER_REPLIED = "requester_replied", "Requester replied"
    AGENT_REPLIED = "agent_replied", "Agent replied"
    STATUS_CHANGED = "status_changed", "Status changed"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"
    ASSIGNED = "assigned", "Assigned or claimed"
    SATISFACTION_RATED = "satisfaction_rated", "Satisfaction rated (Good or Bad, by the requester)"
    TIME = "time", "Time (checked by beat every few minutes)"


EVENT_TRIGGERS = tuple(t for t in Trigger.values if t != Trigger.TIME)


class Match(models.TextChoices):
    ALL = "all", "All conditions"
    ANY = "any", "Any condition"


class Rule(models.Model):
    name = models.CharField(
        max_length=100, unique=True, help_text="Shown in the timeline: “by rule 'name'”."
    )
    description = models.TextField(blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    match = models.CharField(
        max_length=3,
        choices=Match.choices,
        default=Match.ALL,
        help_text="Time conditions (hours since...) must always all hold; this applies to "
        "the others.",
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only tickets of this department. Empty: every department (global).",
    )
    order = models.PositiveIntegerField(
        default=100, help_text="Rules run in this order (smallest first), then by name."
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["order", "name"]
        indexes = [
            models.Index(
                fields=["trigger", "order"], condition=Q(is_active=True), name="rule_active"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_time_based(self) -> bool:
        return self.trigger == Trigger.TIME


class ConditionField(models.TextChoices):
    DEPARTMENT = "department", "Department"
    HELP_TOPIC = "help_topic", "Help topic"
    PRIORITY = "priority", "Priority"
    STATUS = "status", "Status"
    SOURCE = "source", "Source channel"
    REQUESTER_EMAIL = "requester_email", "Requester's email"
    REQUESTER_DOMAIN = "requester_domain", "Requester's email domain"
    SUBJECT = "subject", "Subject"
    BODY = "body", "Requester's messages"
    ASSIGNEE = "assignee", "Assignee (none / some)"
    SLA_STATE = "sla_state", "SLA state"
    SATISFACTION = "satisfaction", "Satisfaction rating (the latest)"
    HOURS_SINCE_CREATED = "hours_since_created", "Hours since created"
    HOURS_SINCE_REQUESTER = "hours_since_requester", "Hours since the last requester message"
    HOURS_SINCE_AGENT = "hours_since_agent", "Hours since the last agent reply"
    HOURS_PENDING = "hours_pending", "Hours pending"
    HOURS_RESOLVED = "hours_resolved", "Hours resolved"


class Operator(models.TextChoices):
    IS = "is", "is"
    IS_NOT = "is_not", "is not"
    CONTAINS = "contains", "contains any of (comma separated, any case)"
    NOT_CONTAINS = "not_contains", "contains none of (comma separated, any case)"
    BUSINESS_HOURS = "business_hours", "at least this many business hours"
    CALENDAR_HOURS = "calendar_hours", "at least this many calendar hours"


class Condition(models.Model):
    """One test of a ticket. Department and help topic are chosen in their own columns;
    every other field's value is typed in `value` (the admin's help says which)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=32, choices=ConditionField.choices)
    operator = models.CharField(max_length=16, choices=Operator.choices, default=Operator.IS)
    value = models.CharField(max_length=500, blank=True)
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    help_topic = models.ForeignKey(
        "tickets.HelpTopic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["rule", "id"]

    def __str__(self):
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}".strip()


class Action(models.Model):
    """One thing a rule does. `kind` names an entry of automation.actions.ACTION_KINDS,
    which says which of the columns below it needs."""

    class TargetStatus(models.TextChoices):
        PENDING = Status.PENDING.value, Status.PENDING.label
        RESOLVED = Status.RESOLVED.value, Status.RESOLVED.label
        CLOSED = Status.CLOSED.value, Status.CLOSED.label

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    order = models.PositiveSmallIntegerField(default=0)
    # No choices here: the kinds are data (automation.actions), checked by the admin form.
    kind = models.CharField(max_length=32)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    sla_plan = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="SLA plan",
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=TargetStatus.choices, blank=True)
    canned_response = models.ForeignKey(
        "tickets.CannedResponse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(
        blank=True,
        help_text="A note, a reply or an email's text. Placeholders: {number}, {subject}, "
        "{requester_name}, {department}.",
    )
    email = models.EmailField(blank=True)
    webhook_endpoint = models.ForeignKey(
        "webhooks.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["rule", "order", "id"]

    def __str__(self):
        return self.kind.replace("_", " ").capitalize()


class PendingTrigger(models.Model):
    """An event some active rule listens for, written in the event's transaction and run
    once after commit (automation.engine.triggers_run); deleted in the transaction that
    runs it, so it runs once, or again whole if that transaction rolled back."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    # What happened: an event's id, or a thread entry's ("entry:12").
    key = models.CharField(max_length=40)
    # Set when a rule's own action caused the event: that rule does not hear of it, and
    # `depth` counts the steps of the chain (automation.engine.MAX_CHAIN).
    caused_by_rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_trigger_display()} on ticket {self.ticket_id}"


class RuleRun(models.Model):
    """A rule acted (or tried to) on a ticket: for an event (`event_key`) or for a period
    of a time rule (`period_start`, the latest of the moments its conditions measure).
    Unique, and inserted before the actions in their transaction: the once of "once per
    ticket per period" (decision 0031)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField(null=True, blank=True)
    event_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    failed = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "period_start"],
                condition=Q(period_start__isnull=False),
                name="automation_run_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["rule", "ticket", "event_key"],
                condition=~Q(event_key=""),
                name="automation_run_once_per_event",
            ),
        ]

    def __str__(self):
        return f"{self.rule} on ticket {self.ticket_id}"


class RuleEmail(models.Model):
    """An email a rule sends to an address (its outbox): written in the rule's transaction,
    sent by the worker after commit (automation.emails)."""

    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="rule_email_unsent"
            )
        ]

    def __str__(self):
        return f"Email to {self.to} about ticket {self.ticket_id}"
