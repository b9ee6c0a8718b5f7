"""Status changes: one service for every move of the lifecycle (tickets/transitions.py).

`ticket_change_status` takes one of the table's status actions (pending, open, reopen,
resolve, close); the named services below are the same call, spelled as people say it.
"""

from django.db import transaction
from django.utils import timezone

from tickets import access
from tickets.clocks import clocks_on_status_change
from tickets.errors import InvalidInput
from tickets.events import change, status_ref
from tickets.models import ACTIVE_STATUSES, Notification, Status, Ticket, TicketEvent
from tickets.services.common import lock_ticket, record_event, require_action, save_ticket
from tickets.services.fields import fields_require_to_resolve
from tickets.services.notifications import notify_requester
from tickets.services.satisfaction import survey_schedule, surveys_cancel
from tickets.services.tasks import tasks_block_resolve
from tickets.transitions import ACTIONS, Action


def ticket_change_status(
    *, ticket: Ticket, action: str, by, confirm_open_tasks: bool = False
) -> Ticket:
    """Move the ticket by a status action, if the table lets `by` take it from its status.

    Resolving by an agent (not by the requester marking it solved) emails the requester,
    and is refused while a custom field required to resolve is empty, and while the
    ticket has open tasks unless `confirm_open_tasks` (OpenTasks lists them); the
    requester who marks their own request solved is never held back by a field or a task
    they may not even see.
    """
    if action not in ACTIONS or ACTIONS[action].target is None:
        raise InvalidInput("Choose a status.")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        taken = require_action(action, by=by, ticket=ticket)
        if taken.target == Status.RESOLVED and not access.is_requester(by, ticket):
            fields_require_to_resolve(ticket)
            if not confirm_open_tasks:
                tasks_block_resolve(ticket)
        event = apply_status_action(ticket, taken, by)
        if taken.target == Status.RESOLVED and not access.is_requester(by, ticket):
            notify_requester(
                ticket, Notification.Kind.REQUESTER_RESOLVED, event=event, collaborators=True
            )
    return ticket


def apply_status_action(ticket: Ticket, action: Action, by) -> TicketEvent:
    """Move a locked ticket to the action's status, with its event and its clocks.

    The caller has checked the action is allowed; the requester's new message uses this
    too, to reopen a resolved ticket or take a pending one back to work.
    """
    current, target = ticket.status, action.target
    now = timezone.now()
    ticket.status = target
    fields = ["status"]
    if target == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif target == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif target == Status.OPEN and ticket.resolved_at is not None:
        ticket.resolved_at = None
        fields.append("resolved_at")
    save_ticket(ticket, *fields)
    event = record_event(ticket, action.event, by, change(status_ref(current), status_ref(target)))
    clocks_on_status_change(ticket, old=current, now=now)
    if target == Status.RESOLVED:
        survey_schedule(ticket, event=event, now=now)
    elif current == Status.RESOLVED and target in ACTIVE_STATUSES:
        surveys_cancel(ticket)
    return event


def ticket_set_pending(*, ticket: Ticket, by) -> Ticket:
    """Waiting on the requester; clocks that may pause are paused."""
    return ticket_change_status(ticket=ticket, action="pending", by=by)


def ticket_set_open(*, ticket: Ticket, by) -> Ticket:
    """Back to work from pending."""
    return ticket_change_status(ticket=ticket, action="open", by=by)


def ticket_reopen(*, ticket: Ticket, by) -> Ticket:
    """A resolved ticket goes back to work."""
    return ticket_change_status(ticket=ticket, action="reopen", by=by)


def ticket_resolve(*, ticket: Ticket, by, confirm_open_tasks: bool = False) -> Ticket:
    """Solved: by an agent (the requester is told by email), or by the requester marking it so.

    An agent resolving a ticket with open tasks must confirm (`confirm_open_tasks`)."""
    return ticket_change_status(
        ticket=ticket, action="resolve", by=by, confirm_open_tasks=confirm_open_tasks
    )


def ticket_close(*, ticket: Ticket, by) -> Ticket:
    """Final: a closed ticket takes no more messages."""
    return ticket_change_status(ticket=ticket, action="close", by=by)
