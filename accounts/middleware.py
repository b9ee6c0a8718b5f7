"""Per-request concerns of signed-in people: their time zone, their session's activity."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone

from accounts.sessions import session_idle_expired, session_touch


class UserTimeZoneMiddleware:
    """Show times in the viewer's own zone: each user chooses theirs on the profile page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


IDLE_MESSAGE = "You were signed out after a while without activity. Please sign in again."


class SessionActivityMiddleware:
    """Ends agents' sessions left idle too long, and records each session's last activity
    (at most once a minute: accounts/sessions.py). After the auth and messages middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and session_idle_expired(request):
            logout(request)
            messages.info(request, IDLE_MESSAGE)
            if request.headers.get("HX-Request"):
                # A partial would swap the login page into the page: htmx loads it whole.
                return HttpResponse(
                    status=204, headers={"HX-Redirect": resolve_url(settings.LOGIN_URL)}
                )
        response = self.get_response(request)
        if request.user.is_authenticated and not getattr(request, "session_background", False):
            session_touch(request=request, user=request.user)
        return response
