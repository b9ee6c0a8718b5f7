"""Waking an endpoint's sender: one task per endpoint after the commit that owes it work.

As the email outbox does (tickets/outbox/queue.py): a key in the shared cache says a send
task for the endpoint is queued or running, so a burst of events queues one task per
endpoint, not one per delivery. The sender clears the key before it looks for due rows
for the last time: a delivery committed before that look is found by it, one committed
after queues a new task. A lost task (a flushed Redis) is the beat sweep's to make good.
"""

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from common.enqueue import enqueue

# tasks.py registers the sender under this name.
SEND_TASK = "webhooks.send"
WAKE_TTL = 120  # if a queued task is lost, the sweep and this expiry make good


def _key(endpoint_id: int) -> str:
    return f"webhooks:sender-woken:{endpoint_id}"


def endpoint_wake(endpoint_id: int) -> None:
    """Ask a worker to send this endpoint's due deliveries, unless a task is on its way."""
    if settings.REDIS_URL and not cache.add(_key(endpoint_id), 1, timeout=WAKE_TTL):
        return
    enqueue(SEND_TASK, endpoint_id)


def endpoints_wake_on_commit(endpoint_ids: Iterable[int]) -> None:
    for endpoint_id in sorted(set(endpoint_ids)):
        transaction.on_commit(partial(endpoint_wake, endpoint_id), robust=True)


def endpoint_sender_awake(endpoint_id: int) -> None:
    """The sender is about to look for due rows: deliveries from now on wake another."""
    if settings.REDIS_URL:
        cache.delete(_key(endpoint_id))
