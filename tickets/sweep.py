"""The SLA sweep: warn, breach and escalate, each exactly once, in sets.

One pass works in batches. Each batch is one transaction that

1. locks tickets that have a running clock whose warning or due time has passed, walking
   two small partial indexes in due order with SKIP LOCKED, so an idle pass costs the same
   at any table size and parallel sweeps share the work instead of waiting on each other;
2. marks the clocks with conditional UPDATEs (`warned_at IS NULL`, `breached_at IS NULL`)
   that return exactly the clocks this batch changed;
3. works out, in memory, the events, the plan's escalation actions and the emails owed,
   then writes each kind of row with one statement.

The sweep does not decide whether a ticket is at risk or overdue: that follows from the
ticket's stored deadlines and the time now (Ticket.sla_state_at), so the queue is right
even while a sweep is late. The sweep makes the consequences happen, once.

So two sweeps never touch the same ticket; a retried task finds nothing left to mark; a
worker killed mid-batch rolls the whole batch back for the next pass to redo; and a lost
Celery message loses no email, because each email is an outbox row committed with its
event (tickets/notifications.py sends them). A unique index on (clock, kind) for warning
and breach events is the last line of defence.

Tickets are locked before their clocks, the order the services use, so a sweep and an
agent's reply never deadlock: the sweep skips a ticket the agent holds, and takes it on
its next pass.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agent, Department, DepartmentMembership, User
from sla.models import SLAPlan
from tickets.models import (
    EventKind,
    Notification,
    Priority,
    SLAClock,
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000

CLOCK = SLAClock._meta.db_table
TICKET = Ticket._meta.db_table
EVENT = TicketEvent._meta.db_table
NOTIFICATION = Notification._meta.db_table
AGENT = Agent._meta.db_table
USER = User._meta.db_table
DEPARTMENT = Department._meta.db_table

RUNNING = "c.met_at IS NULL AND c.stopped_at IS NULL AND c.paused_at IS NULL"
WARN_DUE = f"c.warn_at <= %(now)s AND c.warned_at IS NULL AND {RUNNING}"
BREACH_DUE = f"c.due_at <= %(now)s AND c.breached_at IS NULL AND {RUNNING}"
EVENT_VALUE_MAX = TicketEvent._meta.get_field("new_value").max_length


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    notifications: int = 0
    batches: int = 0

    @property
    def transitions(self) -> int:
        return self.warnings + self.breaches


def sla_sweep(*, now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> SweepResult:
    """Run one pass: every clock whose time has come is warned or breached, once."""
    now = now or timezone.now()
    result = SweepResult()
    while True:
        with transaction.atomic():
            ticket_ids = _lock_due_tickets(now, batch_size)
            if not ticket_ids:
                break
            _sweep_batch(ticket_ids, now, result)
            result.batches += 1
    if result.notifications:
        from tickets.tasks import send_notifications  # the tasks module imports this one

        transaction.on_commit(send_notifications.delay)
    if result.transitions:
        logger.info("SLA sweep: %s", result)
    return result


def sla_backlog_exceeds(count: int, *, now: datetime | None = None) -> bool:
    """Whether more than `count` clocks are due to breach: cheap, it stops at count + 1."""
    now = now or timezone.now()
    rows = _fetch(
        f"SELECT 1 FROM {CLOCK} c WHERE {BREACH_DUE} LIMIT %(limit)s",
        {"now": now, "limit": count + 1},
    )
    return len(rows) > count


# SQL helpers: arrays on PostgreSQL, IN lists elsewhere (SQLite, the embedded mode) -------


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pg_array(values) -> str:
    """A PostgreSQL array literal ('{1,2,"text"}'), to send as one string parameter.

    psycopg2 sends a Python list as ARRAY[...], an expression the server parses element by
    element; ten thousand elements cost a sizeable part of a batch. The literal is parsed
    by the array type's input function in one go.
    """
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
        elif isinstance(value, int):
            items.append(str(value))
        else:
            items.append('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(items) + "}"


def _member_of(column: str, name: str, values: list[int]) -> tuple[str, dict]:
    """`column` is one of the ids in `values`, as SQL and parameters."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%({name})s::bigint[])", {name: _pg_array(values)}
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return f"{column} IN ({', '.join(f'%({key})s' for key in params) or 'NULL'})", params


