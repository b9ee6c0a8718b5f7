"""Sending: one sender per endpoint at a time, each endpoint on its own.

`endpoint_send_due(endpoint_id)` is what the worker runs when an endpoint is woken (after
the commit of new deliveries, by the beat sweep, by a redelivery). It takes the
endpoint's sender lease (a conditional UPDATE: of several tasks for one endpoint, one
sends and the others return at once), then claims the endpoint's due deliveries one at a
time (SKIP LOCKED, with a lease of its own) and sends each, until none is due or its time
budget is spent (then it hands over to a fresh task, so other endpoints get the worker).
So one slow or dead endpoint holds at most one worker process, never another endpoint's
deliveries; and a failing delivery is rescheduled, never in the way of the next one.

`webhooks_sweep()` (beat, every 30 s) claims due deliveries nobody has picked up (a lost
task, a flushed Redis, a killed worker whose lease ran out) with FOR UPDATE SKIP LOCKED,
so two sweeps share them, marks them handed over, and wakes their endpoints.

A worker killed mid-send leaves the delivery claimed until its lease ends; it is then due
again and goes out with the same webhook-id (receivers de-duplicate on it).
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.enqueue import enqueue
from webhooks import breaker, network
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.outcomes import Outcome, judge
from webhooks.signing import webhook_headers
from webhooks.wakeup import SEND_TASK, endpoint_sender_awake

logger = logging.getLogger(__name__)

# A sender renews its endpoint lease before each delivery; a send takes at most the HTTP
# timeout, so a lease this long outlives every live sender and few dead ones.
SENDER_LEASE = timedelta(seconds=60)
# A claimed delivery is due again this long after its claim, if nobody recorded an answer.
SEND_LEASE = timedelta(seconds=60)
# The sweep leaves what it handed over alone this long.
DISPATCH_LEASE = timedelta(minutes=2)
# How long one task sends for one endpoint before handing over to a new task.
SENDER_BUDGET_SECONDS = 20.0
SWEEP_LIMIT = 2000

OWED = (WebhookDelivery.State.PENDING, WebhookDelivery.State.FAILED)


@dataclass
class Claimed:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    probe: bool  # the one attempt after the circuit breaker's pause


def endpoint_send_due(*, endpoint_id: int, budget: float = SENDER_BUDGET_SECONDS) -> int:
    """Send this endpoint's due deliveries; returns how many were attempted."""
    deadline = time.monotonic() + budget
    attempted = 0
    while True:
        if not _take_sender_lease(endpoint_id):
            return attempted  # another worker is sending for it, and will see our rows
        spent = False
        try:
            while True:
                if time.monotonic() >= deadline:
                    spent = True
                    break
                claimed = _claim_next(endpoint_id)
                if claimed is None:
                    break
                attempt_send(claimed)
                attempted += 1
        finally:
            _release_sender_lease(endpoint_id)
        if spent:
            enqueue(SEND_TASK, endpoint_id)
            return attempted
        endpoint_sender_awake(endpoint_id)
        if not _has_due(endpoint_id):
            return attempted


def _take_sender_lease(endpoint_id: int) -> bool:
    now = timezone.now()
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
        .filter(Q(sender_until__isnull=True) | Q(sender_until__lt=now))
        .update(sender_until=now + SENDER_LEASE)
    )


def _release_sender_lease(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(sender_until=None)


def _due(endpoint_id: int, now: datetime):
    return WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id, state__in=OWED, next_attempt_at__lte=now
    )


def _has_due(endpoint_id: int) -> bool:
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None or breaker.is_paused(endpoint, now):
        return False
    return _due(endpoint_id, now).exists()


def _claim_next(endpoint_id: int) -> Claimed | None:
    """The endpoint's earliest due delivery, claimed for one send; None when nothing is due,
    the endpoint is paused or gone, or the one probe after a pause has been sent."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).first()
        if endpoint is None or breaker.is_paused(endpoint, now):
            return None
        delivery = (
            _due(endpoint_id, now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + SEND_LEASE
        delivery.dispatched_until = None
        delivery.save(update_fields=["attempts", "next_attempt_at", "dispatched_until"])
        if endpoint.sender_until is None or endpoint.sender_until - now < SENDER_LEASE / 2:
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(sender_until=now + SENDER_LEASE)
    return Claimed(delivery=delivery, endpoint=endpoint, probe=breaker.is_probing(endpoint))


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secret, and the previous one while its 24 hours after a rotation last."""
    secrets_in_use = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets_in_use.append(endpoint.previous_secret)
    return secrets_in_use


def attempt_send(claimed: Claimed) -> Outcome:
    """One attempt: sign now, POST, record the answer and what follows from it."""
    delivery, endpoint = claimed.delivery, claimed.endpoint
    now = timezone.now()
    headers = webhook_headers(
        webhook_id=delivery.webhook_id,
        timestamp=now,
        body=delivery.payload,
        secrets_in_use=signing_secrets(endpoint, now),
    )
    answer = network.post(endpoint.url, delivery.payload.encode(), headers)
    outcome = judge(answer, attempts=delivery.attempts, now=timezone.now())
    _record(claimed, answer, outcome)
    return outcome


def _record(claimed: Claimed, answer: network.Answer, outcome: Outcome) -> None:
    delivery, endpoint = claimed.delivery, claimed.endpoint
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            endpoint=endpoint,
            at=now,
            succeeded=outcome.delivered,
            status_code=answer.status,
            duration_ms=answer.duration_ms,
            error=outcome.error[:500],
            response_excerpt=answer.excerpt,
        )
        delivery.state = outcome.state
        delivery.next_attempt_at = outcome.next_attempt_at
        delivery.last_status = answer.status
        delivery.last_error = outcome.error[:500]
        delivery.delivered_at = now if outcome.delivered else None
        delivery.save(
            update_fields=["state", "next_attempt_at", "last_status", "last_error", "delivered_at"]
        )
        healthy = endpoint.failing_since is None and endpoint.paused_until is None
        if not (outcome.delivered and healthy):  # a healthy endpoint stays so: nothing to do
            breaker.after_attempt(endpoint_id=endpoint.pk, outcome=outcome, probe=claimed.probe)


def webhooks_sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Hand over due deliveries that no sender has taken; wake their endpoints. Returns
    how many were handed over."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=OWED, next_attempt_at__lte=now, endpoint__is_active=True)
            .filter(Q(dispatched_until__isnull=True) | Q(dispatched_until__lt=now))
            .exclude(endpoint__paused_until__gt=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", "endpoint_id")[:limit]
        )
        if not rows:
            return 0
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            dispatched_until=now + DISPATCH_LEASE
        )
        # Straight to the task, past the wake-up key: a key left by a lost task must not
        # stop the safety net.
        for endpoint_id in sorted({endpoint_id for _, endpoint_id in rows}):
            transaction.on_commit(_wake_now(endpoint_id), robust=True)
    return len(rows)


def _wake_now(endpoint_id: int):
    return lambda: enqueue(SEND_TASK, endpoint_id)
