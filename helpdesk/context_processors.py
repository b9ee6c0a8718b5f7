"""Template context for every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.roles import is_agent
from api.keys import may_manage_api_keys


def site(request):
    return {"site_name": settings.SITE_NAME}


def roles(request):
    """`user_is_agent`, `user_may_manage_api_keys`: each asked once per request, and only
    by a page that shows it."""
    user = getattr(request, "user", None)
    return {
        "user_is_agent": SimpleLazyObject(lambda: is_agent(user)),
        "user_may_manage_api_keys": SimpleLazyObject(lambda: may_manage_api_keys(user)),
    }
