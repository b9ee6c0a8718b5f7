"""Turning a ledger row into a ticket or a thread entry, exactly once.

A worker locks the row, reads the message and calls the ticket services, and marks the row
processed in the same transaction: the ticket and the mark commit together or not at all,
so a killed worker leaves the row pending for the next one, and a row already processed
is never processed again. A message that cannot be processed is quarantined with the
reason (the admin can process it again) and never blocks the others.
"""

import hashlib
import logging
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.roles import SYSTEM
from accounts.services import guest_user_get_or_create
from mail.bounces import BounceReport, Recipient, read_bounce
from mail.loops import Automation, classify, is_our_own
from mail.models import InboundMessage, Mailbox
from mail.parsing import ParsedMessage, Part, parse_message, summary_of
from mail.threading import (
    Role,
    our_notification_for,
    role_of_user,
    sender_user,
    thread_for,
    user_of,
)
from tickets import access
from tickets.attachments import attachments_validate
from tickets.errors import InvalidInput, TicketError
from tickets.models import Source, Status, Ticket
from tickets.services import (
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    DeliveryFailure,
    ticket_add_collaborator,
    ticket_add_external_message,
    ticket_add_message,
    ticket_add_note,
    ticket_open,
    ticket_record_bounce,
    ticket_reply,
)

logger = logging.getLogger(__name__)

NO_TEXT = "(This message has no text.)"
NO_SUBJECT = "(no subject)"
CUT = "[The message is longer than a ticket entry holds; the whole of it is kept.]"
# An agent's emailed reply that starts with this line is an internal note.
NOTE_COMMAND = "#note"

Outcome = InboundMessage.Outcome
# What processing writes to a ledger row.
PROCESSED_FIELDS = [
    "attempts",
    "status",
    "outcome",
    "reason",
    "ticket",
    "entry",
    "from_address",
    "subject",
    "processed_at",
]


class Unprocessable(Exception):
    """The message cannot become anything: quarantined with this reason."""


@dataclass
class Result:
    outcome: str
    ticket: Ticket | None = None
    entry: object = None
    reason: str = ""


def inbound_process(*, inbound_id: int) -> InboundMessage | None:
    """Process one pending ledger row; None when it is not pending (done already)."""
    try:
        with transaction.atomic():
            row = _pending(inbound_id, for_processing=True)
            if row is None:
                return None
            row.attempts += 1
            try:
                result = _process(row)
            except (OperationalError, InterfaceError):
                raise  # the database itself: the row stays pending, the task is retried
            except Exception as error:  # anything in the message: quarantined, never lost
                raise _Failed(row, error) from error  # undoes all it did, and the attempt
            row.status = InboundMessage.Status.PROCESSED
            row.outcome, row.reason = result.outcome, result.reason
            row.ticket, row.entry = result.ticket, result.entry
            _save(row)
        return row
    except _Failed as failed:
        return _quarantine(inbound_id, failed.attempt, failed.error)


class _Failed(Exception):
    """_process raised: the attempt's transaction is rolled back whole, then the row is
    quarantined in a transaction of its own. A savepoint around _process would do it in
    one, at two round trips for every message that does not fail."""

    def __init__(self, attempt: InboundMessage, error: Exception):
        super().__init__(attempt, error)
        self.attempt, self.error = attempt, error


def _pending(inbound_id: int, *, for_processing: bool = False) -> InboundMessage | None:
    """The row locked, if it is still pending."""
    rows = InboundMessage.objects.select_for_update(of=("self",)).filter(
        pk=inbound_id, status=InboundMessage.Status.PENDING
    )
    if for_processing:
        # With the plans a new ticket takes (tickets.services.default_plan_for): read
        # here, in the same round trip, not again by ticket_create.
        rows = rows.select_related(
            "mailbox__department__default_sla_plan", "mailbox__help_topic__sla_plan"
        )
    else:
        rows = rows.defer("raw")
    # One row by its key: no ORDER BY (first() would sort by the model's ordering), whose
    # compilation cost more than the query itself.
    return next(iter(rows.order_by()[:1]), None)


def _quarantine(inbound_id: int, attempt: InboundMessage, error: Exception):
    logger.warning("Inbound message %s quarantined: %r", inbound_id, error)
    with transaction.atomic():
        row = _pending(inbound_id)
        if row is None:  # another worker took it up in the meantime
            return None
        row.attempts += 1
        row.status = InboundMessage.Status.QUARANTINED
        row.reason = _reason(error)
        # What the attempt had read of the message, else what its headers give.
        row.from_address, row.subject = attempt.from_address, attempt.subject
        if not row.from_address and not row.subject:
            sender, subject = summary_of(bytes(attempt.raw))
            row.from_address, row.subject = sender[:254], subject[:998]
        _save(row)
    return row


def _save(row: InboundMessage) -> None:
    row.processed_at = timezone.now()
    # Never the raw bytes again: they are the one part of the row that never changes.
    row.save(update_fields=PROCESSED_FIELDS)


def _reason(error: Exception) -> str:
    if isinstance(error, Unprocessable | TicketError):
        return str(error)
    return f"{type(error).__name__}: {error}"[:2000]


