"""The ticket and everything that happens to it.

Models are thin: fields, constraints and small derived properties. Every change goes
through tickets.services; every list and page query through tickets.selectors. The
package is split by subject; everything is importable from ``tickets.models``.
"""

from .choices import (
    ACTIVE_STATUSES,
    DUE_KEY,
    LINK_REVERSE_LABELS,
    NO_DEADLINE,
    PRIORITY_KEY,
    PUBLIC_ENTRY_KINDS,
    ClockKind,
    EntryKind,
    EventKind,
    LinkKind,
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
from .merges import MERGE_UNDO_DAYS, MERGE_UNDO_WINDOW, TicketLink, TicketMerge
from .notifications import Notification
from .tasks import TASK_DESCRIPTION_MAX_LENGTH, TASK_TITLE_MAX_LENGTH, Task, TaskStatus
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
    "LINK_REVERSE_LABELS",
    "LIVE_CLOCK",
    "LIVE_CLOCK_UNSET",
    "MERGE_UNDO_DAYS",
    "MERGE_UNDO_WINDOW",
    "NO_DEADLINE",
    "PRIORITY_KEY",
    "PUBLIC_ENTRY_KINDS",
    "RUNNING_CLOCK",
    "RUNNING_CLOCK_UNSET",
    "TASK_DESCRIPTION_MAX_LENGTH",
    "TASK_TITLE_MAX_LENGTH",
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
    "LinkKind",
    "MailSuppression",
    "Notification",
    "Priority",
    "SLAClock",
    "SLAState",
    "Source",
    "Status",
    "Task",
    "TaskStatus",
    "ThreadEntry",
    "Ticket",
    "TicketEvent",
    "TicketFieldValue",
    "TicketLink",
    "TicketMerge",
    "TicketSearchDocument",
    "at_risk_q",
    "attachment_path",
    "sla_state_q",
]
