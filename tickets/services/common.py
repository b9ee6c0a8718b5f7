"""What every ticket service does the same way: lock, check, save, record.

Internal to tickets.services; callers import the services from the package.
"""

from django.utils import timezone

from accounts.roles import is_system
from tickets import access
from tickets.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from tickets.events import (
    RecordedEvent,
    current_rule,
    current_via,
    entry_added,
    events_recorded,
)
from tickets.models import Source, ThreadEntry, Ticket, TicketEvent
from tickets.search_index import search_document_append
from tickets.transitions import ACTIONS, NOT_PERMITTED, Action, Who, not_allowed_message

BODY_MAX_LENGTH = 100_000


def lock_ticket(ticket: Ticket) -> Ticket:
    """A fresh copy of the ticket, locked until the transaction ends."""
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)


def actor_user(by):
    """The user to record as an event's actor: None for the system."""
    return None if is_system(by) else by


def record_event(ticket: Ticket, kind: str, by, data: dict | None = None) -> TicketEvent:
    """Write the event of a change, in the change's transaction (tickets/events.py has the
    vocabulary of `data`), and tell the event listeners (webhooks) in that transaction."""
    data = dict(data or {})
    via = current_via()
    if via:
        data["via"] = via
    rule = current_rule()
    if rule:
        data["rule"] = rule
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor_user(by),
        data=data,
        created_at=timezone.now(),
    )
    events_recorded(
        [
            RecordedEvent(
                id=event.pk,
                ticket_id=ticket.pk,
                kind=kind,
                data=data,
                created_at=event.created_at,
                actor_id=event.actor_id,
                ticket=ticket,
            )
        ]
    )
    return event


def save_ticket(ticket: Ticket, *fields: str) -> None:
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*fields, "updated_at"])


def clean_text(value, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"The {field} cannot be empty.")
    if len(text) > max_length:
        raise InvalidInput(f"The {field} is too long (at most {max_length:,} characters).")
    if "\x00" in text:
        raise InvalidInput(f"The {field} contains a character that cannot be stored.")
    return text


def require_action(name: str, *, by, ticket: Ticket) -> Action:
    """The action `name` from the table, if `by` may take it on the locked `ticket` now.

    Raises NotPermitted for someone the table does not name (anyone outside the ticket's
    department, and `by=None`), TransitionNotAllowed for a status it does not allow.
    """
    action = ACTIONS[name]
    if not access.may_take(action, by, ticket):
        raise NotPermitted(NOT_PERMITTED[action.who])
    if not action.allows(ticket.status):
        raise TransitionNotAllowed(
            not_allowed_message(action, number=ticket.number, status=ticket.status)
        )
    return action


def require_agent(by, ticket: Ticket) -> None:
    """`by` works the ticket's department (the system does, everywhere)."""
    if not (is_system(by) or access.can_work_ticket(by, ticket)):
        raise NotPermitted(NOT_PERMITTED[Who.AGENT])


def add_entry(
    ticket: Ticket, kind: str, body: str, author, *, html="", quoted="", source=Source.WEB
) -> ThreadEntry:
    """A thread entry, its words for search, and the ticket's updated_at."""
    now = timezone.now()
    entry = ThreadEntry.objects.create(
        ticket=ticket,
        kind=kind,
        author=author,
        body=body,
        body_html=html,
        quoted=quoted,
        source=source,
        created_at=now,
    )
    search_document_append(ticket_id=ticket.pk, body=body)
    save_ticket(ticket)
    # Thread entries have no TicketEvent of their own: the listeners hear of them here.
    entry_added(entry)
    return entry
