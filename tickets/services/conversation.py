"""The conversation: agents' replies, internal notes, and the requester's messages."""

from collections.abc import Sequence

from django.db import transaction

from accounts.roles import is_system
from tickets import access
from tickets.attachments import attachments_store, attachments_validate, files_removed_on_error
from tickets.clocks import clocks_on_agent_reply, clocks_on_requester_message
from tickets.errors import NewMessageArrived, NotPermitted, TransitionNotAllowed
from tickets.models import Draft, EntryKind, Notification, Source, Status, ThreadEntry, Ticket
from tickets.services.common import (
    BODY_MAX_LENGTH,
    actor_user,
    add_entry,
    clean_text,
    lock_ticket,
    require_agent,
)
from tickets.services.drafts import draft_discard
from tickets.services.lifecycle import apply_status_action
from tickets.services.notifications import notify_requester, notify_requester_replied
from tickets.services.time_spent import clean_minutes, log_time
from tickets.transitions import WORKABLE_STATUSES, status_action_for

NEW_MESSAGE_ARRIVED = (
    "The requester wrote a new message while you were writing, so your reply was not sent. "
    "Read the new message, then send your reply again."
)


def _require_person_agent(by, what: str) -> None:
    # Replies and notes are written by people, who carry a name, or by the help desk
    # itself (an automation rule), shown as the system.
    if is_system(by):
        return
    if access.agent_of(by) is None and not (by and by.is_superuser):
        raise NotPermitted(f"Only agents can {what}.")


def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    by,
    last_seen_entry_id: int | None = None,
    attachments: Sequence = (),
    source: str = Source.WEB,
    minutes: int | None = None,
) -> ThreadEntry:
    """An agent's answer to the requester, emailed to them.

    `minutes`: time the agent spent on it, logged with it (tickets/services/time_spent.py).

    `attachments` are uploaded files, checked by content (tickets/attachments.py).
    `last_seen_entry_id` is the newest thread entry the agent had on screen while writing.
    If the requester has written since, the reply is held back (NewMessageArrived) so the
    agent reads the new message before answering, instead of replying blindly. The check
    runs under the ticket's lock, so a message cannot slip in between check and send.
    """
    body = clean_text(body, field="reply", max_length=BODY_MAX_LENGTH)
    minutes = clean_minutes(minutes)
    _require_person_agent(by, "reply")
    files = attachments_validate(attachments)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = lock_ticket(ticket)
        require_agent(by, ticket)
        if ticket.status not in WORKABLE_STATUSES:
            raise TransitionNotAllowed(f"Ticket #{ticket.number} is closed.")
        if (
            last_seen_entry_id is not None
            and ThreadEntry.objects.filter(
                ticket=ticket, kind=EntryKind.MESSAGE, pk__gt=last_seen_entry_id
            ).exists()
        ):
            raise NewMessageArrived(NEW_MESSAGE_ARRIVED)
        entry = add_entry(ticket, EntryKind.REPLY, body, actor_user(by), source=source)
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        if minutes is not None:
            log_time(ticket, minutes=minutes, by=by, entry=entry)
        if not is_system(by):
            # An automated reply (a rule's reminder) answers nobody: it meets no clock.
            clocks_on_agent_reply(ticket, now=entry.created_at)
        notify_requester(
            ticket, Notification.Kind.REQUESTER_REPLY, entry=entry, collaborators=True
        )
        if not is_system(by):
            draft_discard(ticket=ticket, by=by, box=Draft.Box.REPLY)  # sent: nothing to keep
        return entry


def ticket_add_note(
    *,
    ticket: Ticket,
    body: str,
    by,
    attachments: Sequence = (),
    html: str = "",
    quoted: str = "",
    source: str = Source.WEB,
    minutes: int | None = None,
) -> ThreadEntry:
    """An internal note: agents only, never shown or sent to the requester.

    `html` (already sanitised) and `quoted` come with an agent's emailed `#note`.
    `minutes`: time the agent spent, logged with the note.
    """
    body = clean_text(body, field="note", max_length=BODY_MAX_LENGTH)
    minutes = clean_minutes(minutes)
    _require_person_agent(by, "write internal notes")
    files = attachments_validate(attachments)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = lock_ticket(ticket)
        require_agent(by, ticket)
        entry = add_entry(
            ticket, EntryKind.NOTE, body, actor_user(by), html=html, quoted=quoted, source=source
        )
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        if minutes is not None:
            log_time(ticket, minutes=minutes, by=by, entry=entry)
        if not is_system(by):
            draft_discard(ticket=ticket, by=by, box=Draft.Box.NOTE)
        return entry


def ticket_add_message(
    *,
    ticket: Ticket,
    body: str,
    by,
    attachments: Sequence = (),
    html: str = "",
    quoted: str = "",
    source: str = Source.WEB,
    automated: bool = False,
) -> ThreadEntry:
    """The requester (or a collaborator) writes again. A resolved ticket reopens; a pending
    one is open again.

    `html` (already sanitised) and `quoted` come with mail. `automated`: a machine wrote
    it (an auto-reply, list mail): it is kept, and changes nothing else: no status, no
    clock, nobody told.
    """
    body = clean_text(body, field="message", max_length=BODY_MAX_LENGTH)
    files = attachments_validate(attachments)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = lock_ticket(ticket)
        if not (access.is_requester(by, ticket) or access.is_collaborator(by, ticket)):
            raise NotPermitted("Only the requester can add messages to this ticket.")
        if ticket.status == Status.CLOSED:
            raise TransitionNotAllowed(
                f"Ticket #{ticket.number} is closed; please open a new ticket."
            )
        entry = add_entry(
            ticket, EntryKind.MESSAGE, body, by, html=html, quoted=quoted, source=source
        )
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        if automated:
            return entry
        # Resolved: the requester reopens it; pending: it is back to work. The same moves,
        # and events, as the agents' Reopen and Back to open.
        back_to_work = status_action_for(ticket.status, Status.OPEN)
        if back_to_work is not None:
            apply_status_action(ticket, back_to_work, by)
        clocks_on_requester_message(ticket, now=entry.created_at)
        notify_requester_replied(ticket=ticket, by=by)
        return entry


def ticket_add_external_message(
    *,
    ticket: Ticket,
    body: str,
    author,
    by,
    attachments: Sequence = (),
    html: str = "",
    quoted: str = "",
    source: str = Source.EMAIL,
) -> ThreadEntry:
    """Mail about the ticket from someone not on it: kept for agents to read, and nothing
    else happens (no status, no clock, no email). Recorded by the system (the mail
    channel), never by a person."""
    if not is_system(by):
        raise NotPermitted("Only the mail channel records messages from outside a ticket.")
    body = clean_text(body, field="message", max_length=BODY_MAX_LENGTH)
    files = attachments_validate(attachments)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = lock_ticket(ticket)
        entry = add_entry(
            ticket, EntryKind.EXTERNAL, body, author, html=html, quoted=quoted, source=source
        )
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        return entry
