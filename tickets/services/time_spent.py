"""Time spent: the minutes agents record on a ticket (docs/decisions/0043).

On their own (the ticket page's small form, the API), or with the reply or note they were
spent on (ticket_reply and ticket_add_note take `minutes`, and log them in the entry's
transaction). Each is a TimeEntry with its time_logged event. Only people spend time:
the system (a rule, the mail channel) never logs any.
"""

from django.db import transaction
from django.utils import timezone

from accounts.roles import is_system
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import (
    TIME_ENTRY_MAX_MINUTES,
    TIME_NOTE_MAX_LENGTH,
    EventKind,
    ThreadEntry,
    Ticket,
    TimeEntry,
)
from tickets.services.common import lock_ticket, record_event, require_action

MINUTES_INVALID = f"Time spent is a whole number of minutes, from 1 to {TIME_ENTRY_MAX_MINUTES:,}."
TIME_NOTE_TOO_LONG = f"The note on time spent is at most {TIME_NOTE_MAX_LENGTH} characters."
TIME_NOTE_BAD_CHARACTER = "The note on time spent contains a character that cannot be stored."
ONLY_PEOPLE = "Only agents spend time on tickets."


def clean_minutes(value) -> int | None:
    """Minutes as given (None or "" for none), checked: a whole number in range."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(MINUTES_INVALID)
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(MINUTES_INVALID) from None
    if isinstance(value, float) and value != minutes:
        raise InvalidInput(MINUTES_INVALID)
    if not 1 <= minutes <= TIME_ENTRY_MAX_MINUTES:
        raise InvalidInput(MINUTES_INVALID)
    return minutes


def clean_time_note(value) -> str:
    note = str(value or "").strip()
    if len(note) > TIME_NOTE_MAX_LENGTH:
        raise InvalidInput(TIME_NOTE_TOO_LONG)
    if "\x00" in note:
        raise InvalidInput(TIME_NOTE_BAD_CHARACTER)
    return note


def log_time(
    ticket: Ticket, *, minutes: int, by, note: str = "", entry: ThreadEntry | None = None
) -> TimeEntry:
    """The time entry and its event, inside the caller's transaction, on the locked
    ticket the caller already checked `by` may work."""
    if is_system(by) or by is None:
        raise NotPermitted(ONLY_PEOPLE)
    time_entry = TimeEntry.objects.create(
        ticket=ticket,
        agent=by,
        department_id=ticket.department_id,
        minutes=minutes,
        note=note,
        entry=entry,
        created_at=timezone.now(),
    )
    record_event(
        ticket,
        EventKind.TIME_LOGGED,
        by,
        {
            "minutes": minutes,
            "time_entry": time_entry.pk,
            "entry": {"id": entry.pk, "kind": entry.kind} if entry is not None else None,
        },
    )
    return time_entry


def ticket_log_time(*, ticket: Ticket, minutes, by, note: str = "") -> TimeEntry:
    """An agent of the ticket's department records minutes spent on it, on their own."""
    checked = clean_minutes(minutes)
    if checked is None:
        raise InvalidInput(MINUTES_INVALID)
    note = clean_time_note(note)
    if is_system(by) or by is None:
        raise NotPermitted(ONLY_PEOPLE)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("log-time", by=by, ticket=ticket)
        return log_time(ticket, minutes=checked, by=by, note=note)
