"""Sending the outbox.

The worker claims a batch of unsent rows (SKIP LOCKED, with a lease, so a worker killed
mid-send only delays its batch), sends each email, and marks it sent. It runs after each
commit that queued mail and on a beat schedule, so a lost Celery message is caught up by
the next tick.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tickets.models import MailSuppression, Notification
from tickets.outbox.render import HUMAN_KINDS, new_message_id, render_notification

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


# Outbox rows ------------------------------------------------------------------------------
# Any model with created_at, sent_at, attempts, claimed_until and last_error is sent the
# same way: the notifications here, and other apps' own outboxes (reports' weekly email).


def outbox_claim(model, *, limit: int, max_attempts: int = MAX_ATTEMPTS) -> list[int]:
    """Up to `limit` unsent rows of `model`, oldest first, leased to this worker for LEASE:
    SKIP LOCKED, so concurrent workers take different rows; a worker that dies only delays
    its rows until the lease ends. Call inside a transaction."""
    now = timezone.now()
    ids = list(
        model.objects.select_for_update(skip_locked=True)
        .filter(sent_at__isnull=True, attempts__lt=max_attempts)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    model.objects.filter(id__in=ids).update(claimed_until=now + LEASE)
    return ids


def outbox_sent(row) -> None:
    type(row).objects.filter(pk=row.pk).update(
        sent_at=timezone.now(), attempts=row.attempts + 1, last_error=""
    )


def outbox_settle_past(*, ticket_ids, before) -> int:
    """Emails of these tickets written before `before`, still unsent, recorded as sent when
    they were written, without sending them: for a past that is loaded rather than lived
    (the demo's history, tickets/demo/history.py). Sent now, they would flood the console at
    the first start and count against each requester's hourly cap (_over_the_cap), holding
    back the emails of what happens next. Returns how many."""
    return Notification.objects.filter(
        ticket_id__in=ticket_ids, sent_at__isnull=True, created_at__lt=before
    ).update(sent_at=F("created_at"), attempts=1, last_error="", claimed_until=None)


def outbox_failed(row, error: Exception) -> None:
    """One more attempt, retried after a lease that grows with the attempts."""
    type(row).objects.filter(pk=row.pk).update(
        attempts=row.attempts + 1,
        last_error=str(error)[:1000],
        claimed_until=timezone.now() + LEASE * (row.attempts + 1),
    )


def outbox_held_back(row, reason: str, *, max_attempts: int = MAX_ATTEMPTS) -> None:
    """Not sent, not retried, not lost: the row keeps the reason for the admin's list."""
    type(row).objects.filter(pk=row.pk).update(
        attempts=max_attempts, last_error=reason, claimed_until=None
    )


def stopped_addresses(addresses) -> dict[str, MailSuppression]:
    """Of `addresses`, those whose mail bounced for good (tickets.services.bounces), with
    their stop, by lower-cased address."""
    return {
        stop.address: stop
        for stop in MailSuppression.objects.filter(
            address__in={address.lower() for address in addresses}, cleared_at__isnull=True
        ).select_related("ticket")
    }


def _claim(limit: int) -> list[int]:
    with transaction.atomic():
        ids = outbox_claim(Notification, limit=limit)
        # Each email's Message-ID is stored before it is sent, so a reply to it finds its
        # ticket even if the worker dies between the send and marking it sent.
        unnamed = Notification.objects.filter(id__in=ids, message_id__isnull=True)
        Notification.objects.bulk_update(
            [
                Notification(id=pk, message_id=new_message_id())
                for pk in unnamed.values_list("id", flat=True)
            ],
            ["message_id"],
        )
    return ids


def notifications_send_pending(*, limit: int = 200) -> int:
    """Send up to `limit` unsent notifications over one connection; return how many went out.

    Each is marked sent right after its own send, so a crash mid-batch re-sends at most
    the one email that was in flight when it happened.
    """
    ids = _claim(limit)
    if not ids:
        return 0
    notifications = list(
        Notification.objects.select_related(
            "ticket__department",
            "ticket__assignee__user",
            "ticket__requester",
            "recipient",
            "event",
            "entry__author",
        ).filter(pk__in=ids, sent_at__isnull=True)
    )
    stopped = stopped_addresses(n.recipient.email for n in notifications)
    sent = 0
    with get_connection() as email_connection:
        for notification in notifications:
            stop = stopped.get(notification.recipient.email.lower())
            if stop is not None:
                _hold_back_bounced(notification, stop)
                continue
            if _over_the_cap(notification):
                _hold_back(notification)
                continue
            try:
                message = render_notification(notification)
                message.connection = email_connection
                message.send()
            except Exception as error:  # one bad address must not stop the rest of the batch
                logger.warning("Notification %s failed: %s", notification.pk, error)
                outbox_failed(notification, error)
                continue
            outbox_sent(notification)
            sent += 1
    return sent


CAPPED = (
    "Held back: more than {cap} automatic emails to this address within an hour "
    "(a mail loop with an auto-responder?)."
)


def _over_the_cap(notification: Notification) -> bool:
    """Whether an automatic email would be one too many to its recipient this hour: the
    brake on a loop with an auto-responder that our other defences did not recognise."""
    if notification.kind in HUMAN_KINDS:
        return False
    cap = settings.AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR
    recent = Notification.objects.filter(
        recipient_id=notification.recipient_id,
        sent_at__gte=timezone.now() - timedelta(hours=1),
    ).exclude(kind__in=HUMAN_KINDS)
    return recent.count() >= cap


def _hold_back(notification: Notification) -> None:
    cap = settings.AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR
    logger.warning("Notification %s held back: over the cap", notification.pk)
    outbox_held_back(notification, CAPPED.format(cap=cap))


BOUNCED = (
    "Held back: mail to {address} bounced ({status}){where}. Nothing is sent to it until an "
    "agent chooses “Send mail again” (on the ticket page, or in the admin's mail stops)."
)


def _hold_back_bounced(notification: Notification, stop: MailSuppression) -> None:
    logger.info("Notification %s held back: %s bounced", notification.pk, stop.address)
    outbox_held_back(
        notification,
        BOUNCED.format(
            address=stop.address,
            status=stop.status or "permanent failure",
            where=f" on ticket #{stop.ticket.number}" if stop.ticket else "",
        ),
    )
