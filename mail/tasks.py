"""Celery tasks of the email channel: thin, they take ids and call one function."""

from celery import shared_task
from django.utils import timezone

from common.enqueue import enqueue
from mail.fetching import mailbox_fetch, mailboxes_due
from mail.ledger import PROCESS_TASK
from mail.models import InboundMessage, Mailbox
from mail.oversized import ANSWER_TASK, inbound_answer_oversized, inbound_oversized_owed
from mail.processing import inbound_process

FETCH_TASK = "mail.fetch_mailbox"

# Pending rows older than this are picked up by beat: their task was lost, or the worker
# processing them died.
STALE_SECONDS = 30
BATCH = 200


@shared_task(name=PROCESS_TASK, ignore_result=True, autoretry_for=(Exception,), max_retries=5,
             retry_backoff=True)  # fmt: skip
def process_inbound(inbound_id: int) -> str:
    row = inbound_process(inbound_id=inbound_id)
    return row.status if row is not None else "not pending"


@shared_task(name="mail.process_pending", ignore_result=True)
def process_pending() -> int:
    """Every message still waiting after a while: each once, oldest first, bounded."""
    stale = timezone.now() - timezone.timedelta(seconds=STALE_SECONDS)
    ids = list(
        InboundMessage.objects.filter(status=InboundMessage.Status.PENDING, received_at__lt=stale)
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:BATCH]
    )
    return sum(1 for pk in ids if inbound_process(inbound_id=pk) is not None)


@shared_task(name="mail.fetch_due", ignore_result=True)
def fetch_due() -> int:
    """For beat: each IMAP mailbox whose turn it is, fetched by a worker of its own."""
    due = mailboxes_due()
    for pk in due:
        enqueue(FETCH_TASK, pk)
    return len(due)


@shared_task(name=FETCH_TASK, ignore_result=True)
def fetch_mailbox(mailbox_id: int) -> int:
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None:
        return 0
    return mailbox_fetch(mailbox=mailbox).stored


@shared_task(name=ANSWER_TASK, ignore_result=True, acks_late=True)
def answer_oversized(inbound_id: int) -> bool:
    """An oversized message's reply to its sender and notice to the admins, each once."""
    return inbound_answer_oversized(inbound_id=inbound_id) is not None


@shared_task(name="mail.answer_oversized_owed", ignore_result=True)
def answer_oversized_owed() -> int:
    """For beat: replies and notices whose task was lost, or whose worker died."""
    return sum(
        1 for pk in inbound_oversized_owed() if inbound_answer_oversized(inbound_id=pk) is not None
    )
