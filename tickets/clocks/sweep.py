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
event (tickets/outbox sends them). A unique index on (clock, kind) for warning
and breach events is the last line of defence.

Tickets are locked before their clocks, the order the services use, so a sweep and an
agent's reply never deadlock: the sweep skips a ticket the agent holds, and takes it on
its next pass.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Department
from tickets.clocks.escalation import TicketRow, escalate, load_escalations, load_tickets
from tickets.clocks.sweep_sql import allocate_event_ids, fetch, insert, member_of, pg_array
from tickets.events import RecordedEvent, events_recorded, listeners_listening
from tickets.models import (
    RUNNING_CLOCK_UNSET,
    ClockKind,
    EventKind,
    Notification,
    SLAClock,
    Ticket,
    TicketEvent,
)
from tickets.outbox import outbox_wake_on_commit

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000

CLOCK = SLAClock._meta.db_table
TICKET = Ticket._meta.db_table
EVENT = TicketEvent._meta.db_table
NOTIFICATION = Notification._meta.db_table

# The running-clock condition of tickets.models, in SQL over alias c.
RUNNING = " AND ".join(f"c.{name} IS NULL" for name in RUNNING_CLOCK_UNSET)
WARN_DUE = f"c.warn_at <= %(now)s AND c.warned_at IS NULL AND {RUNNING}"
BREACH_DUE = f"c.due_at <= %(now)s AND c.breached_at IS NULL AND {RUNNING}"


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    notifications: int = 0
    batches: int = 0
    # Tickets an escalation transferred, unassigned, into a department that assigns by
    # itself. The sweep cannot pick their agent (the policy is a service, above the clocks):
    # its callers hand these to tickets.services.tickets_auto_assign after it commits.
    to_auto_assign: list[int] = field(default_factory=list)

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
        outbox_wake_on_commit()
    if result.transitions:
        logger.info("SLA sweep: %s", result)
    return result


def sla_backlog_exceeds(count: int, *, now: datetime | None = None) -> bool:
    """Whether more than `count` clocks are due to breach: cheap, it stops at count + 1."""
    now = now or timezone.now()
    rows = fetch(
        f"SELECT 1 FROM {CLOCK} c WHERE {BREACH_DUE} LIMIT %(limit)s",  # nosec B608 # table and column names from the models; values are placeholders
        {"now": now, "limit": count + 1},
    )
    return len(rows) > count


# The pass ---------------------------------------------------------------------------------


def _lock_due_tickets(now: datetime, limit: int) -> list[int]:
    """Lock up to `limit` tickets with a clock to breach, and as many with one to warn."""
    skip = " SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    lock = f" FOR UPDATE OF t{skip}" if connection.features.has_select_for_update else ""
    ids: set[int] = set()
    for condition, column in ((BREACH_DUE, "due_at"), (WARN_DUE, "warn_at")):
        rows = fetch(
            f"""
            SELECT t.id FROM {CLOCK} c JOIN {TICKET} t ON t.id = c.ticket_id
            WHERE {condition}
            ORDER BY c.{column}
            LIMIT %(limit)s{lock}
            """,  # nosec B608 # table and column names from the models; values are placeholders
            {"now": now, "limit": limit},
        )
        ids.update(row[0] for row in rows)
    return sorted(ids)


def _mark(column: str, condition: str, ticket_ids: list[int], now: datetime) -> list[tuple]:
    """Set `column` on the due clocks of locked tickets; return (id, ticket_id, kind, due_at)."""
    member, params = member_of("c.ticket_id", "tickets", ticket_ids)
    return fetch(
        f"""
        UPDATE {CLOCK} SET {column} = %(now)s
        WHERE id IN (SELECT c.id FROM {CLOCK} c WHERE {member} AND {condition})
        RETURNING id, ticket_id, kind, due_at
        """,  # nosec B608 # table and column names from the models; values are placeholders
        {**params, "now": now},
    )


@dataclass
class _Writes:
    """The rows a batch owes: events (by the system), and emails naming an event by index."""

    events: list[tuple[int, str, str, int | None]] = field(default_factory=list)
    emails: list[tuple[str, int, int, int]] = field(default_factory=list)

    def event(self, ticket_id: int, kind: str, data: str, clock_id: int | None = None) -> int:
        """Queue an event with its data as JSON text (tickets/events.py's vocabulary)."""
        self.events.append((ticket_id, kind, data, clock_id))
        return len(self.events) - 1

    def email(self, kind: str, ticket_id: int, user_id: int, event_index: int) -> None:
        self.emails.append((kind, ticket_id, user_id, event_index))


def _sweep_batch(ticket_ids: list[int], now: datetime, result: SweepResult) -> None:
    warned = _mark("warned_at", WARN_DUE, ticket_ids, now)
    breached = _mark("breached_at", BREACH_DUE, ticket_ids, now)
    if not warned and not breached:
        return
    tickets = load_tickets(sorted({row[1] for row in warned + breached}))
    writes = _Writes()
    _warn(writes, warned, tickets)
    first_breaches = _breach(writes, breached)
    _escalate_all(writes, first_breaches, tickets, result)
    event_ids = _write(writes, now)
    _update_tickets([t for t in tickets.values() if t.changed], now)
    _announce(writes, event_ids, now)
    result.warnings += len(warned)
    result.breaches += len(breached)
    result.notifications += len(writes.emails)


