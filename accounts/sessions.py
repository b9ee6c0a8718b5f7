"""Signed-in sessions: what a person sees of theirs, ending them, agents' idle expiry.

Sessions are Django's database sessions; `UserSession` is a side table keyed by the session
row, written by `session_touch` (called by accounts.middleware.SessionActivityMiddleware)
at most once a minute per session: the session itself remembers when it was last touched,
so the other requests of that minute cost no query. Deleting a session row deletes its
side row, so logout, expiry and "end this session" all leave the list right.
"""

import re
import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts.audit import AuditKind, audit_record, ip_or_none
from accounts.models import UserSession
from accounts.ratelimit import client_ip
from accounts.roles import is_agent

TOUCH_INTERVAL_SECONDS = 60
# Kept in the session itself: which session key was last recorded, and when (epoch s);
# and for agents, the idle limit in seconds.
SEEN_KEY = "_seen"
IDLE_KEY = "_idle_limit"
# The session row outlives the idle limit by this much, so that someone coming back a
# little later is told why they were signed out (the limit itself is checked against the
# time kept in the session, by session_idle_expired); after that it simply expires.
IDLE_GRACE_SECONDS = 24 * 60 * 60


# Devices: a short label from the user agent -------------------------------------------

_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|Chromium/|CriOS/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux|X11"),
)


def device_label(user_agent: str) -> str:
    """ "Firefox on Windows", "Safari on iPhone"; "Unknown device" when nothing is known."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


# Recording activity -------------------------------------------------------------------


def session_background(request) -> None:
    """Say that the page made this request on its own (a poll, a heartbeat), not the
    person: it does not count as activity, so an open tab never keeps an agent signed in."""
    request.session_background = True


def session_idle_expired(request) -> bool:
    """True when an agent's session went unused for longer than its idle limit."""
    limit = request.session.get(IDLE_KEY)
    seen = request.session.get(SEEN_KEY)
    if not limit or not seen:
        return False
    return time.time() - seen[1] > limit


def session_touch(*, request, user) -> UserSession | None:
    """Record that `user`'s signed-in session was used, once a minute at most."""
    session = request.session
    key = session.session_key
    seen = session.get(SEEN_KEY)
    now = time.time()
    if key is None or (seen and seen[0] == key and now - seen[1] < TOUCH_INTERVAL_SECONDS):
        return None
    # A new key (a login, or a password change cycled it) is a new row.
    session[SEEN_KEY] = [key, now]
    if is_agent(user):
        limit = settings.AGENT_SESSION_IDLE_MINUTES * 60
        session[IDLE_KEY] = limit
        session.set_expiry(limit + IDLE_GRACE_SECONDS)
    try:
        with transaction.atomic():
            row, _ = UserSession.objects.update_or_create(
                session_id=key,
                defaults={
                    "user": user,
                    "ip_address": ip_or_none(client_ip(request)),
                    "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
                    "last_seen_at": timezone.now(),
                },
            )
    except IntegrityError:  # the session row is gone: ended from another device just now
        return None
    return row


# Reading and ending ---------------------------------------------------------------------


def user_sessions_list(*, user) -> list[UserSession]:
    """The user's sessions that have not expired, most recently used first."""
    return list(
        UserSession.objects.filter(user=user, session__expire_date__gt=timezone.now())
        .only("id", "session_id", "ip_address", "user_agent", "created_at", "last_seen_at")
        .order_by("-last_seen_at", "-id")
    )


def _described(rows) -> dict:
    sessions = [
        {
            "ip_address": row.ip_address,
            "device": device_label(row.user_agent),
            "last_seen_at": row.last_seen_at,
        }
        for row in rows
    ]
    return {"count": len(sessions), "sessions": sessions}


@transaction.atomic
def session_end(*, user, session_id: int, request) -> None:
    """The user ends one of their other sessions; someone else's is "not found"."""
    row = (
        UserSession.objects.select_for_update()
        .filter(pk=session_id, user=user)
        .exclude(session_id=request.session.session_key)
        .first()
    )
    if row is None:
        raise Http404("No such session.")
    audit_record(
        kind=AuditKind.SESSION_ENDED,
        actor=user,
        request=request,
        target=user,
        data=_described([row]),
    )
    Session.objects.filter(pk=row.session_id).delete()


@transaction.atomic
def sessions_end_others(*, user, request) -> int:
    """The user ends every session but this one; how many there were."""
    rows = list(
        UserSession.objects.select_for_update()
        .filter(user=user)
        .exclude(session_id=request.session.session_key)
    )
    if rows:
        audit_record(
            kind=AuditKind.SESSION_ENDED,
            actor=user,
            request=request,
            target=user,
            data=_described(rows),
        )
    return sessions_end_for_user(user=user, keep_session_key=request.session.session_key)


@transaction.atomic
def sessions_end_for_user(*, user, keep_session_key: str | None = None) -> int:
    """End every session of the user but the one kept; how many were ended."""
    sessions = Session.objects.filter(user_session__user=user)
    if keep_session_key:
        sessions = sessions.exclude(pk=keep_session_key)
    ended = list(sessions.values_list("pk", flat=True))
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def sessions_prune_expired() -> int:
    """Delete expired sessions (and so their side rows), as `clearsessions` does."""
    _, deleted = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted.get(Session._meta.label, 0)
