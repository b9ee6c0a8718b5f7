"""Queueing emails: outbox rows written in the caller's transaction, and the sender's wake-up.

A change and its email commit together or not at all; the worker sends whatever is unsent,
so a lost Celery message or a killed worker delays an email but never drops or doubles it.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from common.enqueue import enqueue
from tickets.models import Notification, ThreadEntry, Ticket, TicketEvent

# The task that sends the outbox (tickets/tasks.py registers it under this name).
SEND_TASK = "tickets.send_notifications"

# Set while a send task is queued or running, so a burst of changes queues one task, not
# one each. The task clears it *before* it looks for unsent rows: a change committed
# before the clear is found by that look; one committed after it queues a new task.
WAKE_KEY = "tickets:notification-sender-woken"
WAKE_TTL = 60  # if a queued task is lost, beat's next tick sends the mail anyway


def notifications_queue(
    *,
    kind: str,
    ticket: Ticket,
    recipient_ids: Iterable[int],
    event: TicketEvent | None = None,
    entry: ThreadEntry | None = None,
) -> int:
    """Write one outbox row per recipient (each once) and wake the sender after commit.

    Call it inside the transaction of the change the email is about. Returns the number of
    rows written.
    """
    rows = [
        Notification(kind=kind, ticket=ticket, recipient_id=user_id, event=event, entry=entry)
        for user_id in sorted(set(recipient_ids))
    ]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows)
    outbox_wake_on_commit()
    return len(rows)


def outbox_wake() -> None:
    """Ask a worker to send the outbox now, unless a send task is already on its way."""
    # Only a cache shared with the worker can say a task is already on its way.
    if settings.REDIS_URL and not cache.add(WAKE_KEY, 1, timeout=WAKE_TTL):
        return
    enqueue(SEND_TASK)


def outbox_wake_on_commit() -> None:
    """Wake the sender once the current transaction commits (at once outside one)."""
    transaction.on_commit(outbox_wake)


def outbox_sender_awake() -> None:
    """The send task has started: changes from now on must queue another."""
    if settings.REDIS_URL:
        cache.delete(WAKE_KEY)
