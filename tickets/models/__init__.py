"""The ticket and everything that happens to it.

Models are thin: fields, constraints and small derived properties. Every change goes
through tickets.services; every list and page query through tickets.selectors. The
package is split by subject; everything is importable from ``tickets.models``.
"""

from .choices import (
    ACTIVE_STATUSES,
    DUE_KEY,
    NO_DEADLINE,
    PRIORITY_KEY,
    PUBLIC_ENTRY_KINDS,
    ClockKind,
    EntryKind,
    EventKind,
    Priority,
    SLAState,
    Source,
    Status,
)
from .clocks import (
    LIVE_CLOCK,
    LIVE_CLOCK_UNSET,
    RUNNING_CLOCK,
    RUNNING_CLOCK_UNSET,
    DeadlineRecomputation,
    SLAClock,
)
from .conversation import CannedResponse, Draft, MailSuppression
from .fields import (
    CHOICE_KINDS,
    TEXT_KINDS,
    CustomField,
    FieldAudience,
    FieldChoice,
    FieldKind,
    HelpTopicField,
    TicketFieldValue,
)
from .notifications import Notification
from .tags import (
    TAG_NAME_MAX_LENGTH,
    TIME_ENTRY_MAX_MINUTES,
    TIME_NOTE_MAX_LENGTH,
    Tag,
    TicketTag,
    TimeEntry,
)
from .ticket import (
    INLINE_IMAGE_TYPES,
    Attachment,
    Collaborator,
    HelpTopic,
    ThreadEntry,
    Ticket,
    TicketEvent,
    TicketSearchDocument,
    at_risk_q,
    attachment_path,
    sla_state_q,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CHOICE_KINDS",
    "DUE_KEY",
    "INLINE_IMAGE_TYPES",
    "LIVE_CLOCK",
    "LIVE_CLOCK_UNSET",
    "NO_DEADLINE",
    "PRIORITY_KEY",
    "PUBLIC_ENTRY_KINDS",
    "RUNNING_CLOCK",
    "RUNNING_CLOCK_UNSET",
    "TAG_NAME_MAX_LENGTH",
    "TEXT_KINDS",
    "TIME_ENTRY_MAX_MINUTES",
    "TIME_NOTE_MAX_LENGTH",
    "Attachment",
    "CannedResponse",
    "ClockKind",
    "Collaborator",
    "CustomField",
    "DeadlineRecomputation",
    "Draft",
    "EntryKind",
    "EventKind",
    "FieldAudience",
    "FieldChoice",
    "FieldKind",
    "HelpTopic",
    "HelpTopicField",
    "MailSuppression",
    "Notification",
    "Priority",
    "SLAClock",
    "SLAState",
    "Source",
    "Status",
    "Tag",
    "ThreadEntry",
    "Ticket",
    "TicketEvent",
    "TicketFieldValue",
    "TicketSearchDocument",
    "TicketTag",
    "TimeEntry",
    "at_risk_q",
    "attachment_path",
    "sla_state_q",
]
