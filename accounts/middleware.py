"""Per-request concerns of signed-in people: their time zone, their session's activity, and
holding a session at the second factor until it is given."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts import two_factor
from accounts.sessions import session_idle_expired, session_touch
from accounts.two_factor import is_verified, step_url, two_factor_step


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


class TwoFactorMiddleware:
    """A session that logged in with a password but still owes its second factor reaches
    only the code step (or enrolment, for staff who have none yet), logout and static
    files; every other page sends it there, and back afterwards (`next`).

    Cheap for everyone else: the login notes in the session whether a step is owed
    (accounts.two_factor.two_factor_session_start), so a session that owes nothing costs
    no query here. A session older than this middleware is asked once.
    """

    # Besides the step's own page.
    ALLOWED_URL_NAMES = frozenset({"accounts:logout", "csp_report"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not is_verified(user):
            response = self._hold(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    def _hold(self, request, user):
        marker = request.session.get(two_factor.SESSION_KEY)
        if marker == two_factor.STEP_NONE:
            return None
        step = two_factor_step(user)
        owed = two_factor.STEP_PENDING if step else two_factor.STEP_NONE
        if marker != owed:  # saving the session only when this changes
            request.session[two_factor.SESSION_KEY] = owed
        if step is None:
            return None
        step_view = f"accounts:two_factor_{step}"
        if self._allowed(request, step_view):
            return None
        url = step_url(step, request.get_full_path())
        if request.headers.get("HX-Request"):
            # An htmx request (a poll, a button) would swap the step's page into a part
            # of the page: htmx loads the whole page instead.
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return redirect(url)

    def _allowed(self, request, step_view: str) -> bool:
        if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name == step_view or match.view_name in self.ALLOWED_URL_NAMES
