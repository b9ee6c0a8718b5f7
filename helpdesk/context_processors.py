"""Template context for every page."""

from django.conf import settings


def site(request):
    return {"site_name": settings.SITE_NAME}