def _warn(writes: _Writes, warned: list[tuple], tickets: dict[int, TicketRow]) -> None:
    """A warning event per clock, and an email to the assignee."""
    for clock_id, ticket_id, clock_kind, _due in warned:
        index = writes.event(
            ticket_id, EventKind.SLA_WARNING, _clock_data(clock_id, clock_kind), clock_id
        )
        assignee = tickets[ticket_id].assignee_user
        if assignee:
            writes.email(Notification.Kind.SLA_WARNING, ticket_id, assignee[0], index)


def _breach(writes: _Writes, breached: list[tuple]) -> list[tuple]:
    """A breach event per clock; returns the clock that speaks for each ticket's escalation.

    One breached clock per ticket escalates for the batch: the earliest due.
    """
    first: dict[int, tuple] = {}
    for row in breached:
        clock_id, ticket_id, clock_kind, due_at = row
        writes.event(
            ticket_id, EventKind.SLA_BREACHED, _clock_data(clock_id, clock_kind), clock_id
        )
        earliest = first.get(ticket_id)
        if earliest is None or (due_at, clock_id) < (earliest[3], earliest[0]):
            first[ticket_id] = row
    return list(first.values())


def _escalate_all(
    writes: _Writes, breaches: list[tuple], tickets: dict[int, TicketRow], result: SweepResult
) -> None:
    """The plans' escalation actions for the breached tickets, counted in the result."""
    plans = load_escalations({t.plan_id for t in tickets.values() if t.plan_id})
    for clock_id, ticket_id, clock_kind, _due in breaches:
        ticket = tickets[ticket_id]
        plan = plans.get(ticket.plan_id)
        if plan is None:
            continue
        clock = _clock_json(clock_id, clock_kind)
        for step in escalate(ticket, plan):
            for kind, data in step.changes:
                writes.event(ticket_id, kind, data)
            marked = f'{{"clock": {clock}, {step.marker[1:]}'
            index = writes.event(ticket_id, EventKind.ESCALATED, marked, clock_id)
            result.escalations += 1
            if step.email_to is not None:
                writes.email(Notification.Kind.SLA_BREACHED, ticket_id, step.email_to, index)
        if _assigns_by_itself(ticket, plan):
            result.to_auto_assign.append(ticket_id)


def _assigns_by_itself(ticket: TicketRow, plan) -> bool:
    """Whether the escalation moved the ticket, unassigned, into an auto-assigning
    department (its policy is loaded with the plan: no query)."""
    return (
        "department_id" in ticket.changed
        and ticket.assignee is None
        and plan.department is not None
        and plan.department.auto_assignment != Department.AutoAssignment.OFF
    )


@lru_cache(maxsize=8)
def _clock_kind_json(kind: str) -> str:
    return f'"kind": {json.dumps(kind)}, "name": {json.dumps(ClockKind(kind).label)}'


def _clock_json(clock_id: int, kind: str) -> str:
    """tickets.events.clock_ref(clock_id, kind), encoded."""
    return f'{{"id": {int(clock_id)}, {_clock_kind_json(kind)}}}'


def _clock_data(clock_id: int, kind: str) -> str:
    return f'{{"clock": {_clock_json(clock_id, kind)}}}'


def _write(writes: _Writes, now: datetime) -> list[int]:
    """The batch's events and emails, one statement each; returns the events' ids."""
    event_ids = allocate_event_ids(len(writes.events))
    insert(
        EVENT,
        {
            "id": "bigint",
            "ticket_id": "bigint",
            "kind": "text",
            "data": "jsonb",
            "clock_id": "bigint",
        },
        [(event_id, *event) for event_id, event in zip(event_ids, writes.events, strict=True)],
        {"created_at": now},
    )
    insert(
        NOTIFICATION,
        {"kind": "text", "ticket_id": "bigint", "recipient_id": "bigint", "event_id": "bigint"},
        [
            (kind, ticket_id, user_id, event_ids[index])
            for kind, ticket_id, user_id, index in writes.emails
        ],
        {"created_at": now, "attempts": 0, "last_error": ""},
    )
    return event_ids


def _announce(writes: _Writes, event_ids: list[int], now: datetime) -> None:
    """The batch's events to the listeners (webhooks), after the tickets' own update so a
    listener reading them sees the escalations' moves. Nothing is built when none listens."""
    if not listeners_listening():
        return
    events_recorded(
        [
            RecordedEvent(id=event_id, ticket_id=ticket_id, kind=kind, data=data, created_at=now)
            for event_id, (ticket_id, kind, data, _clock) in zip(
                event_ids, writes.events, strict=True
            )
        ]
    )


def _update_tickets(tickets: list[TicketRow], now: datetime) -> None:
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
                """,  # nosec B608 # table and column names from the models; values are placeholders
                [now, *(pg_array(column) for column in zip(*rows, strict=True))],
            )
        else:
            cursor.executemany(
                f"""
                UPDATE {TICKET} SET priority = %s, department_id = %s, assignee_id = %s,
                    updated_at = %s
                WHERE id = %s
                """,  # nosec B608 # table and column names from the models; values are placeholders
                [(p, d, a, now, pk) for pk, p, d, a in rows],
            )
