"""The emails rules send to an address (the department's manager, someone named in the
rule): outbox rows written in the rule's transaction, sent by the worker after commit.

Like the tickets' outbox (docs/decisions/0007): a rule that rolled back sends nothing, and
a lost task only delays an email (beat sends what is left). A row is claimed under
SKIP LOCKED and marked sent in the transaction that sent it.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from automation.models import RuleEmail
from common.enqueue import enqueue_on_commit
from tickets.models import Ticket
from tickets.outbox.render import AUTOMATIC_HEADERS
from tickets.outbox.send import stopped_addresses

logger = logging.getLogger(__name__)

SEND_TASK = "automation.send_emails"
MAX_ATTEMPTS = 5
BOUNCED = "Not sent: mail to {address} bounced; nothing is sent to it until it is cleared."


def rule_email_queue(*, ticket: Ticket, to: str, body: str, rule: dict) -> RuleEmail:
    subject = f"[#{ticket.number}] {ticket.subject}"[:255]
    footer = f"\n\n-- \nSent by the help desk's rule '{rule['name']}'."
    email = RuleEmail.objects.create(
        rule_id=rule["id"], ticket=ticket, to=to, subject=subject, body=body + footer
    )
    enqueue_on_commit(SEND_TASK, robust=True)
    return email


def rule_emails_send(*, limit: int = 100) -> int:
    """Send what is unsent, one row per transaction; returns how many were sent."""
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            email = (
                RuleEmail.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
                .order_by("created_at", "id")
                .first()
            )
            if email is None:
                break
            if stopped_addresses([email.to]):
                # Held back, not lost: the row keeps the reason for the admin's list.
                email.attempts = MAX_ATTEMPTS
                email.last_error = BOUNCED.format(address=email.to.lower())
                email.save(update_fields=["attempts", "last_error"])
                continue
            try:
                EmailMessage(
                    subject=email.subject,
                    body=email.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[email.to],
                    # Automatic mail: auto-responders must not answer it (RFC 3834).
                    headers=AUTOMATIC_HEADERS,
                ).send()
            except Exception as error:  # a mail server's failure: retried by beat
                email.attempts += 1
                email.last_error = str(error)[:500]
                email.save(update_fields=["attempts", "last_error"])
                logger.warning("Rule email %s not sent: %s", email.pk, error)
                continue
            email.attempts += 1
            email.sent_at = timezone.now()
            email.save(update_fields=["attempts", "sent_at"])
            sent += 1
    return sent