def _process(row: InboundMessage) -> Result:
    message = parse_message(bytes(row.raw))
    row.from_address = message.sender.address[:254]
    row.subject = message.subject[:998]
    if is_our_own(message):
        logger.info("Inbound message %s is our own mail: dropped", row.pk)
        return Result(Outcome.LOOP, reason="sent by us")
    automation = classify(message)
    if automation.bounce:
        return _bounce(row, message, automation)
    if not message.sender.address:
        raise Unprocessable("The message has no sender address (From).")
    try:
        validate_email(message.sender.address)
    except ValidationError:
        raise Unprocessable(
            f"The sender's address {message.sender.address!r} is not one we could answer."
        ) from None
    lock_message_id(message.message_id)
    earlier = _processed_elsewhere(row, message)
    if earlier is not None:
        return Result(Outcome.DUPLICATE, earlier.ticket, earlier.entry, f"same as {earlier}")
    thread = thread_for(message)
    if thread is not None and thread.ticket.merged_into_id is not None:
        # A reply to a merged-away ticket joins the ticket its story continues in.
        thread = replace(thread, ticket=access.merge_destination(thread.ticket))
    if thread is not None and thread.ticket.status != Status.CLOSED:
        return _into_ticket(row.mailbox, thread.ticket, message, automation)
    if automation.auto_reply:
        ticket = thread.ticket if thread else None
        return Result(Outcome.AUTO_REPLY, ticket, reason=automation.reason)
    follows = thread.ticket if thread is not None else None
    return _new_ticket(row.mailbox, message, automation, follows=follows)


def lock_message_id(message_id: str) -> None:
    """One worker at a time per Message-ID: the same message sent to two of our addresses
    is two ledger rows, and must become one ticket."""
    if not message_id or connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _processed_elsewhere(row: InboundMessage, message: ParsedMessage) -> InboundMessage | None:
    if not message.message_id:
        return None
    return (
        InboundMessage.objects.filter(
            message_id=message.message_id, status=InboundMessage.Status.PROCESSED
        )
        .exclude(pk=row.pk)
        .exclude(outcome=Outcome.DUPLICATE)
        .defer("raw")
        .order_by("processed_at", "id")
        .first()
    )


# What the message becomes -------------------------------------------------------------


def _bounce(row: InboundMessage, message: ParsedMessage, automation: Automation) -> Result:
    """A delivery failure report: an internal note on the ticket whose email bounced (and a
    stop on an address that failed for good); never a new ticket, a reopen or an answer."""
    lock_message_id(message.message_id)
    earlier = _processed_elsewhere(row, message)
    if earlier is not None:
        return Result(Outcome.DUPLICATE, earlier.ticket, earlier.entry, f"same as {earlier}")
    report = read_bounce(bytes(row.raw), message)
    ours = our_notification_for(report.original_ids)
    failures = report.failures
    if ours is not None and not report.recipients:
        # The report names nobody; the email that came back had one recipient.
        failures = [report.for_address(ours.recipient.email)]
    summary = _bounce_summary(report, failures, automation)
    if ours is None:
        return Result(Outcome.BOUNCE, reason=f"{summary}; not about mail of ours: no ticket")
    if not failures:
        return Result(Outcome.BOUNCE, ours.ticket, reason=f"{summary}; nothing failed")
    entry = ticket_record_bounce(
        ticket=ours.ticket,
        failures=[
            DeliveryFailure(
                address=f.address, permanent=f.permanent, status=f.status, diagnostic=f.diagnostic
            )
            for f in failures
        ],
        by=SYSTEM,
    )
    return Result(Outcome.BOUNCE, ours.ticket, entry, summary)


def _bounce_summary(report: BounceReport, failures: list[Recipient], automation) -> str:
    kind = "delivery status report" if report.standard else automation.reason
    if not failures:
        return f"{kind}: no failed recipient found"
    named = ", ".join(
        f"{f.address} ({'permanent' if f.permanent else 'temporary'}"
        f"{', ' + f.status if f.status else ''})"
        for f in failures[:5]
    )
    more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
    return f"{kind}: {named}{more}"[:2000]


def _into_ticket(
    mailbox: Mailbox, ticket: Ticket, message: ParsedMessage, automation: Automation
) -> Result:
    if automation.auto_reply:
        return Result(Outcome.AUTO_REPLY, ticket, reason=automation.reason)
    sender = sender_user(message.sender.address, ticket)
    role = role_of_user(sender, ticket)
    content = _Content.of(message)
    if role in (Role.REQUESTER, Role.COLLABORATOR):
        if not automation.automated:
            _copied(mailbox, ticket, message)
        entry = ticket_add_message(
            ticket=ticket,
            body=content.body,
            by=sender,
            attachments=content.files,
            html=message.html,
            quoted=message.quoted,
            source=Source.EMAIL,
            automated=automation.automated,
        )
        return Result(Outcome.MESSAGE, ticket, entry)
    if role is Role.AGENT:
        return Result(Outcome.MESSAGE, ticket, _agent_reply(ticket, message, content, sender))
    entry = ticket_add_external_message(
        ticket=ticket,
        body=content.body,
        author=sender,
        by=SYSTEM,
        attachments=content.files,
        html=message.html,
        quoted=message.quoted,
    )
    return Result(Outcome.NON_PARTICIPANT, ticket, entry, f"from {message.sender.address}")


