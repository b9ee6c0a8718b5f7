"""URLs of the agent workspace, mounted at /agent/ by helpdesk/urls.py."""

from django.urls import path

from desk import views

app_name = "agent"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("merge/", views.merge, name="merge"),
    path("search/", views.search, name="search"),
    path("reports/", views.reports, name="reports"),
    path("reports/satisfaction/", views.satisfaction, name="satisfaction"),
    path("reports/export.csv", views.report_export, name="report_export"),
    path("reports/tickets.csv", views.tickets_export, name="tickets_export"),
    path("reports/tickets.xlsx", views.tickets_export_xlsx, name="tickets_export_xlsx"),
    path("reports/exports/", views.report_exports, name="report_exports"),
    path(
        "reports/exports/<int:pk>/download/",
        views.report_export_download,
        name="report_export_download",
    ),
    path("availability/", views.availability, name="availability"),
    # The knowledge base (desk/views/kb.py, docs/decisions/0032-knowledge-base.md).
    path("kb/", views.kb_list, name="kb_list"),
    path("kb/new/", views.kb_new, name="kb_new"),
    path("kb/lookup/", views.kb_lookup, name="kb_lookup"),
    path("kb/figures/", views.kb_figures, name="kb_figures"),
    path("kb/<int:pk>/", views.kb_article, name="kb_article"),
    path("kb/<int:pk>/edit/", views.kb_edit, name="kb_edit"),
    path("kb/<int:pk>/state/", views.kb_state, name="kb_state"),
    path("kb/<int:pk>/images/", views.kb_image_add, name="kb_image_add"),
    path(
        "kb/<int:pk>/images/<int:image_pk>/delete/",
        views.kb_image_delete,
        name="kb_image_delete",
    ),
    path("tickets/<int:number>/", views.ticket, name="ticket"),
    path("tickets/<int:number>/reply/", views.reply, name="reply"),
    path("tickets/<int:number>/note/", views.note, name="note"),
    path("tickets/<int:number>/presence/", views.heartbeat, name="presence"),
    path("tickets/<int:number>/draft/<slug:box>/", views.draft_save, name="draft"),
    path(
        "tickets/<int:number>/draft/<slug:box>/discard/",
        views.draft_discard,
        name="draft_discard",
    ),
    path(
        "tickets/<int:number>/entries/<int:entry_id>/headers/",
        views.entry_headers,
        name="entry_headers",
    ),
    path("tickets/<int:number>/fields/", views.fields, name="fields"),
    path("tasks/", views.my_tasks, name="tasks"),
    path("tickets/<int:number>/tasks/", views.task_add, name="task_add"),
    path("tickets/<int:number>/tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("tickets/<int:number>/resolve/confirm/", views.resolve_confirm, name="resolve_confirm"),
    path("tickets/<int:number>/<slug:name>/", views.action, name="action"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("attachments/<int:pk>/inline/", views.attachment_inline, name="attachment_inline"),
]
