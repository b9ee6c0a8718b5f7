"""Who holds a ticket: claiming, assigning, transferring to another department."""

from django.db import transaction

from accounts.models import Agent, Department
from accounts.roles import SYSTEM
from tickets import access
from tickets.errors import AlreadyClaimed, InvalidInput, NotPermitted, TransitionNotAllowed
from tickets.events import change, ref
from tickets.models import EventKind, Ticket
from tickets.services.auto_assign import auto_assignment_on, ticket_auto_assign
from tickets.services.common import lock_ticket, record_event, require_action, save_ticket
from tickets.services.notifications import notify_assigned
from tickets.transitions import ACTIONS, not_allowed_message


def ticket_claim(*, ticket: Ticket, by) -> Ticket:
    """The acting agent takes an unassigned ticket. Of two agents at once, one wins."""
    agent = access.agent_of(by)
    if agent is None:
        raise NotPermitted("Only agents can claim tickets.")
    claim = ACTIONS["claim"]
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        if not agent.memberships.filter(department_id=ticket.department_id).exists():
            raise NotPermitted("You can only claim tickets of your own departments.")
        if not claim.allows(ticket.status):
            raise TransitionNotAllowed(
                not_allowed_message(claim, number=ticket.number, status=ticket.status)
            )
        if ticket.assignee_id is not None:
            if ticket.assignee_id == agent.pk:
                raise AlreadyClaimed(f"Ticket #{ticket.number} is already yours.")
            holder = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
            raise AlreadyClaimed(f"Ticket #{ticket.number} was already claimed by {holder}.")
        ticket.assignee = agent
        save_ticket(ticket, "assignee")
        record_event(ticket, EventKind.CLAIMED, by, {"to": ref(agent)})
    return ticket


def ticket_assign(*, ticket: Ticket, agent: Agent | None, by) -> Ticket:
    """Give the ticket to an agent of its department (None: unassign). Managers only."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("assign", by=by, ticket=ticket)
        if (
            agent is not None
            and not access.assignable_agents(ticket.department).filter(pk=agent.pk).exists()
        ):
            raise InvalidInput(f"{agent} does not work in {ticket.department}.")
        if ticket.assignee_id == (agent.pk if agent else None):
            return ticket
        old = Agent.objects.select_related("user").filter(pk=ticket.assignee_id).first()
        ticket.assignee = agent
        save_ticket(ticket, "assignee")
        event = record_event(ticket, EventKind.ASSIGNED, by, change(ref(old), ref(agent)))
        if agent is not None:
            notify_assigned(ticket=ticket, agent=agent, event=event, by=by)
    return ticket


def ticket_transfer(*, ticket: Ticket, department: Department, by) -> Ticket:
    """Move the ticket to another department; an assignee who does not work there is let go.

    A ticket left without an assignee is then auto-assigned if the new department does so;
    an assignee who also works in the new department keeps it."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("transfer", by=by, ticket=ticket)
        if not department.is_active:
            raise InvalidInput(f"{department} does not take tickets.")
        if department.pk == ticket.department_id:
            raise InvalidInput(f"Ticket #{ticket.number} is already in {department}.")
        old_department = Department.objects.get(pk=ticket.department_id)
        ticket.department = department
        fields = ["department"]
        if ticket.assignee_id is not None:
            stays = access.assignable_agents(department).filter(pk=ticket.assignee_id).exists()
            if not stays:
                old_assignee = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
                ticket.assignee = None
                fields.append("assignee")
                record_event(ticket, EventKind.ASSIGNED, by, change(ref(old_assignee), None))
        save_ticket(ticket, *fields)
        record_event(
            ticket, EventKind.TRANSFERRED, by, change(ref(old_department), ref(department))
        )
        if ticket.assignee_id is None and auto_assignment_on(department):
            # The new department's policy finds it an agent, as it would a new ticket.
            ticket = ticket_auto_assign(ticket=ticket, by=SYSTEM)
    return ticket
