"""What a breach sets off: the plan's escalation actions, worked out in memory for the sweep.

The sweep loads each breached ticket as a small row and each plan's actions with their
targets resolved, then asks `escalate` what to do. It answers in the services' vocabulary
(tickets/events.py): a transfer is a `transferred` change by the system, a reassignment an
`assigned` one, a raise a `priority_changed` one, each followed by the `escalated` marker
that says why; a notification is a marker with the email it sends.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Q

from accounts.models import Agent, Department, DepartmentMembership, User
from sla.models import SLAPlan
from tickets.clocks.sweep_sql import fetch, member_of
from tickets.events import priority_ref
from tickets.models import EventKind, Priority, Ticket

Person = tuple[int, str]  # (id, name)


@dataclass
class TicketRow:
    """What the sweep needs to know of a ticket, read in one query per batch."""

    id: int
    priority: int
    department: Person
    assignee: Person | None  # (agent id, name)
    plan_id: int | None
    assignee_user: Person | None  # (user id, name) of an active user
    manager_user: Person | None
    changed: set[str] = field(default_factory=set)

    @property
    def department_id(self) -> int:
        return self.department[0]

    @property
    def assignee_id(self) -> int | None:
        return self.assignee[0] if self.assignee else None


# The sweep writes tens of thousands of events a batch. Their data is JSON text made of
# parts encoded once per distinct value (a person, a priority) and joined, rather than a
# dict passed through json.dumps per row: the same text, at a fraction of the cost.


@lru_cache(maxsize=8192)
def person_json(person: Person | None) -> str:
    return "null" if person is None else json.dumps({"id": person[0], "name": person[1]})


@lru_cache(maxsize=16)
def priority_json(value: int) -> str:
    return json.dumps(priority_ref(value))


def change_json(old: str, new: str) -> str:
    """{"from": old, "to": new}, from two encoded references."""
    return f'{{"from": {old}, "to": {new}}}'


def marker_json(action: str, body: str) -> str:
    """The marker's own part of an escalated event: its action, then `body`'s members."""
    return f'{{"action": "{action}", {body[1:]}'


def load_tickets(ticket_ids: list[int]) -> dict[int, TicketRow]:
    member, params = member_of("t.id", "tickets", ticket_ids)
    name = "COALESCE(NULLIF({u}.display_name, ''), {u}.email)"
    rows = fetch(
        f"""
        SELECT t.id, t.priority, t.department_id, d.name, t.assignee_id, t.sla_plan_id,
               au.id, {name.format(u="au")}, au.is_active,
               mu.id, {name.format(u="mu")}, mu.is_active
        FROM {Ticket._meta.db_table} t
        LEFT JOIN {Agent._meta.db_table} a ON a.id = t.assignee_id
        LEFT JOIN {User._meta.db_table} au ON au.id = a.user_id
        LEFT JOIN {Department._meta.db_table} d ON d.id = t.department_id
        LEFT JOIN {Agent._meta.db_table} m ON m.id = d.manager_id
        LEFT JOIN {User._meta.db_table} mu ON mu.id = m.user_id
        WHERE {member}
        """,  # nosec B608 # table and column names from the models; values are placeholders
        params,
    )
    return {
        row[0]: TicketRow(
            id=row[0],
            priority=row[1],
            department=(row[2], row[3]),
            # An agent is named after its user.
            assignee=(row[4], row[7]) if row[4] else None,
            plan_id=row[5],
            assignee_user=(row[6], row[7]) if row[6] and row[8] else None,
            manager_user=(row[9], row[10]) if row[9] and row[11] else None,
        )
        for row in rows
    }


@dataclass
class Escalation:
    """A plan's escalation actions, with the targets it names already resolved."""

    notify_assignee: bool
    notify_manager: bool
    raise_priority: bool
    department: Department | None
    department_manager: Person | None  # (user id, name)
    department_members: frozenset[int]  # agent ids
    agent: Agent | None
    agent_departments: frozenset[int]


