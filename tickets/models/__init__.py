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
from .satisfaction import RATING_WINDOW, SatisfactionRating, SatisfactionSurvey
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
    "RATING_WINDOW",
    "RUNNING_CLOCK",
    "RUNNING_CLOCK_UNSET",
    "TEXT_KINDS",
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
    "SatisfactionRating",
    "SatisfactionSurvey",
    "Source",
    "Status",
    "ThreadEntry",
    "Ticket",
    "TicketEvent",
    "TicketFieldValue",
    "TicketSearchDocument",
    "at_risk_q",
    "attachment_path",
    "sla_state_q",
]
