"""The inbound ledger: a message's bytes are ours before anything else is done with them.

Whatever brought it (the MTA pipe, IMAP, a provider's webhook, osTicket's ticket API), a
message is first stored raw, keyed by (mailbox, Message-ID), or by its content hash when
it has no Message-ID: the same message fetched twice, or piped and fetched, is one row.
Only after that row has committed does the fetcher move or flag the server's copy, and a
worker process it (mail.processing).
"""

import hashlib

from common.enqueue import enqueue_on_commit
from mail.models import InboundMessage, Mailbox
from mail.parsing import message_id_of

# The task that processes one ledger row (mail/tasks.py registers it under this name).
PROCESS_TASK = "mail.process_inbound"


def inbound_store(
    *, mailbox: Mailbox, raw: bytes, source: str, imap_uid: int | None = None
) -> tuple[InboundMessage, bool]:
    """Keep the message; (its ledger row, whether it was new). Processing is queued for
    after commit, once per row."""
    message_id = message_id_of(raw)
    digest = hashlib.sha256(raw).hexdigest()
    key = {"message_id": message_id} if message_id else {"message_id": "", "sha256": digest}
    # get_or_create inserts in an atomic block of its own and, when another process has
    # just stored the same message (the unique key refused ours), answers with theirs: a
    # transaction around it would add two round trips to every message and change nothing.
    row, created = InboundMessage.objects.get_or_create(
        mailbox=mailbox,
        **key,
        defaults={
            "sha256": digest,
            "raw": raw,
            "size": len(raw),
            "source": source,
            "imap_uid": imap_uid,
        },
    )
    if created:
        # After the row's commit (at once when the caller has no transaction open). The row
        # is what matters: if the broker is down, beat's process_pending finds it anyway
        # (mail/tasks.py).
        enqueue_on_commit(PROCESS_TASK, row.pk, robust=True)
    return row, created


def mailbox_for(address: str) -> Mailbox | None:
    """The active mailbox of an address of ours, or None."""
    return (
        Mailbox.objects.select_related("department", "help_topic")
        .filter(address=(address or "").strip().lower(), is_active=True)
        .first()
    )
