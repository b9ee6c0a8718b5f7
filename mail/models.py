"""Mailboxes and the inbound ledger.

Every message that reaches us, by any path, is first a row of InboundMessage holding its
raw bytes; only then is it parsed and turned into a ticket or a thread entry, by a worker,
exactly once (mail/processing.py). See docs/decisions/0018.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Mailbox(models.Model):
    """An address of ours that takes mail, and how the mail reaches us."""

    class Transport(models.TextChoices):
        PIPE = "pipe", "MTA pipe (manage.py mail_pipe)"
        IMAP = "imap", "IMAP (fetched by the worker)"
        WEBHOOK = "webhook", "Provider webhook"

    class Security(models.TextChoices):
        TLS = "tls", "TLS (IMAPS)"
        STARTTLS = "starttls", "STARTTLS"
        NONE = "none", "None: only for a test server on this machine (loopback)"

    class AfterProcessing(models.TextChoices):
        MOVE = "move", "Move to a folder"
        FLAG = "flag", "Mark as seen"

    address = models.EmailField(unique=True, help_text="Stored in lower case.")
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="mailboxes"
    )
    help_topic = models.ForeignKey(
        "tickets.HelpTopic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="New tickets get this topic (and its plan and priority).",
    )
    transport = models.CharField(max_length=8, choices=Transport.choices, default=Transport.PIPE)
    allow_unknown_senders = models.BooleanField(
        default=True,
        help_text="Mail from an address we do not know opens a ticket for a new guest.",
    )
    is_active = models.BooleanField(default=True)
    # IMAP
    imap_host = models.CharField("IMAP host", max_length=255, blank=True)
    imap_port = models.PositiveIntegerField("IMAP port", null=True, blank=True)
    imap_security = models.CharField(
        "IMAP security", max_length=8, choices=Security.choices, default=Security.TLS
    )
    imap_user = models.CharField("IMAP user", max_length=255, blank=True)
    # Kept out of logs, of the admin's forms (never shown back) and of its change history.
    imap_password = models.CharField("IMAP password", max_length=255, blank=True)
    imap_folder = models.CharField("IMAP folder", max_length=255, default="INBOX")
    after_processing = models.CharField(
        max_length=8, choices=AfterProcessing.choices, default=AfterProcessing.MOVE
    )
    processed_folder = models.CharField(
        max_length=255, default="Processed", help_text="Where processed mail is moved."
    )
    fetch_interval_seconds = models.PositiveIntegerField(default=60)
    # The fetcher's state: where it got to, and how it is failing.
    imap_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)
    next_fetch_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mailboxes"
        constraints = [
            models.CheckConstraint(
                condition=Q(address=models.functions.Lower("address")),
                name="mail_mailbox_address_lower",
            ),
        ]

    def __str__(self):
        return self.address


class InboundMessage(models.Model):
    """One message as it reached us, raw, and what became of it."""

    class Source(models.TextChoices):
        PIPE = "pipe", "MTA pipe"
        IMAP = "imap", "IMAP"
        WEBHOOK = "webhook", "Provider webhook"
        API = "api", "Ticket API (tickets.email)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the worker"
        PROCESSED = "processed", "Processed"
        QUARANTINED = "quarantined", "Quarantined"

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", "Opened a ticket"
        MESSAGE = "message", "Added to a ticket"
        NON_PARTICIPANT = "non_participant", "Added for agents (sender not on the ticket)"
        AUTO_REPLY = "auto_reply", "Auto-reply, recorded"
        BOUNCE = "bounce", "Delivery failure report, recorded"
        DUPLICATE = "duplicate", "Same message as one already processed"
        LOOP = "loop", "Our own mail, dropped"
        REFUSED = "refused", "Refused (unknown sender)"
        TOO_LARGE = "too_large", "Too large: not accepted"

    class Reply(models.TextChoices):
        # The one polite reply to the sender of a message too large to take (decision 0021).
        PENDING = "pending", "To be sent"
        SENT = "sent", "Sent"
        NOT_SENT = "not_sent", "Not sent"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    # The Message-ID without its angle brackets; empty when the message has none, and then
    # the content hash keeps it unique.
    message_id = models.CharField(max_length=998, blank=True)
    sha256 = models.CharField(max_length=64)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    source = models.CharField(max_length=8, choices=Source.choices)
    imap_uid = models.PositiveBigIntegerField(null=True, blank=True)
    # Larger than MAIL_MAX_MESSAGE_BYTES: not downloaded (or not kept), `raw` holds only its
    # headers and `size` is the size of the whole message.
    oversized = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    # Read from the headers when processed, for the admin's list and the threading.
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was quarantined or refused.")
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry = models.ForeignKey(
        "tickets.ThreadEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    # An oversized message's reply and the admins' notice: each sent once (mail/oversized.py).
    reply = models.CharField(max_length=8, choices=Reply.choices, blank=True)
    reply_note = models.TextField(blank=True, help_text="Why no reply was sent, or the error.")
    reply_message_id = models.CharField(max_length=255, blank=True)
    reply_sent_at = models.DateTimeField(null=True, blank=True)
    reply_attempts = models.PositiveSmallIntegerField(default=0)
    reply_claimed_until = models.DateTimeField(null=True, blank=True)
    admins_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # The same message, fetched twice or piped and fetched, is one row.
            models.UniqueConstraint(
                fields=["mailbox", "message_id"],
                condition=~Q(message_id=""),
                name="mail_inbound_once_per_message_id",
            ),
            models.UniqueConstraint(
                fields=["mailbox", "sha256"],
                condition=Q(message_id=""),
                name="mail_inbound_once_per_content",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "processed", "quarantined"]),
                name="mail_inbound_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(status="pending"),
                name="inbound_pending",
            ),
            # A message sent to two of our addresses, and replies that refer to messages
            # we received, are found by Message-ID across mailboxes.
            models.Index(fields=["message_id"], name="inbound_message_id"),
            # The sweep's candidates: oversized messages whose reply or notice is owed.
            models.Index(
                fields=["received_at"],
                condition=Q(oversized=True)
                & (Q(reply="pending") | Q(admins_notified_at__isnull=True)),
                name="inbound_oversized_owed",
            ),
            # Replies sent in the last hour, counted against the cap of automatic mail.
            models.Index(
                fields=["reply_sent_at"], condition=Q(reply="sent"), name="inbound_reply_sent"
            ),
        ]

    def __str__(self):
        return f"<{self.message_id}>" if self.message_id else f"message {self.sha256[:12]}"
