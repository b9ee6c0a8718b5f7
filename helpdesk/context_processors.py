"""Template context for every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.roles import is_agent


def site(request):
    return {"site_name": settings.SITE_NAME}


def roles(request):
    """`user_is_agent`: asked once per request, and only by a page that shows it."""
    user = getattr(request, "user", None)
    return {"user_is_agent": SimpleLazyObject(lambda: is_agent(user))}
