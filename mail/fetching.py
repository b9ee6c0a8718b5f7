"""Fetching a mailbox over IMAP, into the ledger.

One run takes a bounded batch, oldest first, by UID, with BODY.PEEK (the server's copy is
not marked read by fetching it), and stores each message in the ledger; only once a
message's row has committed is the server's copy moved to the processed folder, or marked
seen. A fetcher killed anywhere in between leaves the message on the server, and the next
run fetches it again: the ledger knows it already (same mailbox, same Message-ID), so it
becomes nothing twice. A message larger than MAIL_MAX_MESSAGE_BYTES (asked first, by
RFC822.SIZE) is not downloaded: its headers are recorded (mail.oversized) and it is moved
or flagged like the others, so that a few of them never stall the oldest-first batch.
A failing mailbox backs off exponentially, tells the admins when it keeps failing, and
never stops the others.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.oversized import HEAD_MAX_BYTES, inbound_store_oversized

logger = logging.getLogger(__name__)

BATCH = 50  # messages per run and mailbox: a run ends in bounded time, the next goes on
TIMEOUT_SECONDS = 60
MAX_BACKOFF = timedelta(hours=1)
ALERT_AFTER_FAILURES = 3  # the admins hear of a mailbox that failed this many times running
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class FetchRefused(Exception):
    """The mailbox's settings forbid fetching (no TLS to a remote server, say)."""


@dataclass
class FetchResult:
    stored: int = 0  # new ledger rows
    known: int = 0  # already in the ledger (fetched before, not yet moved)
    too_large: int = 0  # new rows of messages too large to download (headers only)
    error: str = ""


def mailboxes_due(*, now=None) -> list[int]:
    """Active IMAP mailboxes whose next fetch is due, each claimed for its interval, so two
    beats or workers never fetch one mailbox at once."""
    now = now or timezone.now()
    claimed = []
    with transaction.atomic():
        due = (
            Mailbox.objects.select_for_update(skip_locked=True)
            .filter(is_active=True, transport=Mailbox.Transport.IMAP)
            .exclude(next_fetch_at__gt=now)
        )
        for mailbox in due:
            mailbox.next_fetch_at = now + timedelta(seconds=max(mailbox.fetch_interval_seconds, 5))
            mailbox.save(update_fields=["next_fetch_at"])
            claimed.append(mailbox.pk)
    return claimed


def mailbox_fetch(*, mailbox: Mailbox, limit: int = BATCH) -> FetchResult:
    """One run for one mailbox; failures are recorded on it (and back off), not raised."""
    result = FetchResult()
    try:
        with _connect(mailbox) as client:
            client.select_folder(mailbox.imap_folder)
            _fetch_batch(client, mailbox, result, limit)
    except (OSError, IMAPClientError, FetchRefused, ssl.SSLError) as error:
        result.error = f"{type(error).__name__}: {error}"[:2000]
        _failed(mailbox, result.error)
        return result
    _succeeded(mailbox)
    return result


def tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's trusted authorities, host names too."""
    return ssl.create_default_context()


def _connect(mailbox: Mailbox) -> IMAPClient:
    security = mailbox.imap_security
    if security == Mailbox.Security.NONE and mailbox.imap_host not in LOOPBACK:
        raise FetchRefused("IMAP without TLS is only allowed to a server on this machine.")
    context = tls_context()
    port = mailbox.imap_port or (993 if security == Mailbox.Security.TLS else 143)
    client = IMAPClient(
        mailbox.imap_host,
        port=port,
        ssl=security == Mailbox.Security.TLS,
        ssl_context=context,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        if security == Mailbox.Security.STARTTLS:
            client.starttls(context)
        client.login(mailbox.imap_user, mailbox.imap_password)
    except BaseException:
        client.shutdown()
        raise
    return client


def _search(client: IMAPClient, mailbox: Mailbox) -> list[int]:
    if mailbox.after_processing == Mailbox.AfterProcessing.FLAG:
        return sorted(client.search(["UNSEEN"]))
    return sorted(client.search(["ALL"]))


def _fetch_batch(client: IMAPClient, mailbox: Mailbox, result: FetchResult, limit: int) -> None:
    uids = _search(client, mailbox)[:limit]
    if not uids:
        return
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    done = []
    for uid in uids:
        size = sizes.get(uid, {}).get(b"RFC822.SIZE", 0)
        if size > settings.MAIL_MAX_MESSAGE_BYTES:
            created = _store_headers(client, mailbox, uid, size)
        else:
            created = _store_whole(client, mailbox, uid)
        if created is None:
            continue  # expunged meanwhile by someone else
        if size > settings.MAIL_MAX_MESSAGE_BYTES:
            result.too_large += created
        else:
            result.stored += created
        result.known += not created
        done.append(uid)  # committed: now the server's copy may go
    _after(client, mailbox, done)


def _store_whole(client: IMAPClient, mailbox: Mailbox, uid: int) -> bool | None:
    raw = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
    if raw is None:
        return None
    if len(raw) > settings.MAIL_MAX_MESSAGE_BYTES:  # a server that did not tell its size
        _row, created = inbound_store_oversized(
            mailbox=mailbox, head=bytes(raw), size=len(raw), source=InboundMessage.Source.IMAP,
            imap_uid=uid,
        )  # fmt: skip
        return created
    _row, created = inbound_store(
        mailbox=mailbox, raw=bytes(raw), source=InboundMessage.Source.IMAP, imap_uid=uid
    )
    return created


def _store_headers(client: IMAPClient, mailbox: Mailbox, uid: int, size: int) -> bool | None:
    """Too large: only its headers are fetched (at most HEAD_MAX_BYTES of them)."""
    data = client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{HEAD_MAX_BYTES}>"]).get(uid, {})
    head = data.get(b"BODY[HEADER]<0>", data.get(b"BODY[HEADER]"))
    if head is None:
        return None
    logger.warning("%s: message UID %s is %s bytes, only its headers fetched", mailbox, uid, size)
    _row, created = inbound_store_oversized(
        mailbox=mailbox,
        head=bytes(head),
        size=size,
        source=InboundMessage.Source.IMAP,
        imap_uid=uid,
    )
    return created


def _after(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    if not uids:
        return
    if mailbox.after_processing == Mailbox.AfterProcessing.FLAG:
        client.add_flags(uids, [b"\\Seen"])
        return
    folder = mailbox.processed_folder
    if not client.folder_exists(folder):
        client.create_folder(folder)
    if client.has_capability("MOVE"):
        client.move(uids, folder)
    else:
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()


def _failed(mailbox: Mailbox, error: str) -> None:
    failures = mailbox.failures + 1
    interval = timedelta(seconds=max(mailbox.fetch_interval_seconds, 5))
    backoff = min(interval * 2 ** min(failures, 16), MAX_BACKOFF)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        failures=failures, last_error=error, next_fetch_at=timezone.now() + backoff
    )
    logger.warning("Mailbox %s failed (%s in a row): %s", mailbox, failures, error)
    if failures == ALERT_AFTER_FAILURES:
        mail_admins(
            f"Mailbox {mailbox} cannot be fetched",
            f"Fetching {mailbox} failed {failures} times in a row; the last error was:\n\n"
            f"{error}\n\nThe help desk keeps trying, less often each time (at most hourly).",
        )


def _succeeded(mailbox: Mailbox) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        failures=0, last_error="", last_fetched_at=timezone.now()
    )
