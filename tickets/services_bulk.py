"""Bulk actions on the queue: one single-ticket service per ticket.

Each ticket goes through the same service a single action would call, in its own
transaction, so events, clocks, notifications and permission checks hold exactly as they
do one at a time; one ticket failing (claimed meanwhile, closed, not yours) does not undo
or stop the others. The outcome says which succeeded and why the others did not.
"""

from dataclasses import dataclass, field

from accounts.models import Agent, Department
from tickets import access, services
from tickets.errors import InvalidInput, TicketError
from tickets.models import Priority, Status, Ticket

MAX_TICKETS = 100

ACTIONS = ("claim", "assign", "status", "priority", "transfer")


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)  # ticket numbers
    failed: list[tuple[int, str]] = field(default_factory=list)  # (number, reason)


_STATUS_SERVICES = {
    Status.OPEN: services.ticket_set_open,
    Status.PENDING: services.ticket_set_pending,
    Status.RESOLVED: services.ticket_resolve,
    Status.CLOSED: services.ticket_close,
}


def ticket_bulk_apply(
    *,
    numbers: list[int],
    action: str,
    by,
    agent: Agent | None = None,
    status: str | None = None,
    priority: int | None = None,
    department: Department | None = None,
) -> BulkOutcome:
    """Apply one action to many tickets the acting agent may work.

    Tickets outside the agent's departments are reported as not found, as the single-ticket
    pages would answer.
    """
    if action not in ACTIONS:
        raise InvalidInput("Choose an action.")
    if not numbers:
        raise InvalidInput("Select at least one ticket.")
    if len(numbers) > MAX_TICKETS:
        raise InvalidInput(f"Select at most {MAX_TICKETS} tickets at a time.")
    if action == "assign" and agent is None:
        raise InvalidInput("Choose an agent to assign the tickets to.")
    if action == "status" and status not in _STATUS_SERVICES:
        raise InvalidInput("Choose a status.")
    if action == "priority" and priority not in Priority.values:
        raise InvalidInput("Choose a priority.")
    if action == "transfer" and department is None:
        raise InvalidInput("Choose a department to transfer the tickets to.")

    departments = access.agent_department_ids(by) if access.is_agent(by) else set()
    tickets = {
        t.number: t
        for t in Ticket.objects.filter(number__in=numbers, department_id__in=departments)
    }
    outcome = BulkOutcome()
    for number in dict.fromkeys(numbers):  # once each, in the order given
        ticket = tickets.get(number)
        if ticket is None:
            outcome.failed.append((number, "No such ticket."))
            continue
        try:
            if action == "claim":
                services.ticket_claim(ticket=ticket, by=by)
            elif action == "assign":
                services.ticket_assign(ticket=ticket, agent=agent, by=by)
            elif action == "status":
                if ticket.status == status:
                    raise InvalidInput(f"Ticket #{number} is already {status}.")
                if status == Status.OPEN and ticket.status == Status.RESOLVED:
                    services.ticket_reopen(ticket=ticket, by=by)
                else:
                    _STATUS_SERVICES[status](ticket=ticket, by=by)
            elif action == "priority":
                services.ticket_set_priority(ticket=ticket, priority=priority, by=by)
            else:
                services.ticket_transfer(ticket=ticket, department=department, by=by)
        except TicketError as error:
            outcome.failed.append((number, error.message))
        else:
            outcome.done.append(number)
    return outcome
