"""URLs of the desk's API keys page (api/pages.py), mounted at /agent/api-keys/ by
helpdesk/urls.py."""

from django.urls import path

from api import pages

app_name = "api_keys"

urlpatterns = [
    path("", pages.key_list, name="list"),
    path("new/", pages.key_new, name="new"),
    path("<int:pk>/revoke/", pages.key_revoke, name="revoke"),
]
