"""The ticket and everything that happens to it.

Models are thin: fields, constraints and small derived properties. Every change goes
through tickets.services; every list and page query through tickets.selectors.
"""

import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone


class Status(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses in which a ticket still needs work: the open queues, claiming, SLA clocks that
# can still be recomputed. The lifecycle's other sets are in tickets/transitions.py.
ACTIVE_STATUSES = (Status.OPEN, Status.PENDING)


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


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class SLAState(models.TextChoices):
    NONE = "none", "No SLA clock running"
    OK = "ok", "On track"
    WARNING = "warning", "At risk"
    BREACHED = "breached", "Overdue"


class EntryKind(models.TextChoices):
    MESSAGE = "message", "Message"  # from the requester
    REPLY = "reply", "Reply"  # from an agent, sent to the requester
    NOTE = "note", "Internal note"  # between agents, never shown to the requester
    # Mail about the ticket from someone who is not on it: shown to agents only, and it
    # changes nothing (an agent may add the sender to the ticket).
    EXTERNAL = "external", "Message from a non-participant"


# What a requester may see of a ticket's thread.
PUBLIC_ENTRY_KINDS = (EntryKind.MESSAGE, EntryKind.REPLY)


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
    ACCESS_LINK_REVOKED = "access_link_revoked", "Access link revoked"
    COLLABORATOR_ADDED = "collaborator_added", "Collaborator added"
    COLLABORATOR_REMOVED = "collaborator_removed", "Collaborator removed"
    MAIL_STOPPED = "mail_stopped", "Mail to an address stopped"
    MAIL_RESUMED = "mail_resumed", "Mail to an address sent again"


# The queue's sort keys, shared by the indexes below and tickets/selectors.py, which must
# spell them identically for PostgreSQL to use the indexes. A ticket with no running clock
# sorts after every deadline: NULL becomes a date no deadline reaches, so the key is never
# NULL and a keyset cursor can compare it as a plain value (docs/decisions/0010).
NO_DEADLINE = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
DUE_KEY = Coalesce(F("next_due_at"), Value(NO_DEADLINE, output_field=models.DateTimeField()))
# Priority sorts highest first, then by deadline: negated so that one ascending row
# comparison seeks the index.
PRIORITY_KEY = F("priority") * -1


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


# A live clock is still being measured: neither met nor stopped (it may be paused). At most
# one of each kind per ticket.
LIVE_CLOCK_UNSET = ("met_at", "stopped_at")
LIVE_CLOCK = Q(**{f"{name}__isnull": True for name in LIVE_CLOCK_UNSET})
# A running clock is live and not paused: it can warn or breach. The sweep's partial
# indexes are built on this condition, and the sweep's SQL spells it from the same names.
RUNNING_CLOCK_UNSET = (*LIVE_CLOCK_UNSET, "paused_at")
RUNNING_CLOCK = Q(**{f"{name}__isnull": True for name in RUNNING_CLOCK_UNSET})


class SLAClock(models.Model):
    """One SLA target being measured on one ticket, in business time.

    A clock runs from `started_at`; time spent paused (pending, resolved) does not count,
    so the due and warning times move later by the business minutes spent paused. The
    sweep sets `warned_at` and `breached_at` exactly once each. A met clock records when
    and how many business minutes it took; a stopped one was no longer measured (the ticket
    closed first, or a plan change replaced it).
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.FloatField(default=0)
    met_at = models.DateTimeField(null=True, blank=True)
    business_minutes_taken = models.FloatField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = "SLA clock"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ClockKind.values), name="tickets_clock_kind_valid"
            ),
            # At most one live clock of each kind per ticket.
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=LIVE_CLOCK,
                name="tickets_clock_one_live_per_kind",
            ),
        ]
        indexes = [
            # The sweep's two questions, answered from small partial indexes, so a pass
            # with nothing due costs the same at a thousand tickets as at a million.
            models.Index(
                fields=["warn_at"],
                condition=RUNNING_CLOCK & Q(warned_at__isnull=True),
                name="clock_warn_pending",
            ),
            models.Index(
                fields=["due_at"],
                condition=RUNNING_CLOCK & Q(breached_at__isnull=True),
                name="clock_breach_pending",
            ),
            models.Index(fields=["ticket", "kind"], name="clock_ticket_kind"),
            # The report rollups' fill: clocks completed in an hour (docs/decisions/0035).
            models.Index(fields=["met_at"], condition=Q(met_at__isnull=False), name="clock_met"),
            models.Index(
                fields=["breached_at"],
                condition=Q(breached_at__isnull=False),
                name="clock_breached",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} clock {self.pk}"

    @property
    def is_live(self) -> bool:
        return self.met_at is None and self.stopped_at is None


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
        REQUESTER_REPLIED = "requester_replied", "Requester replied"
        # To the requester (templates/emails/requester_*), with their link to the ticket.
        REQUESTER_ACKNOWLEDGEMENT = "requester_acknowledgement", "Ticket received (requester)"
        REQUESTER_REPLY = "requester_reply", "Agent reply (requester)"
        REQUESTER_RESOLVED = "requester_resolved", "Ticket resolved (requester)"
        REQUESTER_NEW_LINK = "requester_new_link", "New access link (requester)"

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


class DeadlineRecomputation(models.Model):
    """A background job: recompute the SLA deadlines of the open tickets a policy edit affects.

    Written when an admin saves an SLA plan or a business calendar; the worker works through
    the affected tickets in batches and records its progress here for the admin to show.
    """

    plan = models.ForeignKey(
        "sla.SLAPlan", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=False) | Q(calendar__isnull=False),
                name="tickets_recompute_has_subject",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(finished_at__isnull=True),
                name="recompute_unfinished",
            ),
        ]

    def __str__(self):
        return f"Recompute deadlines for {self.plan or self.calendar}"

    @property
    def status(self) -> str:
        if self.finished_at:
            return "done"
        return "running" if self.started_at else "queued"
