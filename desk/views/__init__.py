"""The agent workspace at /agent/: the queue and search, the ticket page, drafts.

Every view requires an active agent (or a superuser); tickets are fetched through
tickets.access, which answers 404 for a ticket outside the agent's departments. Views are
thin: a form validates, one service is called, and the page (or, for htmx, the part of it
that changed) answers.
"""

from desk.views.availability import availability
from desk.views.drafts import draft_discard, draft_save
from desk.views.exports import (
    report_export,
    report_export_download,
    report_exports,
    tickets_export,
    tickets_export_xlsx,
)
from desk.views.kb import (
    kb_article,
    kb_edit,
    kb_figures,
    kb_image_add,
    kb_image_delete,
    kb_list,
    kb_lookup,
    kb_new,
    kb_state,
)
from desk.views.queue import bulk, queue, search
from desk.views.reports import reports
from desk.views.satisfaction import satisfaction
from desk.views.tasks import (
    my_tasks,
    resolve_confirm,
    task_add,
    task_complete,
    task_delete,
    task_edit,
    task_new,
    task_reopen,
)
from desk.views.ticket import (
    action,
    attachment,
    attachment_inline,
    entry_headers,
    fields,
    heartbeat,
    merge,
    note,
    reply,
    ticket,
)

__all__ = [
    "action",
    "attachment",
    "attachment_inline",
    "availability",
    "bulk",
    "draft_discard",
    "draft_save",
    "entry_headers",
    "fields",
    "heartbeat",
    "kb_article",
    "kb_edit",
    "kb_figures",
    "kb_image_add",
    "kb_image_delete",
    "kb_list",
    "kb_lookup",
    "kb_new",
    "kb_state",
    "merge",
    "my_tasks",
    "note",
    "queue",
    "reply",
    "report_export",
    "report_export_download",
    "report_exports",
    "reports",
    "resolve_confirm",
    "satisfaction",
    "search",
    "task_add",
    "task_complete",
    "task_delete",
    "task_edit",
    "task_new",
    "task_reopen",
    "ticket",
    "tickets_export",
    "tickets_export_xlsx",
]
