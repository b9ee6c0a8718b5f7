"""API keys: who a script acts as, what it may do, from where, how often."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Scope(models.TextChoices):
    TICKETS_READ = "tickets:read", "Read tickets"
    TICKETS_WRITE = "tickets:write", "Create and change tickets"
    REPLIES_WRITE = "replies:write", "Reply to requesters"
    NOTES_WRITE = "notes:write", "Write internal notes"
    TASKS_READ = "tasks:read", "Read tickets' tasks"
    TASKS_WRITE = "tasks:write", "Add, change, complete and delete tickets' tasks"
    USERS_READ = "users:read", "Read requesters"
    USERS_WRITE = "users:write", "Create requesters"
    DEPARTMENTS_READ = "departments:read", "Read departments and help topics"
    SLA_READ = "sla:read", "Read SLA plans"
    OSTICKET_TICKETS = "osticket:tickets", "osTicket API: create tickets"
    OSTICKET_CRON = "osticket:cron", "osTicket API: run the cron task"
    WEBHOOKS_MANAGE = "webhooks:manage", "Manage webhook endpoints (administrators only)"


# Scopes of osTicket's API: its clients authenticate by key and address alone, so these
# keys must name the addresses they are used from (or opt out, explicitly).
OSTICKET_SCOPES = frozenset({Scope.OSTICKET_TICKETS, Scope.OSTICKET_CRON})


class ApiKey(models.Model):
    """A key for scripts and other systems. Only a hash of its secret is kept: the whole
    key (`hd_<prefix>_<secret>`) is shown once, when it is created."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text="The agent the key acts as: their departments and roles apply, and the "
        "ticket history names them, via this key.",
    )
    scopes = models.JSONField(default=list)
    allowed_networks = models.JSONField(
        default=list, blank=True, help_text="Addresses or CIDR ranges the key may be used from."
    )
    allow_any_address = models.BooleanField(
        default=False,
        help_text="Let an osTicket-scoped key be used from anywhere (osTicket itself never "
        "allows this): only for a key behind another access control.",
    )
    requests_per_minute = models.PositiveIntegerField(default=120)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=Q(requests_per_minute__gte=1), name="api_key_rate_positive"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def state(self, now=None) -> str:
        """ "revoked", "expired" or "active"."""
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired(now) else "active"


class IdempotentRequest(models.Model):
    """A POST sent with an Idempotency-Key: its first answer, replayed to a retry of the
    same request within a day (api/idempotency.py)."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "Being answered"
        DONE = "done", "Answered"

    # Whose Idempotency-Key it is ("key:<id>" for an API key, "user:<id>" for a session):
    # keys are the client's, so two clients may use the same one.
    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_FLIGHT)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="api_idempotency_once"),
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_created")]

    def __str__(self):
        return self.key


class OsTicketMapping(models.Model):
    """An osTicket id and what it stands for here, so that osTicket's clients can keep
    sending `topicId`, `deptId`, `slaId`, `staffId`, `statusId` and `priorityId`
    (filled in by hand in the admin, later by the osTicket importer)."""

    class Kind(models.TextChoices):
        TOPIC = "topic", "Help topic (topicId)"
        DEPARTMENT = "department", "Department (deptId)"
        SLA = "sla", "SLA plan (slaId)"
        STAFF = "staff", "Agent (staffId)"
        STATUS = "status", "Status (statusId)"
        PRIORITY = "priority", "Priority (priorityId)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    osticket_id = models.PositiveIntegerField()
    our_id = models.CharField(
        max_length=64,
        help_text="The id of our help topic, department, SLA plan or agent; for a status "
        "its value (pending, resolved, closed); for a priority its number (1 low to 4 "
        "urgent).",
    )
    note = models.CharField(max_length=200, blank=True, help_text="osTicket's name for it.")

    class Meta:
        ordering = ["kind", "osticket_id"]
        verbose_name = "osTicket id mapping"
        constraints = [
            models.UniqueConstraint(fields=["kind", "osticket_id"], name="osticket_mapping_once"),
        ]

    def __str__(self):
        return f"osTicket {self.kind} {self.osticket_id} → {self.our_id}"
