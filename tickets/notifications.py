"""Sending the email outbox.

Services and the sweep write Notification rows in the same transaction as the change
that causes them. This module sends them: it claims a batch (SKIP LOCKED, with a lease so
a worker killed mid-send only delays its batch), sends each email, and marks it sent.
The worker runs it after each commit that queued mail and on a beat schedule, so a lost
Celery message is caught up by the next tick.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tickets.models import Notification

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


# Set while a send task is queued or running, so a burst of changes queues one task, not
# one each. The task clears it *before* it looks for unsent rows: a change committed
# before the clear is found by that look; one committed after it queues a new task.
WAKE_KEY = "tickets:notification-sender-woken"
WAKE_TTL = 60  # if a queued task is lost, beat's next tick sends the mail anyway


def notifications_wake_sender() -> None:
    """Ask the worker to send the outbox now (called after commit)."""
    from tickets.tasks import send_notifications  # tasks imports this module

    # Only a cache shared with the worker can say a task is already on its way.
    if settings.REDIS_URL and not cache.add(WAKE_KEY, 1, timeout=WAKE_TTL):
        return
    send_notifications.delay()


def notifications_sender_awake() -> None:
    """The send task has started: changes from now on must queue another."""
    if settings.REDIS_URL:
        cache.delete(WAKE_KEY)


def _claim(limit: int) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("created_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        Notification.objects.filter(id__in=ids).update(claimed_until=now + LEASE)
    return ids


REQUESTER_KINDS = frozenset(
    {
        Notification.Kind.REQUESTER_ACKNOWLEDGEMENT,
        Notification.Kind.REQUESTER_REPLY,
        Notification.Kind.REQUESTER_RESOLVED,
        Notification.Kind.REQUESTER_NEW_LINK,
    }
)


def ticket_thread_id(ticket) -> str:
    """The Message-ID every mail about a ticket refers to, so mail clients thread them."""
    return f"<ticket-{ticket.number}@{_domain()}>"


def requester_ticket_url(ticket) -> str:
    """Where the requester follows the ticket: the portal page for someone with an account,
    the private access link for a guest (who has no password to sign in with)."""
    if ticket.requester.has_usable_password():
        path = reverse("portal:ticket", kwargs={"number": ticket.number})
    else:
        path = reverse(
            "portal:ticket_access", kwargs={"number": ticket.number, "key": ticket.access_key}
        )
    return f"{settings.SITE_URL}{path}"


def render_notification(notification: Notification) -> EmailMultiAlternatives:
    """The email for one notification: subject, text and HTML from templates/emails/."""
    ticket = notification.ticket
    context = {
        "notification": notification,
        "ticket": ticket,
        "recipient": notification.recipient,
        "event": notification.event,
        "site_name": settings.SITE_NAME,
        "ticket_url": f"{settings.SITE_URL}/agent/tickets/{ticket.number}/",
    }
    headers = {"Message-ID": f"<notification-{notification.pk}@{_domain()}>"}
    if notification.kind in REQUESTER_KINDS:
        context["ticket_url"] = requester_ticket_url(ticket)
        entry = notification.entry
        # Internal notes never reach a requester, whatever row asked for it.
        entry = entry if entry is not None and entry.is_public else None
        context["entry"] = entry
        context["attachments"] = list(entry.attachments.all()) if entry is not None else []
        thread_id = ticket_thread_id(ticket)
        if notification.kind == Notification.Kind.REQUESTER_ACKNOWLEDGEMENT:
            headers["Message-ID"] = thread_id
        else:
            headers["In-Reply-To"] = thread_id
            headers["References"] = thread_id
    name = f"emails/{notification.kind}"
    subject = " ".join(render_to_string(f"{name}.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{name}.txt", context),
        to=[notification.recipient.email],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def _domain() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"


def notifications_send_pending(*, limit: int = 200) -> int:
    """Send up to `limit` unsent notifications over one connection; return how many went out.

    Each is marked sent right after its own send, so a crash mid-batch re-sends at most
    the one email that was in flight when it happened.
    """
    ids = _claim(limit)
    if not ids:
        return 0
    notifications = Notification.objects.select_related(
        "ticket__department",
        "ticket__assignee__user",
        "ticket__requester",
        "recipient",
        "event",
        "entry__author",
    ).filter(pk__in=ids, sent_at__isnull=True)
    sent = 0
    with get_connection() as email_connection:
        for notification in notifications:
            try:
                message = render_notification(notification)
                message.connection = email_connection
                message.send()
            except Exception as error:  # one bad address must not stop the rest of the batch
                logger.warning("Notification %s failed: %s", notification.pk, error)
                Notification.objects.filter(pk=notification.pk).update(
                    attempts=notification.attempts + 1,
                    last_error=str(error)[:1000],
                    claimed_until=timezone.now() + LEASE * (notification.attempts + 1),
                )
                continue
            Notification.objects.filter(pk=notification.pk).update(
                sent_at=timezone.now(), attempts=notification.attempts + 1, last_error=""
            )
            sent += 1
    return sent
