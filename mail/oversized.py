"""Messages larger than we take: recorded by their headers, answered once, the admins told once.

Whatever path brings it (IMAP, the pipe, a webhook), a message over
settings.MAIL_MAX_MESSAGE_BYTES is not downloaded (IMAP fetches its headers only) or not
kept: its ledger row holds the headers as `raw`, the size of the whole message, and is
processed at once with the outcome "too large". The row's key is the ledger's (mailbox,
Message-ID, or the headers' hash), so fetching or piping it again is the same row and
nothing new. The sender gets one polite automatic reply, unless the message came from a
machine (mail.loops) or the sender already had their hour's worth of automatic mail; the
admins are told once. Both are sent by a worker after commit, claimed with a lease as the
outbox claims its rows (tickets/outbox/send.py), and retried by beat's sweep: a worker
killed mid-send delays them, and at worst sends again the one email that was in flight
(with the same Message-ID). See docs/decisions/0021.
"""

import email.utils
import hashlib
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mail_admins
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.enqueue import enqueue_on_commit
from mail.loops import classify, is_our_own
from mail.models import InboundMessage, Mailbox
from mail.parsing import ParsedMessage, message_id_of, parse_message
from mail.processing import lock_message_id
from tickets.models import Notification
from tickets.outbox import new_message_id
from tickets.outbox.render import HUMAN_KINDS

logger = logging.getLogger(__name__)

# The task that sends an oversized message's reply and notice (mail/tasks.py registers it).
ANSWER_TASK = "mail.answer_oversized"
# The headers we keep of a message we do not take: enough for any real message's.
HEAD_MAX_BYTES = 64 * 1024
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
# The sweep retries what is owed for this long, then leaves it (shown in the admin).
SWEEP_WINDOW = timedelta(days=2)
NO_SUBJECT = "(no subject)"

REASON = "{size} is larger than the {limit} we accept: only its headers are kept."
NOT_SENT_OURS = "Not sent: the message is our own mail."
NOT_SENT_MACHINE = "Not sent: sent by a machine ({reason})."
NOT_SENT_NO_ADDRESS = "Not sent: no sender address we could answer."
NOT_SENT_ANSWERED = "Not sent: the same message, sent to {mailbox} too, was answered there."
NOT_SENT_CAPPED = (
    "Held back: more than {cap} automatic emails to this address within an hour "
    "(a mail loop with an auto-responder?)."
)
NOT_SENT_FAILED = "Not sent after {attempts} attempts: {error}"

Reply = InboundMessage.Reply


def message_limit() -> int:
    """The largest message we take, by any path."""
    return settings.MAIL_MAX_MESSAGE_BYTES


def webhook_post_limit() -> int:
    """The largest webhook post we read: a provider's post holds the message in a form
    field or a JSON string, a little larger than the message itself."""
    return 2 * message_limit()


def header_block(data: bytes) -> bytes:
    """A message's headers from its first bytes: up to the blank line after them, at most
    HEAD_MAX_BYTES (cut after a whole line)."""
    end = re.search(rb"\n\r?\n", data)
    head = data[: end.end()] if end else data
    if len(head) > HEAD_MAX_BYTES:
        head = head[:HEAD_MAX_BYTES]
        line_end = head.rfind(b"\n")
        head = head[: line_end + 1] if line_end > 0 else head + b"\r\n"
    return head


def size_text(size: int) -> str:
    """A size as people read it: "31.2 MB", "25 MB", "2 KB"."""
    if size >= 2**20:
        return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


# Recording ------------------------------------------------------------------------------


def inbound_store_oversized(
    *, mailbox: Mailbox, head: bytes, size: int, source: str, imap_uid: int | None = None
) -> tuple[InboundMessage, bool]:
    """Record a message too large to take, by its headers; (its row, whether it was new).
    A new row's reply and notice are sent after commit."""
    head = header_block(head)
    message_id = message_id_of(head)
    digest = hashlib.sha256(head).hexdigest()
    key = {"message_id": message_id} if message_id else {"message_id": "", "sha256": digest}
    message = parse_message(head)
    with transaction.atomic():
        existing = InboundMessage.objects.filter(mailbox=mailbox, **key).first()
        if existing is not None:
            return existing, False
        # The same message sent to two of our addresses is two rows and one reply.
        lock_message_id(message_id)
        reply, note = _reply_owed(message)
        row, created = InboundMessage.objects.get_or_create(
            mailbox=mailbox,
            **key,
            defaults={
                "sha256": digest,
                "raw": head,
                "size": size,
                "source": source,
                "imap_uid": imap_uid,
                "oversized": True,
                "status": InboundMessage.Status.PROCESSED,
                "outcome": InboundMessage.Outcome.TOO_LARGE,
                "reason": REASON.format(size=size_text(size), limit=size_text(message_limit())),
                "processed_at": timezone.now(),
                # PostgreSQL stores no NUL in text; the raw headers keep it.
                "from_address": message.sender.address.replace("\x00", "")[:254],
                "subject": message.subject.replace("\x00", "")[:998],
                "reply": reply,
                "reply_note": note,
            },
        )
        if created:
            logger.warning("Inbound message %s is too large (%s bytes): recorded", row, size)
            enqueue_on_commit(ANSWER_TASK, row.pk, robust=True)
    return row, created


