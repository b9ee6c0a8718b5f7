"""The vocabularies of the ticket domain: statuses, priorities, sources, kinds, and the
sort keys and constants built on them."""

import datetime

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce


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
    FIELDS_CHANGED = "fields_changed", "Custom fields changed"
    TASK_CREATED = "task_created", "Task created"
    TASK_CHANGED = "task_changed", "Task changed"
    TASK_ASSIGNED = "task_assigned", "Task assigned"
    TASK_COMPLETED = "task_completed", "Task completed"
    TASK_REOPENED = "task_reopened", "Task reopened"
    TASK_DELETED = "task_deleted", "Task deleted"
    TICKET_MERGED = "ticket_merged", "Ticket merged into this one"
    MERGED_INTO = "merged_into", "Merged into another ticket"
    MERGE_UNDONE = "merge_undone", "Merge undone"
    LINK_ADDED = "link_added", "Link added"
    LINK_REMOVED = "link_removed", "Link removed"
    TAG_ADDED = "tag_added", "Tag added"
    TAG_REMOVED = "tag_removed", "Tag removed"
    TIME_LOGGED = "time_logged", "Time spent logged"
    SATISFACTION_RATED = "satisfaction_rated", "Satisfaction rated"


# The events of a ticket's tasks (decision 0040): webhooks send them, no report counts them.
TASK_EVENT_KINDS = frozenset(
    {
        EventKind.TASK_CREATED,
        EventKind.TASK_CHANGED,
        EventKind.TASK_ASSIGNED,
        EventKind.TASK_COMPLETED,
        EventKind.TASK_REOPENED,
        EventKind.TASK_DELETED,
    }
)


class LinkKind(models.TextChoices):
    """How two tickets are linked, read from the first to the second (stored once)."""

    RELATED = "related", "related to"
    DUPLICATE = "duplicate", "duplicate of"
    PARENT = "parent", "parent of"


# How a link reads from the second ticket's page.
LINK_REVERSE_LABELS = {
    LinkKind.RELATED: "related to",
    LinkKind.DUPLICATE: "duplicated by",
    LinkKind.PARENT: "child of",
}


# The queue's sort keys, shared by the indexes below and tickets/selectors.py, which must
# spell them identically for PostgreSQL to use the indexes. A ticket with no running clock
# sorts after every deadline: NULL becomes a date no deadline reaches, so the key is never
# NULL and a keyset cursor can compare it as a plain value (docs/decisions/0010).
NO_DEADLINE = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
DUE_KEY = Coalesce(F("next_due_at"), Value(NO_DEADLINE, output_field=models.DateTimeField()))
# Priority sorts highest first, then by deadline: negated so that one ascending row
# comparison seeks the index.
PRIORITY_KEY = F("priority") * -1
