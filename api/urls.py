from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import web.converters  # noqa: F401  (registers <ticket_number:...>)
from api import kb, reference, task_views, views, webhooks, writes
from api.osticket import views as osticket

app_name = "api"

urlpatterns = [
    path("v1/me/", views.MeView.as_view(), name="me"),
    path("v1/departments/", views.DepartmentList.as_view(), name="departments"),
    path("v1/tickets/", writes.TicketCollection.as_view(), name="tickets"),
    path("v1/tickets/<ticket_number:number>/", writes.TicketResource.as_view(), name="ticket"),
    path(
        "v1/tickets/<ticket_number:number>/attachments/<int:pk>/",
        views.AttachmentDownload.as_view(),
        name="attachment",
    ),
    path("v1/tickets/<ticket_number:number>/replies/", writes.ReplyCreate.as_view(), name="reply"),
    path("v1/tickets/<ticket_number:number>/notes/", writes.NoteCreate.as_view(), name="note"),
    path(
        "v1/tickets/<ticket_number:number>/time-entries/",
        writes.TimeEntryCollection.as_view(),
        name="time_entries",
    ),
    path(
        "v1/tickets/<ticket_number:number>/actions/<slug:name>/",
        writes.TicketAction.as_view(),
        name="action",
    ),
    path(
        "v1/tickets/<ticket_number:number>/tasks/",
        task_views.TaskCollection.as_view(),
        name="tasks",
    ),
    path(
        "v1/tickets/<ticket_number:number>/tasks/<int:pk>/",
        task_views.TaskResource.as_view(),
        name="task",
    ),
    path(
        "v1/tickets/<ticket_number:number>/tasks/<int:pk>/complete/",
        task_views.TaskComplete.as_view(),
        name="task_complete",
    ),
    path(
        "v1/tickets/<ticket_number:number>/tasks/<int:pk>/reopen/",
        task_views.TaskReopen.as_view(),
        name="task_reopen",
    ),
    path("v1/me/tickets/", reference.MyTickets.as_view(), name="my_tickets"),
    path("v1/help-topics/", reference.HelpTopicList.as_view(), name="help_topics"),
    path("v1/sla-plans/", reference.SLAPlanList.as_view(), name="sla_plans"),
    path("v1/agents/", reference.AgentList.as_view(), name="agents"),
    path("v1/users/", reference.UserCollection.as_view(), name="users"),
    path("v1/users/<int:pk>/", reference.UserDetail.as_view(), name="user"),
    path("v1/events/", reference.EventFeed.as_view(), name="events"),
    path("v1/webhooks/", webhooks.WebhookEndpointCollection.as_view(), name="webhooks"),
    path("v1/webhooks/<int:pk>/", webhooks.WebhookEndpointDetail.as_view(), name="webhook"),
    path(
        "v1/webhooks/<int:pk>/rotate-secret/",
        webhooks.WebhookSecretRotate.as_view(),
        name="webhook_rotate_secret",
    ),
    path(
        "v1/webhooks/<int:pk>/deliveries/",
        webhooks.WebhookDeliveryList.as_view(),
        name="webhook_deliveries",
    ),
    path(
        "v1/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        webhooks.WebhookRedeliver.as_view(),
        name="webhook_redeliver",
    ),
    path("v1/kb/articles/", kb.ArticleSearch.as_view(), name="kb_articles"),
    path("v1/kb/articles/<int:pk>/", kb.ArticleDetail.as_view(), name="kb_article"),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so
    # the page keeps our Content-Security-Policy.
    path("v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # osTicket's API (api/osticket/), with and without its front controller's name.
    re_path(
        r"^(?:http\.php/)?tickets\.(?P<format>json|xml|email)$",
        osticket.tickets,
        name="osticket_tickets",
    ),
    re_path(r"^(?:http\.php/)?tasks/cron$", osticket.cron, name="osticket_cron"),
    re_path(
        r"^(?:http\.php(?:/.*)?|tickets(?:[./].*)?|tasks(?:/.*)?|users\..*)$",
        osticket.not_supported,
        name="osticket_other",
    ),
]