def _reply_owed(message: ParsedMessage) -> tuple[str, str]:
    if is_our_own(message):
        return Reply.NOT_SENT, NOT_SENT_OURS
    automation = classify(message)
    if automation.automated:
        return Reply.NOT_SENT, NOT_SENT_MACHINE.format(reason=automation.reason)
    try:
        validate_email(message.sender.address)
    except ValidationError:
        return Reply.NOT_SENT, NOT_SENT_NO_ADDRESS
    if message.message_id:
        answered = (
            InboundMessage.objects.filter(
                message_id=message.message_id,
                oversized=True,
                reply__in=[Reply.PENDING, Reply.SENT],
            )
            .select_related("mailbox")
            .first()
        )
        if answered is not None:
            return Reply.NOT_SENT, NOT_SENT_ANSWERED.format(mailbox=answered.mailbox)
    return Reply.PENDING, ""


# Answering ------------------------------------------------------------------------------


def inbound_oversized_owed(*, now=None) -> list[int]:
    """Oversized messages whose reply or notice is still owed (the sweep's candidates)."""
    now = now or timezone.now()
    return list(
        InboundMessage.objects.filter(oversized=True, received_at__gte=now - SWEEP_WINDOW)
        .filter(Q(reply=Reply.PENDING) | Q(admins_notified_at__isnull=True))
        .filter(Q(reply_claimed_until__isnull=True) | Q(reply_claimed_until__lt=now))
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:200]
    )


def inbound_answer_oversized(*, inbound_id: int) -> InboundMessage | None:
    """Send what an oversized message is owed: the sender's reply, then the admins'
    notice (which says whether the reply went). None when another worker holds it, or
    nothing is owed."""
    row = _claim(inbound_id)
    if row is None:
        return None
    retry_at = _send_reply(row) if row.reply == Reply.PENDING else None
    if row.admins_notified_at is None:
        _tell_admins(row)
    # Released, or kept until a failed reply's next try (later after each failure).
    InboundMessage.objects.filter(pk=row.pk).update(reply_claimed_until=retry_at)
    return row


def _claim(inbound_id: int) -> InboundMessage | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            InboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("mailbox")
            .filter(pk=inbound_id, oversized=True)
            .filter(Q(reply=Reply.PENDING) | Q(admins_notified_at__isnull=True))
            .filter(Q(reply_claimed_until__isnull=True) | Q(reply_claimed_until__lt=now))
            .first()
        )
        if row is None:
            return None
        row.reply_claimed_until = now + LEASE
        fields = ["reply_claimed_until"]
        if row.reply == Reply.PENDING and not row.reply_message_id:
            # Stored before the send: if the worker dies after it, the one resent reply
            # has the same Message-ID, which mail programs show once.
            row.reply_message_id = new_message_id()
            fields.append("reply_message_id")
        row.save(update_fields=fields)
    return row


def _send_reply(row: InboundMessage):
    """Send the reply, or settle why not; when to try again after a failure, else None."""
    cap = settings.AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR
    if _automatic_mail_this_hour(row.from_address) >= cap:
        logger.warning("Reply to oversized message %s held back: over the cap", row.pk)
        _save(row, reply=Reply.NOT_SENT, reply_note=NOT_SENT_CAPPED.format(cap=cap))
        return None
    row.reply_attempts += 1
    try:
        render_reply(row).send()
    except Exception as error:  # a refused address, SMTP down: retried, then given up
        logger.warning("Reply to oversized message %s failed: %s", row.pk, error)
        if row.reply_attempts >= MAX_ATTEMPTS:
            note = NOT_SENT_FAILED.format(attempts=row.reply_attempts, error=error)
            _save(row, reply=Reply.NOT_SENT, reply_note=note[:1000])
            return None
        _save(row, reply_note=str(error)[:1000])
        return timezone.now() + LEASE * row.reply_attempts
    _save(row, reply=Reply.SENT, reply_sent_at=timezone.now(), reply_note="")
    return None