def load_escalations(plan_ids: set[int]) -> dict[int, Escalation]:
    plans = SLAPlan.objects.filter(pk__in=plan_ids).select_related(
        "escalate_to_department__manager__user", "escalate_to_agent__user"
    )
    agent_ids = {plan.escalate_to_agent_id for plan in plans if plan.escalate_to_agent_id}
    department_ids = {p.escalate_to_department_id for p in plans if p.escalate_to_department_id}
    departments_of, members_of = defaultdict(set), defaultdict(set)
    for agent_id, department_id in DepartmentMembership.objects.filter(
        Q(agent_id__in=agent_ids) | Q(department_id__in=department_ids)
    ).values_list("agent_id", "department_id"):
        departments_of[agent_id].add(department_id)
        members_of[department_id].add(agent_id)
    return {plan.pk: _escalation_of(plan, members_of, departments_of) for plan in plans}


def _escalation_of(plan: SLAPlan, members_of, departments_of) -> Escalation:
    department = plan.escalate_to_department
    agent = plan.escalate_to_agent
    manager = department.manager if department else None
    return Escalation(
        notify_assignee=plan.escalate_notify_assignee,
        notify_manager=plan.escalate_notify_manager,
        raise_priority=plan.escalate_raise_priority,
        department=department if department and department.is_active else None,
        department_manager=(manager.user_id, str(manager.user))
        if manager and manager.user.is_active
        else None,
        department_members=frozenset(members_of[plan.escalate_to_department_id]),
        agent=agent if agent and agent.is_active and agent.user.is_active else None,
        agent_departments=frozenset(departments_of[plan.escalate_to_agent_id]),
    )


@dataclass(frozen=True)
class Step:
    """One escalation action: the changes it made (kind, data as JSON text), its marker
    (JSON text, without the clock the sweep adds), and the user it emails."""

    marker: str
    changes: tuple[tuple[str, str], ...] = ()
    email_to: int | None = None


def escalate(ticket: TicketRow, plan: Escalation) -> Iterator[Step]:
    """Apply the plan's actions to the ticket row, and say what each did.

    Order matters: transfer, reassign and raise first, so that the emails go to whoever
    holds the ticket after the moves.
    """
    if plan.department is not None and plan.department.pk != ticket.department_id:
        yield _transfer(ticket, plan)
    agent = plan.agent
    if (
        agent is not None
        and agent.pk != ticket.assignee_id
        and ticket.department_id in plan.agent_departments
    ):
        new = (agent.pk, str(agent.user))
        moved = change_json(person_json(ticket.assignee), person_json(new))
        ticket.assignee = new
        ticket.assignee_user = (agent.user_id, str(agent.user))
        ticket.changed.add("assignee_id")
        yield Step(marker_json("assigned", moved), ((EventKind.ASSIGNED, moved),))
    if plan.raise_priority and ticket.priority < Priority.URGENT:
        raised = change_json(priority_json(ticket.priority), priority_json(ticket.priority + 1))
        ticket.priority += 1
        ticket.changed.add("priority")
        yield Step(marker_json("priority_raised", raised), ((EventKind.PRIORITY_CHANGED, raised),))
    for wanted, person, role in (
        (plan.notify_assignee, ticket.assignee_user, "assignee"),
        (plan.notify_manager, ticket.manager_user, "manager"),
    ):
        if wanted and person:
            body = f'{{"to": {person_json(person)}, "role": "{role}"}}'
            yield Step(marker_json("notified", body), email_to=person[0])


def _transfer(ticket: TicketRow, plan: Escalation) -> Step:
    department = plan.department
    changes = []
    if ticket.assignee is not None and ticket.assignee_id not in plan.department_members:
        # As ticket_transfer does: an assignee who does not work there is let go.
        let_go = change_json(person_json(ticket.assignee), "null")
        changes.append((EventKind.ASSIGNED, let_go))
        ticket.assignee, ticket.assignee_user = None, None
        ticket.changed.add("assignee_id")
    new = (department.pk, department.name)
    moved = change_json(person_json(ticket.department), person_json(new))
    changes.append((EventKind.TRANSFERRED, moved))
    ticket.department = new
    ticket.changed.add("department_id")
    # The new department's manager is the one to tell, not the old one's.
    ticket.manager_user = plan.department_manager
    return Step(marker_json("transferred", moved), tuple(changes))
