"""Auto-assignment: a department's new (or newly transferred) ticket goes to one of its
available agents, by the department's policy (docs/auto-assignment.md, decision 0033).

- round-robin: the eligible agent after the department's last pick, in id order, wrapping
  around;
- least-open: the eligible agent with the fewest assigned tickets that have a running SLA
  clock (tickets.models.RUNNING_CLOCK), ties broken in the same round-robin order.

Eligible: active agents (and users), members of the ticket's department, available for
new tickets. Nobody eligible: the ticket stays unassigned.

Every pick happens under the department row's lock, taken after the ticket's (the order
ticket_transfer takes them in, so the two never wait on each other in a cycle): two
tickets arriving at once are picked one after the other, each seeing the other's choice.
"""

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Agent, Department
from tickets import access
from tickets.events import change, ref
from tickets.models import RUNNING_CLOCK, EventKind, SLAClock, Ticket
from tickets.services.common import lock_ticket, record_event, require_agent, save_ticket
from tickets.services.notifications import notify_assigned

Policy = Department.AutoAssignment


def auto_assignment_on(department: Department) -> bool:
    """Whether the department assigns by itself (its loaded value: no query). Callers ask
    first, so a department with the policy off costs intake no lock and no query."""
    return department.auto_assignment != Policy.OFF


def eligible_agents(department: Department) -> QuerySet[Agent]:
    """Who may be picked for the department's tickets, in round-robin order (by id)."""
    return access.assignable_agents(department).filter(is_available=True).order_by("pk")


def _after_last(department: Department) -> Case:
    # 0 for agents after the last pick, 1 for the rest: the round-robin's order, wrapped.
    last = department.last_auto_assigned_id or 0
    return Case(When(pk__gt=last, then=Value(0)), default=Value(1), output_field=IntegerField())


def _running_load() -> Coalesce:
    """How many tickets assigned to the agent have a running SLA clock."""
    running = (
        Ticket.objects.filter(assignee=OuterRef("pk"))
        .filter(Exists(SLAClock.objects.filter(RUNNING_CLOCK, ticket=OuterRef("pk"))))
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(running, output_field=IntegerField()), Value(0))


def pick_agent(department: Department) -> Agent | None:
    """The agent the department's policy picks now (call it under the department's lock)."""
    # Annotations, not aliases: assignable_agents is DISTINCT, so the sort keys are selected.
    eligible = eligible_agents(department)
    if department.auto_assignment == Policy.ROUND_ROBIN:
        return eligible.annotate(wrapped=_after_last(department)).order_by("wrapped", "pk").first()
    if department.auto_assignment == Policy.LEAST_OPEN:
        return (
            eligible.annotate(load=_running_load(), wrapped=_after_last(department))
            .order_by("load", "wrapped", "pk")
            .first()
        )
    return None


def ticket_auto_assign(*, ticket: Ticket, by) -> Ticket:
    """Give an unassigned, open ticket to the agent its department's policy picks.

    Nothing happens (and no error) when the policy is off, the ticket already has an
    assignee or is resolved or closed, or nobody is eligible. `by` is who acts: the system
    (intake, transfers, automation rules) or an agent of the ticket's department. The
    assignment is the usual `assigned` event, marked `"auto": true` with its policy, so
    webhooks, reports and the timeline see it, and the agent is told by email.
    """
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_agent(by, ticket)
        if ticket.assignee_id is not None or not ticket.is_open:
            return ticket
        department = Department.objects.select_for_update().get(pk=ticket.department_id)
        if not auto_assignment_on(department):
            return ticket
        agent = pick_agent(department)
        if agent is None:
            return ticket
        ticket.assignee = agent
        save_ticket(ticket, "assignee")
        department.last_auto_assigned = agent
        department.save(update_fields=["last_auto_assigned"])
        data = {**change(None, ref(agent)), "auto": True, "policy": department.auto_assignment}
        event = record_event(ticket, EventKind.ASSIGNED, by, data)
        notify_assigned(ticket=ticket, agent=agent, event=event, by=by)
    return ticket


def tickets_auto_assign(*, ticket_ids: list[int], by) -> int:
    """Auto-assign each of the tickets, one transaction each; returns how many got an agent.

    The SLA sweep's escalations transfer tickets in sets and in SQL, below the services: its
    callers hand the unassigned ones to this once the sweep has committed. A ticket that got
    an assignee, was resolved or moved on in between is left as it is (ticket_auto_assign
    decides under its lock), so a retried pass assigns nothing twice.
    """
    assigned = 0
    for ticket in Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"):
        before = ticket.assignee_id
        ticket = ticket_auto_assign(ticket=ticket, by=by)
        assigned += before is None and ticket.assignee_id is not None
    return assigned