def _save(row: InboundMessage, **changes) -> None:
    for name, value in changes.items():
        setattr(row, name, value)
    row.save(update_fields=[*changes, "reply_attempts"])


def _automatic_mail_this_hour(address: str) -> int:
    """Automatic emails sent to `address` in the last hour: the outbox's and ours, so that
    these replies count against the same per-recipient cap."""
    since = timezone.now() - timedelta(hours=1)
    notifications = (
        Notification.objects.filter(recipient__email__iexact=address, sent_at__gte=since)
        .exclude(kind__in=HUMAN_KINDS)
        .count()
    )
    replies = InboundMessage.objects.filter(
        reply=Reply.SENT, reply_sent_at__gte=since, from_address__iexact=address
    ).count()
    return notifications + replies


def plain_line(text: str, limit: int = 200) -> str:
    """Someone's text made one line for a subject or a sentence: no control characters,
    no line breaks (so no header injection), at most `limit` characters."""
    cleaned = "".join(char if char.isprintable() else " " for char in text)
    line = " ".join(cleaned.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _their_id(message_id: str) -> str:
    # Only an id that is one token of visible ASCII goes back into a header.
    if re.fullmatch(r"[!-;=?-~]{1,250}", message_id or ""):
        return f"<{message_id}>"
    return ""


def render_reply(row: InboundMessage) -> EmailMultiAlternatives:
    """The polite reply: from the mailbox's address, threaded under their message, and
    saying it is automatic (RFC 3834), so that auto-responders do not answer it."""
    context = {
        "subject": plain_line(row.subject) or NO_SUBJECT,
        "size": size_text(row.size),
        "limit": size_text(message_limit()),
        "site_name": settings.SITE_NAME,
        "mailbox": row.mailbox.address,
    }
    name = "emails/mail_too_large"
    headers = {
        "Message-ID": row.reply_message_id or new_message_id(),
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }
    their_id = _their_id(row.message_id)
    if their_id:
        headers["In-Reply-To"] = their_id
        headers["References"] = their_id
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"{name}.subject.txt", context).split()),
        body=render_to_string(f"{name}.txt", context),
        from_email=email.utils.formataddr((plain_line(settings.SITE_NAME), row.mailbox.address)),
        to=[row.from_address],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def _tell_admins(row: InboundMessage) -> None:
    if settings.ADMINS:
        try:
            subject = plain_line(row.subject, 80) or NO_SUBJECT
            mail_admins(f"Message too large for {row.mailbox}: {subject}", admin_notice(row))
        except Exception as error:  # retried by the sweep
            logger.warning("Notice of oversized message %s failed: %s", row.pk, error)
            return
    row.admins_notified_at = timezone.now()
    row.save(update_fields=["admins_notified_at"])


def admin_notice(row: InboundMessage) -> str:
    """What the admins are told: who, what, where the original is, and the reply."""
    path = reverse("admin:mail_inboundmessage_change", args=[row.pk])
    lines = [
        f"A message to {row.mailbox} was larger than the {size_text(message_limit())} the "
        f"help desk accepts (MAIL_MAX_MESSAGE_BYTES), and was not taken.",
        "",
        f"From:       {plain_line(row.from_address) or '(none)'}",
        f"Subject:    {plain_line(row.subject) or NO_SUBJECT}",
        f"Message-ID: {plain_line(row.message_id) or '(none)'}",
        f"Size:       {size_text(row.size)} ({row.size} bytes)",
        f"Came by:    {row.get_source_display()}",
        "",
        _where_the_original_is(row),
        "",
        _what_the_sender_heard(row),
        "",
        f"Its headers are in the ledger: {settings.SITE_URL}{path}",
    ]
    return "\n".join(lines)


def _where_the_original_is(row: InboundMessage) -> str:
    mailbox = row.mailbox
    if row.source == InboundMessage.Source.IMAP:
        if mailbox.after_processing == Mailbox.AfterProcessing.FLAG:
            return (
                f"The original stays on the IMAP server, in {mailbox.imap_folder}, marked as seen."
            )
        return f"The original stays on the IMAP server, in the folder {mailbox.processed_folder}."
    if row.source == InboundMessage.Source.WEBHOOK:
        return "The original was not kept here; the provider's logs may still hold it."
    return "The original was not kept: the mail server handed it over and was told it was taken."


def _what_the_sender_heard(row: InboundMessage) -> str:
    if row.reply == Reply.SENT:
        return (
            "The sender was sent one reply asking for smaller files or links "
            f"({row.reply_message_id})."
        )
    if row.reply == Reply.PENDING:
        return f"The reply to the sender is not sent yet: {row.reply_note or 'queued'}"
    return f"No reply to the sender. {row.reply_note}"