def _agent_reply(ticket: Ticket, message: ParsedMessage, content: "_Content", agent):
    first, _, rest = content.body.partition("\n")
    if first.strip().lower() == NOTE_COMMAND:
        return ticket_add_note(
            ticket=ticket,
            body=rest.strip() or NO_TEXT,
            by=agent,
            attachments=content.files,
            html=message.html,
            quoted=message.quoted,
            source=Source.EMAIL,
        )
    # A reply keeps neither the mail's HTML nor its quoted part: they hold what the agent's
    # notification quoted, which may be internal, and the requester sees the reply.
    return ticket_reply(
        ticket=ticket, body=content.body, by=agent, attachments=content.files, source=Source.EMAIL
    )


def _new_ticket(
    mailbox: Mailbox, message: ParsedMessage, automation: Automation, *, follows: Ticket | None
) -> Result:
    if mailbox.allow_unknown_senders:
        # The known user, or a new guest: one look-up, not one here and one in there.
        requester = guest_user_get_or_create(
            email=message.sender.address, display_name=message.sender.name[:150]
        )
    else:
        requester = user_of(message.sender.address)
        if requester is None:
            return Result(Outcome.REFUSED, reason=f"unknown sender {message.sender.address}")
    if not requester.is_active:
        return Result(Outcome.REFUSED, reason=f"disabled account {message.sender.address}")
    content = _Content.of(message)
    body = content.body
    if follows is not None:
        # A reply to a closed ticket opens a new one that says where it comes from.
        body = f"(Follow-up to closed ticket #{follows.number}.)\n\n{body}"
    opened = ticket_open(
        requester=requester,
        by=requester,
        subject=(message.subject or NO_SUBJECT)[:SUBJECT_MAX_LENGTH],
        body=body,
        help_topic=mailbox.help_topic
        if mailbox.help_topic and mailbox.help_topic.is_active
        else None,
        department=mailbox.department,
        source=Source.EMAIL,
        attachments=content.files,
        html=message.html,
        quoted=message.quoted,
        automated=automation.automated,
    )
    if not automation.automated:  # a list's hundred recipients follow nothing
        _copied(mailbox, opened.ticket, message)
    return Result(Outcome.NEW_TICKET, opened.ticket, opened.entry)


def _copied(mailbox: Mailbox, ticket: Ticket, message: ParsedMessage) -> None:
    """The people the sender copied (To and Cc, but not us) follow the ticket from now on."""
    # Most mail is to the mailbox alone: only other addresses are asked about, and then
    # only whether they are ours too (any mailbox, active or not).
    others = {p.address for p in message.recipients} - {mailbox.address, message.sender.address}
    if not others:
        return
    ours = {
        mailbox.address,
        *Mailbox.objects.filter(address__in=others).values_list("address", flat=True),
    }
    for person in message.recipients:
        if person.address in ours or person.address == message.sender.address:
            continue
        try:
            validate_email(person.address)
            user = user_of(person.address) or guest_user_get_or_create(
                email=person.address, display_name=person.name[:150]
            )
            if user.pk != ticket.requester_id and not access.can_work_ticket(user, ticket):
                ticket_add_collaborator(ticket=ticket, user=user, by=SYSTEM)
        except (ValidationError, TicketError):
            continue  # an address we cannot use, or a ticket full of collaborators


@dataclass
class _Content:
    """The text a service is given, and the files it may store; a refused file is named
    in the text with the reason, never silently dropped."""

    body: str
    files: list

    @classmethod
    def of(cls, message: ParsedMessage) -> "_Content":
        accepted, refused = [], []
        for part in message.attachments:
            upload = _upload(part)
            if len(accepted) >= settings.ATTACHMENT_MAX_COUNT:
                refused.append(f"{part.filename}: more than {settings.ATTACHMENT_MAX_COUNT} files")
                continue
            try:
                attachments_validate([upload])
            except InvalidInput as error:
                refused.append(error.message)
                continue
            upload.seek(0)
            accepted.append(upload)
        body = message.text.strip() or NO_TEXT
        notes = [f"[Not attached: {reason}]" for reason in refused]
        room = BODY_MAX_LENGTH - sum(len(n) + 1 for n in notes) - len(CUT) - 4
        if len(body) > room:
            body = body[:room] + "\n\n" + CUT
        if notes:
            body += "\n\n" + "\n".join(notes)
        return cls(body=body, files=accepted)


def _upload(part: Part) -> SimpleUploadedFile:
    upload = SimpleUploadedFile(part.filename or "attachment", part.content, part.content_type)
    # attachments_validate keeps it, for the HTML's <img src="cid:..."> (web/html.py).
    upload.content_id = part.content_id
    return upload
