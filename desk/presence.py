"""Who else is looking at a ticket, and who is writing on it: collision hints in the cache.

Each open ticket page sends a heartbeat every HEARTBEAT_SECONDS (htmx) saying whether the
agent is typing; an agent not heard from for STALE_SECONDS is gone. One cache entry per
ticket holds everyone's last heartbeat. Two heartbeats landing at the same instant may
overwrite each other; the loser reappears with its next heartbeat, a few seconds later,
which is good enough for a hint. Nothing here is a lock: the reply itself is protected by
ticket_reply's check for new messages.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_SECONDS = 10
STALE_SECONDS = 30


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    writing: bool
    seen: float  # epoch seconds


def _key(ticket_id: int) -> str:
    return f"ticket-presence:{ticket_id}"


def _fresh(entries: dict, now: float) -> dict:
    return {uid: e for uid, e in entries.items() if now - e["seen"] <= STALE_SECONDS}


def presence_touch(*, ticket_id: int, user, writing: bool = False) -> None:
    """Record that `user` has the ticket open (and is writing, if so)."""
    now = timezone.now().timestamp()
    entries = _fresh(cache.get(_key(ticket_id)) or {}, now)
    entries[user.pk] = {"name": str(user), "writing": bool(writing), "seen": now}
    cache.set(_key(ticket_id), entries, STALE_SECONDS * 2)


def presence_leave(*, ticket_id: int, user) -> None:
    entries = cache.get(_key(ticket_id)) or {}
    if entries.pop(user.pk, None) is not None:
        cache.set(_key(ticket_id), entries, STALE_SECONDS * 2)


def presence_others(*, ticket_id: int, user) -> list[Presence]:
    """Other agents on the ticket right now, writers first, then by name."""
    now = timezone.now().timestamp()
    entries = _fresh(cache.get(_key(ticket_id)) or {}, now)
    others = [
        Presence(user_id=uid, name=e["name"], writing=e["writing"], seen=e["seen"])
        for uid, e in entries.items()
        if uid != user.pk
    ]
    return sorted(others, key=lambda p: (not p.writing, p.name.lower()))
