"""Every change to a ticket happens here, one module per concern.

Each service runs in one transaction, locks the ticket row it changes, checks the move
against the action table (tickets/transitions.py) and the person against tickets.access,
saves only the fields it changed, writes its TicketEvent (with structured data,
tickets/events.py) in the same transaction, and queues side effects (email) as outbox rows
in that transaction, so nothing is sent for a change that rolled back.

`by` is who acts: a user, or accounts.roles.SYSTEM for the help desk itself (the sweep,
the mail channel, automation). Nobody (`None`) may do anything.

Callers import from here: `from tickets.services import ticket_assign`.
"""

from tickets.services.assignment import ticket_assign, ticket_claim, ticket_transfer
from tickets.services.auto_assign import ticket_auto_assign, tickets_auto_assign
from tickets.services.bounces import (
    DeliveryFailure,
    bounce_note_text,
    mail_suppression_clear,
    ticket_record_bounce,
    ticket_resume_mail,
)
from tickets.services.bulk import (
    BULK_ACTIONS,
    MAX_TICKETS,
    STATUS_CHANGE,
    BulkOutcome,
    ticket_bulk_apply,
)
from tickets.services.collaborators import (
    MAX_COLLABORATORS,
    ticket_add_collaborator,
    ticket_remove_collaborator,
)
from tickets.services.common import BODY_MAX_LENGTH
from tickets.services.conversation import (
    NEW_MESSAGE_ARRIVED,
    ticket_add_external_message,
    ticket_add_message,
    ticket_add_note,
    ticket_reply,
)
from tickets.services.drafts import (
    DRAFT_TOO_LONG,
    KEEP_AFTER_CLOSE,
    draft_discard,
    draft_save,
    drafts_prune,
)
from tickets.services.fields import (
    fields_clean,
    fields_missing_to_resolve,
    ticket_set_fields,
)
from tickets.services.guest_access import ticket_revoke_access_link
from tickets.services.imports import (
    EntryImport,
    EventImport,
    FileImport,
    Imported,
    TicketImport,
    ticket_fields_import,
    ticket_import_more,
    ticket_import_update,
    tickets_import,
)
from tickets.services.intake import (
    SUBJECT_MAX_LENGTH,
    Opened,
    default_plan_for,
    new_access_key,
    ticket_create,
    ticket_open,
    ticket_submit,
)
from tickets.services.lifecycle import (
    ticket_change_status,
    ticket_close,
    ticket_reopen,
    ticket_resolve,
    ticket_set_open,
    ticket_set_pending,
)
from tickets.services.merges import (
    LINK_CHOICES,
    LINK_LABELS,
    UNDO_DAYS,
    UNDO_WINDOW,
    ChildrenResolved,
    link_label,
    open_children,
    ticket_link,
    ticket_merge,
    ticket_merge_undo,
    ticket_resolve_children,
    ticket_unlink,
)
from tickets.services.satisfaction import (
    CHOOSE_RATING,
    COMMENT_MAX_LENGTH,
    SURVEY_CLOSED,
    satisfaction_rate,
    satisfaction_surveys_send_due,
)
from tickets.services.search_documents import RebuildBatch, search_documents_rebuild_batch
from tickets.services.tags import (
    MAX_TAGS_PER_TICKET,
    may_manage_tags,
    tag_clean_name,
    tag_get_or_create,
    tag_rename,
    tags_delete,
    tags_get_or_create_many,
    tags_merge,
    ticket_add_tag,
    ticket_remove_tag,
)
from tickets.services.tasks import (
    OPEN_TASKS,
    UNSET,
    task_assign,
    task_complete,
    task_create,
    task_delete,
    task_edit,
    task_reopen,
)
from tickets.services.time_spent import MINUTES_INVALID, clean_minutes, ticket_log_time
from tickets.services.triage import ticket_set_plan, ticket_set_priority

__all__ = [
    "BODY_MAX_LENGTH",
    "BULK_ACTIONS",
    "CHOOSE_RATING",
    "COMMENT_MAX_LENGTH",
    "DRAFT_TOO_LONG",
    "KEEP_AFTER_CLOSE",
    "LINK_CHOICES",
    "LINK_LABELS",
    "MAX_COLLABORATORS",
    "MAX_TAGS_PER_TICKET",
    "MAX_TICKETS",
    "MINUTES_INVALID",
    "NEW_MESSAGE_ARRIVED",
    "OPEN_TASKS",
    "STATUS_CHANGE",
    "SUBJECT_MAX_LENGTH",
    "SURVEY_CLOSED",
    "UNDO_DAYS",
    "UNDO_WINDOW",
    "UNSET",
    "BulkOutcome",
    "ChildrenResolved",
    "DeliveryFailure",
    "EntryImport",
    "EventImport",
    "FileImport",
    "Imported",
    "Opened",
    "RebuildBatch",
    "TicketImport",
    "bounce_note_text",
    "clean_minutes",
    "default_plan_for",
    "draft_discard",
    "draft_save",
    "drafts_prune",
    "fields_clean",
    "fields_missing_to_resolve",
    "link_label",
    "mail_suppression_clear",
    "may_manage_tags",
    "new_access_key",
    "open_children",
    "satisfaction_rate",
    "satisfaction_surveys_send_due",
    "search_documents_rebuild_batch",
    "tag_clean_name",
    "tag_get_or_create",
    "tag_rename",
    "tags_delete",
    "tags_get_or_create_many",
    "tags_merge",
    "task_assign",
    "task_complete",
    "task_create",
    "task_delete",
    "task_edit",
    "task_reopen",
    "ticket_add_collaborator",
    "ticket_add_external_message",
    "ticket_add_message",
    "ticket_add_note",
    "ticket_add_tag",
    "ticket_assign",
    "ticket_auto_assign",
    "ticket_bulk_apply",
    "ticket_change_status",
    "ticket_claim",
    "ticket_close",
    "ticket_create",
    "ticket_fields_import",
    "ticket_import_more",
    "ticket_import_update",
    "ticket_link",
    "ticket_log_time",
    "ticket_merge",
    "ticket_merge_undo",
    "ticket_open",
    "ticket_record_bounce",
    "ticket_remove_collaborator",
    "ticket_remove_tag",
    "ticket_reopen",
    "ticket_reply",
    "ticket_resolve",
    "ticket_resolve_children",
    "ticket_resume_mail",
    "ticket_revoke_access_link",
    "ticket_set_fields",
    "ticket_set_open",
    "ticket_set_pending",
    "ticket_set_plan",
    "ticket_set_priority",
    "ticket_submit",
    "ticket_transfer",
    "ticket_unlink",
    "tickets_auto_assign",
    "tickets_import",
]