def _insert(
    table: str, columns: dict[str, str], rows: list[tuple], constants: dict[str, object]
) -> None:
    """Insert many rows with one statement.

    `columns` maps each varying column to its PostgreSQL type, in the order of the values
    in `rows`; `constants` are the same for every row (the sweep's time, counters).
    """
    if not rows:
        return
    names = ", ".join([*columns, *constants])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
            fixed = "".join(", %s" for _ in constants)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT v.*{fixed} FROM UNNEST({arrays}) AS v",
                [
                    *constants.values(),
                    *(_pg_array(column) for column in zip(*rows, strict=True)),
                ],
            )
        else:
            marks = ", ".join("%s" for _ in range(len(columns) + len(constants)))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",
                [(*row, *constants.values()) for row in rows],
            )


def _allocate_event_ids(count: int) -> list[int]:
    """Reserve primary keys for events, so notifications can point at them in the same batch."""
    if count == 0:
        return []
    if connection.vendor == "postgresql":
        rows = _fetch(
            "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id')) "
            "FROM generate_series(1, %(count)s)",
            {"table": EVENT, "count": count},
        )
        return [row[0] for row in rows]
    # SQLite writers hold the database lock for the whole transaction (IMMEDIATE mode).
    top = _fetch(f"SELECT COALESCE(MAX(id), 0) FROM {EVENT}", {})[0][0]
    return list(range(top + 1, top + 1 + count))


# The pass ---------------------------------------------------------------------------------


def _lock_due_tickets(now: datetime, limit: int) -> list[int]:
    """Lock up to `limit` tickets with a clock to breach, and as many with one to warn."""
    skip = " SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    lock = f" FOR UPDATE OF t{skip}" if connection.features.has_select_for_update else ""
    ids: set[int] = set()
    for condition, column in ((BREACH_DUE, "due_at"), (WARN_DUE, "warn_at")):
        rows = _fetch(
            f"""
            SELECT t.id FROM {CLOCK} c JOIN {TICKET} t ON t.id = c.ticket_id
            WHERE {condition}
            ORDER BY c.{column}
            LIMIT %(limit)s{lock}
            """,
            {"now": now, "limit": limit},
        )
        ids.update(row[0] for row in rows)
    return sorted(ids)


def _mark(column: str, condition: str, ticket_ids: list[int], now: datetime) -> list[tuple]:
    """Set `column` on the due clocks of locked tickets; return (id, ticket_id, kind, due_at)."""
    member, params = _member_of("c.ticket_id", "tickets", ticket_ids)
    return _fetch(
        f"""
        UPDATE {CLOCK} SET {column} = %(now)s
        WHERE id IN (SELECT c.id FROM {CLOCK} c WHERE {member} AND {condition})
        RETURNING id, ticket_id, kind, due_at
        """,
        {**params, "now": now},
    )


@dataclass
class _TicketRow:
    """What the sweep needs to know of a ticket, read in one query per batch."""

    id: int
    priority: int
    department_id: int
    assignee_id: int | None
    plan_id: int | None
    assignee_user: tuple[int, str] | None  # (user id, name) of an active user
    manager_user: tuple[int, str] | None
    changed: set[str] = field(default_factory=set)


