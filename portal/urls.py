from django.urls import path

import web.converters  # noqa: F401  (registers <ticket_number:...>)
from portal import help, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    # The help centre (portal/help.py, docs/decisions/0032-knowledge-base.md).
    path("help/", help.help_home, name="help_home"),
    path("help/search/", help.help_search, name="help_search"),
    path("help/suggest/", help.help_suggest, name="help_suggest"),
    path("help/categories/<slug:slug>/", help.help_category, name="help_category"),
    path("help/articles/<slug:slug>/", help.help_article, name="help_article"),
    path("help/articles/<slug:slug>/feedback/", help.help_feedback, name="help_feedback"),
    # Under kb.models.IMAGE_URL_PREFIX, the only images an article may show.
    path("help/images/<str:token>/", help.help_image, name="help_image"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/new/fields/", views.ticket_new_fields, name="ticket_new_fields"),
    path("tickets/new/done/<str:token>/", views.ticket_submitted, name="ticket_submitted"),
    path("tickets/<ticket_number:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<ticket_number:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path(
        "tickets/<ticket_number:number>/solved/",
        views.ticket_mark_solved,
        name="ticket_mark_solved",
    ),
    path(
        "tickets/<ticket_number:number>/access/<str:key>/",
        views.ticket_access,
        name="ticket_access",
    ),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("survey/<str:token>/stop/", views.survey_stop, name="survey_stop"),
    path(
        "tickets/<ticket_number:number>/files/<str:token>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "tickets/<ticket_number:number>/files/<str:token>/inline/",
        views.attachment_inline,
        name="attachment_inline",
    ),
]
