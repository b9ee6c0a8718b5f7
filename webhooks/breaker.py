"""The circuit breaker, and the endpoint's health after each attempt.

An endpoint that failed at least BREAKER_FAILURE_SHARE of its last BREAKER_WINDOW
attempts within BREAKER_PERIOD (and at least BREAKER_MIN_ATTEMPTS of them) is paused for
settings.WEBHOOK_BREAKER_PAUSE_SECONDS: its deliveries wait, no attempt is spent on them,
and no worker time. When the pause ends, one delivery is sent as a probe: if it succeeds
the endpoint goes on as before, if it fails the pause starts again. Other endpoints never
notice: each has its own sender (webhooks/sending.py).

An endpoint that has failed every attempt for DISABLE_AFTER is disabled and its owner told.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from webhooks.models import WebhookAttempt, WebhookEndpoint
from webhooks.outcomes import Outcome
from webhooks.services import webhook_endpoint_disable

logger = logging.getLogger(__name__)

BREAKER_WINDOW = 20
BREAKER_MIN_ATTEMPTS = 10
BREAKER_PERIOD = timedelta(minutes=10)
BREAKER_FAILURE_SHARE = 0.8
DISABLE_AFTER = timedelta(days=3)


def is_paused(endpoint: WebhookEndpoint, now: datetime) -> bool:
    return endpoint.paused_until is not None and endpoint.paused_until > now


def is_probing(endpoint: WebhookEndpoint) -> bool:
    """The pause is over and its one probe not yet answered."""
    return endpoint.paused_until is not None and endpoint.paused_until <= timezone.now()


def pause_length() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_BREAKER_PAUSE_SECONDS)


def after_attempt(*, endpoint_id: int, outcome: Outcome, probe: bool) -> None:
    """In the transaction that records the attempt."""
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if outcome.disable_reason:
        webhook_endpoint_disable(endpoint=endpoint, reason=outcome.disable_reason)
        return
    if outcome.delivered:
        _healthy(endpoint, now)
        return
    fields = ["failing_since"]
    endpoint.failing_since = endpoint.failing_since or now
    if now - endpoint.failing_since >= DISABLE_AFTER:
        days = DISABLE_AFTER.days
        webhook_endpoint_disable(
            endpoint=endpoint,
            reason=f"Every attempt failed for {days} days; the last error: {outcome.error}"[:300],
        )
        return
    if probe or _tripped(endpoint, now):
        endpoint.paused_until = now + pause_length()
        fields.append("paused_until")
        logger.warning("Webhook endpoint %s paused until %s", endpoint.pk, endpoint.paused_until)
    endpoint.save(update_fields=fields)


def _healthy(endpoint: WebhookEndpoint, now: datetime) -> None:
    if endpoint.failing_since is None and endpoint.paused_until is None:
        return
    fields = ["failing_since"]
    endpoint.failing_since = None
    if endpoint.paused_until is not None:
        # Closed again: the failures that tripped it no longer count.
        endpoint.paused_until, endpoint.breaker_reset_at = None, now
        fields += ["paused_until", "breaker_reset_at"]
    endpoint.save(update_fields=fields)


def _tripped(endpoint: WebhookEndpoint, now: datetime) -> bool:
    since = now - BREAKER_PERIOD
    if endpoint.breaker_reset_at is not None and endpoint.breaker_reset_at > since:
        since = endpoint.breaker_reset_at
    recent = list(
        WebhookAttempt.objects.filter(endpoint_id=endpoint.pk, at__gte=since)
        .order_by("-at", "-id")
        .values_list("succeeded", flat=True)[:BREAKER_WINDOW]
    )
    if len(recent) < BREAKER_MIN_ATTEMPTS:
        return False
    return recent.count(False) / len(recent) >= BREAKER_FAILURE_SHARE
