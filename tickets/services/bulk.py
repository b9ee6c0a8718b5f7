"""Bulk actions on the queue: one single-ticket service per ticket.

Each ticket goes through the same service a single action would call, in its own
transaction, so events, clocks, notifications and permission checks hold exactly as they
do one at a time; one ticket failing (claimed meanwhile, closed, not yours) does not undo
or stop the others. The outcome says which succeeded and why the others did not.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.models import Agent, Department
from tickets import access
from tickets.errors import InvalidInput, TicketError, TransitionNotAllowed
from tickets.models import Priority, Status, Ticket
from tickets.services.assignment import ticket_assign, ticket_claim, ticket_transfer
from tickets.services.lifecycle import ticket_change_status
from tickets.services.merges import ticket_merge
from tickets.services.tags import tag_clean_name, ticket_add_tag, ticket_remove_tag
from tickets.services.triage import ticket_set_priority
from tickets.transitions import ACTIONS, not_allowed_message, status_action_for

MAX_TICKETS = 100

# The bulk bar's choices: the table's actions offered in bulk, and a change of status,
# which becomes the status action that leads there from each ticket's own status.
STATUS_CHANGE = "status"
_OFFERED = [name for name, action in ACTIONS.items() if action.bulk_label]
BULK_ACTIONS: dict[str, str] = {
    **{name: ACTIONS[name].bulk_label for name in _OFFERED[:2]},  # claim, assign
    STATUS_CHANGE: "Set status…",
    **{name: ACTIONS[name].bulk_label for name in _OFFERED[2:]},
}


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)  # ticket numbers
    failed: list[tuple[int, str]] = field(default_factory=list)  # (number, reason)


@dataclass(frozen=True)
class BulkChange:
    """One action with its argument, checked once for all the tickets."""

    action: str
    agent: Agent | None = None
    status: str | None = None
    priority: int | None = None
    department: Department | None = None
    target: Ticket | None = None
    tag: str | None = None

    def check(self) -> None:
        if self.action not in BULK_ACTIONS:
            raise InvalidInput("Choose an action.")
        missing = {
            "assign": (self.agent is None, "Choose an agent to assign the tickets to."),
            STATUS_CHANGE: (self.status not in Status.values, "Choose a status."),
            "priority": (self.priority not in Priority.values, "Choose a priority."),
            "transfer": (
                self.department is None,
                "Choose a department to transfer the tickets to.",
            ),
            "merge": (self.target is None, "Choose the ticket to merge them into, by number."),
        }
        is_missing, message = missing.get(self.action, (False, ""))
        if is_missing:
            raise InvalidInput(message)
        if self.action in ("add-tag", "remove-tag"):
            tag_clean_name(self.tag)  # the tag's own message, once for all the tickets

    def service(self) -> Callable[[Ticket, object], object]:
        """The single-ticket service this change is, as a call of (ticket, by)."""
        return {
            "claim": lambda ticket, by: ticket_claim(ticket=ticket, by=by),
            "assign": lambda ticket, by: ticket_assign(ticket=ticket, agent=self.agent, by=by),
            STATUS_CHANGE: self._change_status,
            "priority": lambda ticket, by: ticket_set_priority(
                ticket=ticket, priority=self.priority, by=by
            ),
            "transfer": lambda ticket, by: ticket_transfer(
                ticket=ticket, department=self.department, by=by
            ),
            "add-tag": lambda ticket, by: ticket_add_tag(ticket=ticket, name=self.tag, by=by),
            "remove-tag": lambda ticket, by: ticket_remove_tag(
                ticket=ticket, name=self.tag, by=by
            ),
        }[self.action]

    def _change_status(self, ticket: Ticket, by) -> Ticket:
        if ticket.status == self.status:
            raise InvalidInput(f"Ticket #{ticket.number} is already {self.status}.")
        action = status_action_for(ticket.status, self.status)
        if action is None:
            # No move leads there: answer as the action towards it would.
            towards = next(a for a in ACTIONS.values() if a.target == self.status)
            raise TransitionNotAllowed(
                not_allowed_message(towards, number=ticket.number, status=ticket.status)
            )
        return ticket_change_status(ticket=ticket, action=action.name, by=by)


def ticket_bulk_apply(
    *,
    numbers: list[int],
    action: str,
    by,
    agent: Agent | None = None,
    status: str | None = None,
    priority: int | None = None,
    department: Department | None = None,
    target: Ticket | None = None,
    tag: str | None = None,
) -> BulkOutcome:
    """Apply one action to many tickets the acting agent may work.

    Tickets outside the agent's departments are reported as not found, as the single-ticket
    pages would answer. A merge is one change of them all into `target`: all or none.
    """
    bulk = BulkChange(
        action=action,
        agent=agent,
        status=status,
        priority=priority,
        department=department,
        target=target,
        tag=tag,
    )
    bulk.check()
    if not numbers:
        raise InvalidInput("Select at least one ticket.")
    if len(numbers) > MAX_TICKETS:
        raise InvalidInput(f"Select at most {MAX_TICKETS} tickets at a time.")

    departments = access.agent_department_ids(by) if access.is_agent(by) else set()
    tickets = {
        t.number: t
        for t in Ticket.objects.filter(number__in=numbers, department_id__in=departments)
    }
    if action == "merge":
        return _merge(numbers, tickets, target, by)
    apply = bulk.service()
    outcome = BulkOutcome()
    for number in dict.fromkeys(numbers):  # once each, in the order given
        ticket = tickets.get(number)
        if ticket is None:
            outcome.failed.append((number, "No such ticket."))
            continue
        try:
            apply(ticket, by)
        except TicketError as error:
            outcome.failed.append((number, error.message))
        else:
            outcome.done.append(number)
    return outcome


def _merge(numbers: list[int], tickets: dict[int, Ticket], target: Ticket, by) -> BulkOutcome:
    outcome = BulkOutcome()
    wanted = list(dict.fromkeys(n for n in numbers if n != target.number))
    missing = [n for n in wanted if n not in tickets]
    if missing:
        outcome.failed = [(n, "No such ticket.") for n in missing]
        return outcome
    try:
        ticket_merge(sources=[tickets[n] for n in wanted], target=target, by=by)
    except TicketError as error:
        outcome.failed = [(n, error.message) for n in wanted]
    else:
        outcome.done = wanted
    return outcome
