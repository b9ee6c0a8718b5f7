"""Reads of API keys for the pages that manage them (the desk's API keys page, the admin's
form): each with the rows its template shows, fetched in one go."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from api.models import ApiKey


def api_key_list() -> list[ApiKey]:
    """Every key, revoked and expired ones too (the history names them), by name."""
    return list(ApiKey.objects.select_related("user", "created_by").order_by("name"))


def api_key_get(*, pk: int) -> ApiKey:
    """The key, or Http404."""
    key = ApiKey.objects.select_related("user").filter(pk=pk).first()
    if key is None:
        raise Http404("No such API key.")
    return key


def api_key_acting_agents(*, by) -> QuerySet[User]:
    """Whom `by` may make a key act as: active agents, and superusers only for a superuser
    (api.keys.may_act_as, which the services check again)."""
    users = User.objects.filter(is_active=True, agent__is_active=True)
    if not getattr(by, "is_superuser", False):
        users = users.exclude(is_superuser=True)
    return users.order_by("display_name", "email")
