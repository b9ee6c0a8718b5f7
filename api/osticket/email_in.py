"""osTicket's `tickets.email` and its `pipe.php`: a raw message handed to the email channel.

The message is stored in the mailbox's inbound ledger first (committed, so it is ours
whatever happens next), then processed at once, in this process, by the channel's own
mail.processing.inbound_process, to learn the ticket it became: osTicket answers with the
ticket's number. A message seen before (same Message-ID in that mailbox) is the same
ledger row, and answers with the ticket it became the first time. A reply threads into
its ticket, as any mail does.
"""

import email.parser
from dataclasses import dataclass
from email import policy

from django.db import transaction

from accounts.models import Department
from api.models import ApiKey
from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from tickets.events import acting_via

NO_MAILBOX = "Unable to create new ticket: no mailbox takes this key's mail"
NOT_A_MESSAGE = "Unable to parse email: no headers"


@dataclass(frozen=True)
class Delivered:
    """What became of a message: its ticket's number, or why it became none."""

    number: int | None
    outcome: str = ""
    reason: str = ""
    refused: bool = False  # the channel would not take it from this sender
    quarantined: bool = False


def looks_like_a_message(raw: bytes) -> bool:
    if not raw.strip():
        return False
    headers = email.parser.BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:65536])
    return len(headers.keys()) > 0


def mailbox_for_key(key: ApiKey) -> Mailbox | None:
    """The mailbox a key's `tickets.email` posts go to: the first active mailbox (by id) of
    the first of its agent's departments that has one."""
    departments = Department.objects.filter(memberships__agent__user=key.user, is_active=True)
    return (
        Mailbox.objects.select_related("department", "help_topic")
        .filter(department__in=departments, is_active=True)
        .order_by("department_id", "pk")
        .first()
    )


def message_deliver(*, mailbox: Mailbox, raw: bytes, source: str, via: str) -> Delivered:
    """Store, then process (unless it was processed before); what it became."""
    with transaction.atomic():
        row, _created = inbound_store(mailbox=mailbox, raw=raw, source=source)
    with acting_via(via):
        processed = inbound_process(inbound_id=row.pk)
    if processed is None:  # not pending: done before (or by a worker just now)
        processed = InboundMessage.objects.select_related("ticket").get(pk=row.pk)
    return _delivered(processed)


def _delivered(row: InboundMessage) -> Delivered:
    ticket = row.ticket if row.ticket_id else None
    number = ticket.number if ticket is not None else None
    return Delivered(
        number=number,
        outcome=row.outcome,
        reason=row.reason,
        refused=row.outcome == InboundMessage.Outcome.REFUSED,
        quarantined=row.status == InboundMessage.Status.QUARANTINED,
    )
