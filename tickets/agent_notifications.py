"""Emails to agents, written to the outbox (tickets.models.Notification) by the services.

Each function is called inside the service's transaction, so the email exists if and only
if the change committed; the worker sends it after commit (docs/decisions/0007). Nobody is
told about what they did themselves.
"""

from django.db import transaction

from accounts.models import Agent
from tickets.models import Notification, Ticket, TicketEvent


def _queue(kind: str, ticket: Ticket, user_ids, event: TicketEvent | None) -> None:
    rows = [
        Notification(kind=kind, ticket=ticket, recipient_id=user_id, event=event)
        for user_id in sorted(set(user_ids))
    ]
    if not rows:
        return
    Notification.objects.bulk_create(rows)
    from tickets.tasks import send_notifications  # tasks import the services' modules

    transaction.on_commit(send_notifications.delay)


def notify_new_ticket(*, ticket: Ticket, event: TicketEvent, by) -> None:
    """A new ticket in a department: each of its active agents hears of it."""
    user_ids = Agent.objects.filter(
        is_active=True, user__is_active=True, memberships__department_id=ticket.department_id
    ).values_list("user_id", flat=True)
    by_id = getattr(by, "pk", None)
    _queue(
        Notification.Kind.NEW_TICKET,
        ticket,
        [user_id for user_id in user_ids if user_id != by_id],
        event,
    )


def notify_assigned(*, ticket: Ticket, agent: Agent, event: TicketEvent, by) -> None:
    """The ticket was given to an agent by someone else."""
    if agent.user_id != getattr(by, "pk", None):
        _queue(Notification.Kind.ASSIGNED, ticket, [agent.user_id], event)


def notify_requester_replied(*, ticket: Ticket, by) -> None:
    """The requester wrote again: the assignee should know."""
    if ticket.assignee_id is None:
        return
    user_id = Agent.objects.filter(pk=ticket.assignee_id, is_active=True).values_list(
        "user_id", flat=True
    )
    _queue(
        Notification.Kind.REQUESTER_REPLIED,
        ticket,
        [u for u in user_id if u != getattr(by, "pk", None)],
        None,
    )