def _load_tickets(ticket_ids: list[int]) -> dict[int, _TicketRow]:
    member, params = _member_of("t.id", "tickets", ticket_ids)
    name = "COALESCE(NULLIF({u}.display_name, ''), {u}.email)"
    rows = _fetch(
        f"""
        SELECT t.id, t.priority, t.department_id, t.assignee_id, t.sla_plan_id,
               au.id, {name.format(u="au")}, au.is_active,
               mu.id, {name.format(u="mu")}, mu.is_active
        FROM {TICKET} t
        LEFT JOIN {AGENT} a ON a.id = t.assignee_id
        LEFT JOIN {USER} au ON au.id = a.user_id
        LEFT JOIN {DEPARTMENT} d ON d.id = t.department_id
        LEFT JOIN {AGENT} m ON m.id = d.manager_id
        LEFT JOIN {USER} mu ON mu.id = m.user_id
        WHERE {member}
        """,
        params,
    )
    return {
        row[0]: _TicketRow(
            id=row[0],
            priority=row[1],
            department_id=row[2],
            assignee_id=row[3],
            plan_id=row[4],
            assignee_user=(row[5], row[6]) if row[5] and row[7] else None,
            manager_user=(row[8], row[9]) if row[8] and row[10] else None,
        )
        for row in rows
    }


@dataclass
class _Escalation:
    """A plan's escalation actions, with the targets it names already resolved."""

    notify_assignee: bool
    notify_manager: bool
    raise_priority: bool
    department: Department | None
    department_manager: tuple[int, str] | None  # (user id, name)
    department_members: frozenset[int]  # agent ids
    agent: Agent | None
    agent_departments: frozenset[int]


