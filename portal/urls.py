from django.urls import path

import web.converters  # noqa: F401  (registers <ticket_number:...>)
from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
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
