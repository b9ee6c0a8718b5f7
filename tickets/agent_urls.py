"""URLs of the agent workspace, mounted at /agent/ by helpdesk/urls.py."""

from django.urls import path

from tickets import agent_views

app_name = "agent"

urlpatterns = [
    path("", agent_views.queue, name="queue"),
    path("bulk/", agent_views.bulk, name="bulk"),
    path("search/", agent_views.search, name="search"),
    path("tickets/<int:number>/", agent_views.ticket, name="ticket"),
    path("tickets/<int:number>/reply/", agent_views.reply, name="reply"),
    path("tickets/<int:number>/note/", agent_views.note, name="note"),
    path("tickets/<int:number>/presence/", agent_views.heartbeat, name="presence"),
    path("tickets/<int:number>/<slug:name>/", agent_views.action, name="action"),
    path("attachments/<int:pk>/", agent_views.attachment, name="attachment"),
]