def _load_escalations(plan_ids: set[int]) -> dict[int, _Escalation]:
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
    escalations = {}
    for plan in plans:
        department = plan.escalate_to_department
        agent = plan.escalate_to_agent
        manager = department.manager if department else None
        escalations[plan.pk] = _Escalation(
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
    return escalations


def _sweep_batch(ticket_ids: list[int], now: datetime, result: SweepResult) -> None:
    warned = _mark("warned_at", WARN_DUE, ticket_ids, now)
    breached = _mark("breached_at", BREACH_DUE, ticket_ids, now)
    if not warned and not breached:
        return
    tickets = _load_tickets(sorted({row[1] for row in warned + breached}))

    # (ticket_id, kind, old_value, new_value, clock_id); notifications name an event index.
    events: list[tuple] = []
    emails: list[tuple[str, int, int, int]] = []  # (kind, ticket_id, user_id, event index)

    for clock_id, ticket_id, clock_kind, _due in warned:
        ticket = tickets[ticket_id]
        events.append((ticket_id, EventKind.SLA_WARNING, "", clock_kind, clock_id))
        if ticket.assignee_user:
            emails.append(
                (
                    Notification.Kind.SLA_WARNING,
                    ticket_id,
                    ticket.assignee_user[0],
                    len(events) - 1,
                )
            )
    result.warnings += len(warned)

    # One breached clock per ticket speaks for the batch's escalation: the earliest due.
    first_breach: dict[int, tuple] = {}
    for row in breached:
        clock_id, ticket_id, clock_kind, due_at = row
        events.append((ticket_id, EventKind.SLA_BREACHED, "", clock_kind, clock_id))
        earliest = first_breach.get(ticket_id)
        if earliest is None or (due_at, clock_id) < (earliest[3], earliest[0]):
            first_breach[ticket_id] = row
    result.breaches += len(breached)

    plans = _load_escalations({t.plan_id for t in tickets.values() if t.plan_id})
    for clock_id, ticket_id, clock_kind, _due in first_breach.values():
        ticket = tickets[ticket_id]
        plan = plans.get(ticket.plan_id)
        if plan is None:
            continue
        for description, email_to in _escalate(ticket, plan):
            events.append((ticket_id, EventKind.ESCALATED, clock_kind, description, clock_id))
            result.escalations += 1
            if email_to is not None:
                emails.append(
                    (Notification.Kind.SLA_BREACHED, ticket_id, email_to, len(events) - 1)
                )

    event_ids = _allocate_event_ids(len(events))
    _insert(
        EVENT,
        {
            "id": "bigint",
            "ticket_id": "bigint",
            "kind": "text",
            "old_value": "text",
            "new_value": "text",
            "clock_id": "bigint",
        },
        [
            (event_id, ticket_id, kind, old[:EVENT_VALUE_MAX], new[:EVENT_VALUE_MAX], clock_id)
            for event_id, (ticket_id, kind, old, new, clock_id) in zip(
                event_ids, events, strict=True
            )
        ],
        {"created_at": now},
    )
    _insert(
        NOTIFICATION,
        {"kind": "text", "ticket_id": "bigint", "recipient_id": "bigint", "event_id": "bigint"},
        [
            (kind, ticket_id, user_id, event_ids[index])
            for kind, ticket_id, user_id, index in emails
        ],
        {"created_at": now, "attempts": 0, "last_error": ""},
    )
    result.notifications += len(emails)
    _update_tickets([t for t in tickets.values() if t.changed], now)


def _escalate(ticket: _TicketRow, plan: _Escalation):
    """Apply the plan's actions to the ticket row; yield (event text, user id to email or None).

    Order matters: transfer, reassign and raise first, so that the emails go to whoever
    holds the ticket after the moves.
    """
    if plan.department is not None and plan.department.pk != ticket.department_id:
        ticket.department_id = plan.department.pk
        ticket.changed.add("department_id")
        # The new department's manager is the one to tell, not the old one's.
        ticket.manager_user = plan.department_manager
        if ticket.assignee_id is not None and ticket.assignee_id not in plan.department_members:
            ticket.assignee_id, ticket.assignee_user = None, None
            ticket.changed.add("assignee_id")
        yield f"Transferred to {plan.department.name}", None
    agent = plan.agent
    if (
        agent is not None
        and agent.pk != ticket.assignee_id
        and ticket.department_id in plan.agent_departments
    ):
        ticket.assignee_id = agent.pk
        ticket.assignee_user = (agent.user_id, str(agent.user))
        ticket.changed.add("assignee_id")
        yield f"Reassigned to {agent.user}", None
    if plan.raise_priority and ticket.priority < Priority.URGENT:
        old = Priority(ticket.priority).label
        ticket.priority += 1
        ticket.changed.add("priority")
        yield f"Priority raised from {old} to {Priority(ticket.priority).label}", None
    if plan.notify_assignee and ticket.assignee_user:
        user_id, name = ticket.assignee_user
        yield f"Notified {name} (assignee)", user_id
    if plan.notify_manager and ticket.manager_user:
        user_id, name = ticket.manager_user
        yield f"Notified {name} (manager)", user_id


def _update_tickets(tickets: list[_TicketRow], now: datetime) -> None:
    """One UPDATE for the tickets an escalation moved (priority, department, assignee).

    A breach alone changes no ticket row: at risk and overdue follow from the deadlines
    (Ticket.sla_state_at), so they were already true before the sweep came by.
    """
    if not tickets:
        return
    rows = [(t.id, t.priority, t.department_id, t.assignee_id) for t in tickets]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                UPDATE {TICKET} t SET
                    priority = v.priority, department_id = v.department_id,
                    assignee_id = v.assignee_id, updated_at = %s
                FROM UNNEST(%s::bigint[], %s::smallint[], %s::bigint[], %s::bigint[])
                    AS v(id, priority, department_id, assignee_id)
                WHERE t.id = v.id
                """,
                [now, *(_pg_array(column) for column in zip(*rows, strict=True))],
            )
        else:
            cursor.executemany(
                f"""
                UPDATE {TICKET} SET priority = %s, department_id = %s, assignee_id = %s,
                    updated_at = %s
                WHERE id = %s
                """,
                [(p, d, a, now, pk) for pk, p, d, a in rows],
            )
