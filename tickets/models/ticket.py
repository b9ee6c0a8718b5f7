"""The ticket, its thread, attachments, events, search document and collaborators."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .choices import (
    ACTIVE_STATUSES,
    DUE_KEY,
    PRIORITY_KEY,
    PUBLIC_ENTRY_KINDS,
    EntryKind,
    EventKind,
    Priority,
    SLAState,
    Source,
    Status,
)


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
        verbose_name="SLA plan",
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
    # FKs whose lookups a composite index in Meta already serves carry no index of their
    # own: every index is paid for on each write, and the sweep writes many tickets.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="tickets", db_index=False
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
        db_index=False,
    )
    sla_plan = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="SLA plan",
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The earliest warning and due times of the ticket's running SLA clocks, kept by
    # tickets/clocks.py whenever a clock changes, and indexed for the queue. Whether a
    # ticket is at risk or overdue follows from these and the time now (sla_state_q), so it
    # is exact at every moment, whether or not the sweep has run yet.
    next_warn_at = models.DateTimeField(
        null=True, blank=True, help_text="The earliest warning time of a running SLA clock."
    )
    next_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The earliest due time of a running SLA clock."
    )
    # The secret in the requester's private link (tickets/guest_access.py): random, never
    # derived from the number or the email, replaced when an agent revokes the link.
    # Rows inserted around the services (bulk seeding with COPY) get none: no link works.
    access_key = models.CharField(max_length=64, editable=False, blank=True, db_default="")
    # The intake form's one-time token: a double click or a refreshed POST finds the ticket
    # the first submission created instead of making a second one.
    intake_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    # Set while the ticket is merged away (closed into another; tickets/services/merges.py):
    # its pages lead to this one. Cleared when the merge is undone.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_sources",
        editable=False,
    )

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
            # The agent queue: one index per sort order, each led by (department, status),
            # so that a page is a seek into one small range per department and status and
            # costs the same on page 1 and page 4,000 (docs/decisions/0010).
            models.Index(F("department"), F("status"), DUE_KEY, F("id"), name="ticket_queue_due"),
            models.Index(
                F("department"),
                F("status"),
                PRIORITY_KEY,
                DUE_KEY,
                F("id"),
                name="ticket_queue_priority",
            ),
            models.Index(
                fields=["department", "status", "-updated_at", "-id"], name="ticket_queue_updated"
            ),
            models.Index(
                fields=["department", "status", "-created_at", "-id"], name="ticket_queue_created"
            ),
            # Overdue and at risk (next_warn_at has passed): few tickets, found by a range
            # on this index instead of a walk past the healthy majority in deadline order.
            models.Index(
                fields=["department", "status", "next_warn_at"], name="ticket_queue_warn"
            ),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
            models.Index(fields=["next_due_at"], name="ticket_next_due"),
            models.Index(fields=["next_warn_at"], name="ticket_next_warn"),
            # The report rollups' fill: tickets created in an hour (docs/decisions/0035).
            models.Index(fields=["created_at"], name="ticket_created"),
        ]

    def __str__(self):
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def sla_state_at(self, now) -> "SLAState":
        if self.next_due_at is None:
            return SLAState.NONE
        if self.next_due_at <= now:
            return SLAState.BREACHED
        if self.next_warn_at is not None and self.next_warn_at <= now:
            return SLAState.WARNING
        return SLAState.OK

    @property
    def sla_state(self) -> "SLAState":
        """On track, at risk or overdue, now."""
        return self.sla_state_at(timezone.now())

    def get_sla_state_display(self) -> str:
        return self.sla_state.label


def sla_state_q(state: str, now) -> Q:
    """The tickets in an SLA state at `now`, as a filter on the indexed deadline columns.

    The same rule as Ticket.sla_state_at, for the database: the admin, the queue and the
    reports filter with it (a test holds the two together).
    """
    if state == SLAState.NONE:
        return Q(next_due_at__isnull=True)
    if state == SLAState.BREACHED:
        return Q(next_due_at__lte=now)
    if state == SLAState.WARNING:
        return Q(next_warn_at__lte=now, next_due_at__gt=now)
    if state == SLAState.OK:
        return Q(next_due_at__gt=now) & (Q(next_warn_at__gt=now) | Q(next_warn_at__isnull=True))
    raise ValueError(f"Unknown SLA state {state!r}")


def at_risk_q(now) -> Q:
    """At risk or overdue at `now`: the earliest warning time has passed (a clock warns before
    it is due), one range on the ticket_queue_warn index."""
    return Q(next_warn_at__lte=now)


class ThreadEntry(models.Model):
    """One message in a ticket's conversation."""

    Kind = EntryKind

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="thread_entries",
    )
    body = models.TextField()
    # Mail keeps more than its text: its HTML (sanitised by mail.parsing before it gets
    # here) and the quoted history split off below what the sender wrote.
    # Database defaults too: rows copied in around the services (bench/seeding.py) get them.
    body_html = models.TextField(blank=True, db_default="")
    quoted = models.TextField(blank=True, db_default="")
    source = models.CharField(
        max_length=16, choices=Source.choices, default=Source.WEB, db_default=Source.WEB
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The ticket it was written on, while a merge has moved it to another one (the
    # timeline's "from #N"); empty on its own ticket.
    origin = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "thread entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values),
                name="tickets_entry_kind_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="entry_ticket_created"),
            # The report rollups' fill: an hour's replies (docs/decisions/0035).
            models.Index(
                fields=["created_at"], condition=Q(kind="reply"), name="entry_reply_created"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on #{self.ticket.number}"

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_ENTRY_KINDS


def attachment_path(instance, filename):
    # The stored name is random; the name the browser sent is kept only as data.
    return f"attachments/{instance.ticket_id}/{instance.sha256[:16]}-{instance.token}"


# Images a browser may show in a page: raster formats only (an SVG can hold script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(ThreadEntry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    token = models.CharField(max_length=32, editable=False)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The Content-ID of the mail part it came from (without brackets): the message's HTML
    # shows it in place of `<img src="cid:...">`. Empty for uploads.
    content_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename

    @property
    def is_image(self) -> bool:
        # content_type is what the content was detected as, never what the sender claimed.
        return self.content_type in INLINE_IMAGE_TYPES


class TicketEvent(models.Model):
    """An audit row for every change: who, what, from and to, when."""

    Kind = EventKind

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the system (the SLA sweep, the mail channel, automation).",
        db_index=False,
    )
    # What changed, as ids and labels (tickets/events.py has the vocabulary): a transfer is
    # {"from": {"id": 2, "name": "IT"}, "to": {"id": 3, "name": "Sales"}}. Webhooks, reports
    # and the timeline read it; labels keep the story readable after a rename or deletion.
    data = models.JSONField(default=dict, blank=True)
    clock = models.ForeignKey(
        "tickets.SLAClock",
        null=True,
        blank=True,
        # Events go with their ticket, before its clocks: nothing to cascade from here. The
        # sweep writes this link in the transaction that marks the clock, under the
        # ticket's lock; a database check of it per event would cost the sweep a fifth of
        # its time and could never fail (see docs/decisions/0006).
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
        help_text="For SLA events: the clock that warned, breached or escalated.",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="tickets_event_kind_valid"
            ),
            # The database itself refuses a second warning or breach for one clock: the
            # last line of defence behind the sweep's locking.
            models.UniqueConstraint(
                fields=["clock", "kind"],
                condition=Q(kind__in=["sla_warning", "sla_breached"]),
                name="tickets_event_once_per_clock",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            # The report rollups' fill and reopens of a period (docs/decisions/0035).
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
            # Partial: most events are the system's (no actor), and every index entry costs
            # a write on the sweep's hot path.
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on #{self.ticket.number}"


class TicketSearchDocument(models.Model):
    """A ticket's words for full-text search: its subject (weight A) and thread (weight B).

    Kept beside the ticket rather than in it, so that the hot ticket row the sweep and the
    queue read stays small. The services append each new entry's words in the same
    transaction (tickets/search.py); the GIN index on `document` and the trigram index on
    the subject exist only on PostgreSQL (migration 0006). On SQLite the column stays empty
    and search falls back to substring matching.
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    document = SearchVectorField(null=True)
    # The ticket's department, copied by PostgreSQL's triggers (migration 0025, decision
    # 0050) so that the GIN index over (department_id, document) finds an agent's words
    # within their departments. Derived data: a plain integer, never written by Python.
    department_id = models.IntegerField(null=True, editable=False)

    def __str__(self):
        return f"Search document of ticket {self.ticket_id}"


class Collaborator(models.Model):
    """Someone besides the requester who follows a ticket: they get its replies by email
    and may answer them (the Cc of a message, or someone an agent added)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="collaborators", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collaborations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="tickets_collaborator_once")
        ]

    def __str__(self):
        return f"{self.user_id} on ticket {self.ticket_id}"
