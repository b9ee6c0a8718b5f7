"""Who hears of a change: the emails the services owe, queued in the outbox.

Each function is called inside the service's transaction, so the email exists if and only
if the change committed; the worker sends it after commit (docs/decisions/0007). Nobody is
told about what they did themselves.
"""

from accounts.models import Agent
from tickets.models import Notification, ThreadEntry, Ticket, TicketEvent
from tickets.outbox import notifications_queue


def _not_by(user_ids, by) -> list[int]:
    return [user_id for user_id in user_ids if user_id != getattr(by, "pk", None)]


def notify_new_ticket(*, ticket: Ticket, event: TicketEvent, by) -> None:
    """A new ticket in a department: each of its active agents hears of it."""
    user_ids = Agent.objects.filter(
        is_active=True, user__is_active=True, memberships__department_id=ticket.department_id
    ).values_list("user_id", flat=True)
    notifications_queue(
        kind=Notification.Kind.NEW_TICKET,
        ticket=ticket,
        recipient_ids=_not_by(user_ids, by),
        event=event,
    )


def notify_assigned(*, ticket: Ticket, agent: Agent, event: TicketEvent, by) -> None:
    """The ticket was given to an agent by someone else."""
    notifications_queue(
        kind=Notification.Kind.ASSIGNED,
        ticket=ticket,
        recipient_ids=_not_by([agent.user_id], by),
        event=event,
    )


def notify_task_assigned(*, task, agent: Agent, event: TicketEvent, by) -> None:
    """A task was given to an agent by someone else (docs/decisions/0040)."""
    notifications_queue(
        kind=Notification.Kind.TASK_ASSIGNED,
        ticket=task.ticket,
        recipient_ids=_not_by([agent.user_id], by),
        event=event,
    )


def notify_requester_replied(*, ticket: Ticket, by) -> None:
    """The requester wrote again: the assignee should know."""
    if ticket.assignee_id is None:
        return
    user_ids = Agent.objects.filter(pk=ticket.assignee_id, is_active=True).values_list(
        "user_id", flat=True
    )
    notifications_queue(
        kind=Notification.Kind.REQUESTER_REPLIED,
        ticket=ticket,
        recipient_ids=_not_by(user_ids, by),
    )


def notify_requester(
    ticket: Ticket,
    kind: str,
    *,
    event: TicketEvent | None = None,
    entry: ThreadEntry | None = None,
    collaborators: bool = False,
    by=None,
) -> None:
    """An email to the requester (an acknowledgement, a reply, a new link...), unless their
    account is disabled or has no address; `collaborators`: to the ticket's collaborators
    too (replies and resolutions: what concerns everyone copied), never to the one who
    wrote it."""
    people = [ticket.requester] if ticket.requester.is_active and ticket.requester.email else []
    if collaborators:
        people += [
            c.user
            for c in ticket.collaborators.select_related("user")
            if c.user.is_active and c.user.email
        ]
    notifications_queue(
        kind=kind,
        ticket=ticket,
        recipient_ids=_not_by([person.pk for person in people], by),
        event=event,
        entry=entry,
    )
