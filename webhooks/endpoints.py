"""The active endpoints, as the fan-out needs them, without a query per event.

Every change to an endpoint goes through webhooks.services, which calls `endpoints_changed`:
it gives the set a new random version in the shared cache (Redis), now and again after
commit. Each process keeps the set it last read with the version it read it under, and
reads the database again only when the shared version differs (or is gone: a flushed
Redis). So an event costs a cache read, and no query, however many or few endpoints there
are. Without Redis (the embedded mode's per-process cache) the copy is kept for
LOCAL_TTL seconds, so a change made in the admin reaches the worker that soon.
"""

import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from webhooks.models import EventType, WebhookEndpoint

logger = logging.getLogger(__name__)

VERSION_KEY = "webhooks:endpoints-version"
LOCAL_TTL = 5.0


@dataclass(frozen=True)
class EndpointRule:
    """What an active endpoint wants."""

    id: int
    events: frozenset[str]
    departments: frozenset[int]  # empty: every department
    include_notes: bool

    def wants(self, event_type: str, departments: set[int]) -> bool:
        if event_type == EventType.NOTE_CREATED:
            wanted = self.include_notes
        else:
            wanted = event_type in self.events
        return wanted and (not self.departments or not self.departments.isdisjoint(departments))


@dataclass
class _Copy:
    version: str | None = None
    rules: tuple[EndpointRule, ...] = ()
    read_at: float = 0.0
    valid: bool = False


_copy = _Copy()


def active_endpoints() -> tuple[EndpointRule, ...]:
    """The active endpoints' rules, from this process's copy while it is current."""
    try:
        version = _shared_version()
    except Exception:  # a cache that does not answer must not stop a ticket's change
        logger.warning("Webhook endpoint cache unavailable; reading the database", exc_info=True)
        return _load()
    fresh = settings.REDIS_URL or time.monotonic() - _copy.read_at < LOCAL_TTL
    if _copy.valid and _copy.version == version and fresh:
        return _copy.rules
    rules = _load()
    _copy.version, _copy.rules, _copy.read_at, _copy.valid = (
        version,
        rules,
        time.monotonic(),
        True,
    )
    return rules


def endpoints_changed() -> None:
    """Call in the transaction that changes an endpoint: every process reads them again."""
    _bump()
    # Again after commit: a process that read the old rows between the first bump and the
    # commit must not keep them.
    transaction.on_commit(_bump)


def _bump() -> None:
    _copy.valid = False
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("Webhook endpoint cache unavailable", exc_info=True)


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _load() -> tuple[EndpointRule, ...]:
    endpoints = WebhookEndpoint.objects.filter(is_active=True).prefetch_related("departments")
    return tuple(
        EndpointRule(
            id=endpoint.pk,
            events=frozenset(endpoint.events or ()),
            departments=frozenset(d.pk for d in endpoint.departments.all()),
            include_notes=endpoint.include_notes,
        )
        for endpoint in endpoints
    )
