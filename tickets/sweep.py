"""The SLA sweep: warn, breach and escalate, each exactly once, in sets.

One pass works in batches. Each batch is one transaction that

1. picks tickets with a running clock whose warning or due time has passed (two small
   partial indexes answer this, so an idle pass costs the same at any table size) and
   locks those ticket rows with SKIP LOCKED, the order the services lock in too;
2. marks the clocks with a conditional UPDATE (`warned_at IS NULL`, `breached_at IS
   NULL`) that returns exactly the clocks this batch changed;
3. writes the `sla_warning` / `sla_breached` events, the ticket's SLA state, the plan's
   escalation actions and their `escalated` events, and the notification rows (an outbox
   the worker sends from after commit), all with INSERT ... SELECT over the batch.

So two sweeps at once never touch the same ticket; a retried task finds nothing left to
mark; a worker killed mid-batch rolls its batch back whole, for the next pass to redo; and
a lost Celery message loses no email, because the email is a row committed with its event.
A unique index on (clock, kind) for warning and breach events is the last line of defence.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Agent, Department, DepartmentMembership, User
from sla.models import SLAPlan
from tickets.models import (
    EventKind,
    Notification,
    Priority,
    SLAClock,
    SLAState,
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000

CLOCK = SLAClock._meta.db_table
TICKET = Ticket._meta.db_table
EVENT = TicketEvent._meta.db_table
NOTIFICATION = Notification._meta.db_table
PLAN = SLAPlan._meta.db_table
AGENT = Agent._meta.db_table
USER = User._meta.db_table
DEPARTMENT = Department._meta.db_table
MEMBERSHIP = DepartmentMembership._meta.db_table

RUNNING = "c.met_at IS NULL AND c.stopped_at IS NULL AND c.paused_at IS NULL"
WARN_DUE = f"c.warn_at <= %(now)s AND c.warned_at IS NULL AND {RUNNING}"
BREACH_DUE = f"c.due_at <= %(now)s AND c.breached_at IS NULL AND {RUNNING}"
# A person's name as events show it: the display name, else the email.
NAME = "COALESCE(NULLIF({u}.display_name, ''), {u}.email)"


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    notifications: int = 0
    batches: int = 0
    ticket_ids: set[int] = field(default_factory=set, repr=False)

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
        from tickets.tasks import send_notifications  # tasks import services; avoid a cycle

        transaction.on_commit(send_notifications.delay)
    if result.transitions:
        logger.info("SLA sweep: %s", result)
    return result


def _execute(sql: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _in(name: str, values) -> tuple[str, dict]:
    """An IN list as named placeholders: portable across PostgreSQL and SQLite."""
    values = list(values)
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return "(" + ", ".join(f"%({key})s" for key in params) + ")", params


def _lock_due_tickets(now: datetime, limit: int) -> list[int]:
    """Lock up to `limit` tickets with a clock to breach, and as many with one to warn.

    Walks the partial indexes in due order and skips tickets another transaction holds
    (a concurrent sweep, or a service changing the ticket), so parallel sweeps share the
    work instead of queueing on each other.
    """
    skip_locked = " SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    for_update = (
        f" FOR UPDATE OF t{skip_locked}" if connection.features.has_select_for_update else ""
    )
    ids: set[int] = set()
    for condition, column in ((BREACH_DUE, "due_at"), (WARN_DUE, "warn_at")):
        rows = _fetch(
            f"""
            SELECT t.id FROM {CLOCK} c JOIN {TICKET} t ON t.id = c.ticket_id
            WHERE {condition}
            ORDER BY c.{column}
            LIMIT %(limit)s{for_update}
            """,
            {"now": now, "limit": limit},
        )
        ids.update(row[0] for row in rows)
    return sorted(ids)


def _mark(column: str, condition: str, tickets_in: str, params: dict) -> list[int]:
    """Set `column` on the batch's due clocks; return the ids this statement changed."""
    rows = _fetch(
        f"""
        UPDATE {CLOCK} SET {column} = %(now)s
        WHERE id IN (SELECT c.id FROM {CLOCK} c WHERE c.ticket_id IN {tickets_in} AND {condition})
        RETURNING id
        """,
        params,
    )
    return [row[0] for row in rows]


def _sweep_batch(ticket_ids: list[int], now: datetime, result: SweepResult) -> None:
    tickets_in, params = _in("t", ticket_ids)
    params["now"] = now
    result.ticket_ids.update(ticket_ids)

    warned = _mark("warned_at", WARN_DUE, tickets_in, params)
    if warned:
        result.warnings += _record_clock_events(warned, EventKind.SLA_WARNING, now)
        result.notifications += _notify_assignees(warned, EventKind.SLA_WARNING, now)
        clocks_in, clock_params = _in("c", warned)
        _execute(
            f"""
            UPDATE {TICKET} SET sla_state = %(warning)s
            WHERE sla_state <> %(breached)s
              AND id IN (SELECT ticket_id FROM {CLOCK} WHERE id IN {clocks_in})
            """,
            {**clock_params, "warning": SLAState.WARNING, "breached": SLAState.BREACHED},
        )

    breached = _mark("breached_at", BREACH_DUE, tickets_in, params)
    if breached:
        result.breaches += _record_clock_events(breached, EventKind.SLA_BREACHED, now)
        clocks_in, clock_params = _in("c", breached)
        _execute(
            f"""
            UPDATE {TICKET} SET sla_state = %(breached)s
            WHERE id IN (SELECT ticket_id FROM {CLOCK} WHERE id IN {clocks_in})
            """,
            {**clock_params, "breached": SLAState.BREACHED},
        )
        _escalate(breached, now, result)


def _record_clock_events(clock_ids: list[int], kind: str, now: datetime) -> int:
    clocks_in, params = _in("c", clock_ids)
    return _execute(
        f"""
        INSERT INTO {EVENT} (ticket_id, kind, actor_id, old_value, new_value, clock_id, created_at)
        SELECT c.ticket_id, %(kind)s, NULL, '', c.kind, c.id, %(now)s
        FROM {CLOCK} c WHERE c.id IN {clocks_in}
        """,
        {**params, "kind": kind, "now": now},
    )


def _notify_assignees(clock_ids: list[int], kind: str, now: datetime) -> int:
    """An email to each assignee, tied to the clock's warning or breach event."""
    clocks_in, params = _in("c", clock_ids)
    return _execute(
        f"""
        INSERT INTO {NOTIFICATION}
            (kind, ticket_id, recipient_id, event_id, created_at, attempts, last_error)
        SELECT %(kind)s, e.ticket_id, a.user_id, e.id, %(now)s, 0, ''
        FROM {EVENT} e
        JOIN {TICKET} t ON t.id = e.ticket_id
        JOIN {AGENT} a ON a.id = t.assignee_id
        WHERE e.clock_id IN {clocks_in} AND e.kind = %(kind)s
        """,
        {**params, "kind": kind, "now": now},
    )


def _escalate(clock_ids: list[int], now: datetime, result: SweepResult) -> None:
    """Run each breached ticket's plan actions once per ticket and batch.

    Every action writes an `escalated` event naming the breached clock (old value) and
    what was done (new value). Order matters: transfer, then reassign, then priority,
    then the notifications, which go to whoever holds the ticket after the moves.
    """
    clocks_in, params = _in("c", clock_ids)
    # One breached clock per ticket speaks for the batch: the earliest due.
    first: dict[int, tuple] = {}
    for clock_id, ticket_id, due_at in _fetch(
        f"SELECT id, ticket_id, due_at FROM {CLOCK} WHERE id IN {clocks_in}", params
    ):
        if ticket_id not in first or (due_at, clock_id) < first[ticket_id]:
            first[ticket_id] = (due_at, clock_id)
    chosen_in, base = _in("b", [clock_id for _, clock_id in first.values()])
    base["now"] = now
    base["escalated"] = EventKind.ESCALATED
    first_per_ticket = f"SELECT c.* FROM {CLOCK} c WHERE c.id IN {chosen_in}"

    def action(sql: str, extra: dict | None = None) -> list[int]:
        """Insert escalated events; return their ids."""
        rows = _fetch(
            sql.format(breached=first_per_ticket) + " RETURNING id", {**base, **(extra or {})}
        )
        result.escalations += len(rows)
        return [row[0] for row in rows]

    # Transfer to the plan's department.
    action(
        f"""
        INSERT INTO {EVENT} (ticket_id, kind, actor_id, old_value, new_value, clock_id, created_at)
        SELECT t.id, %(escalated)s, NULL, b.kind, 'Transferred to ' || d.name, b.id, %(now)s
        FROM ({{breached}}) b
        JOIN {TICKET} t ON t.id = b.ticket_id
        JOIN {PLAN} p ON p.id = t.sla_plan_id
        JOIN {DEPARTMENT} d ON d.id = p.escalate_to_department_id
        WHERE d.id <> t.department_id AND d.is_active
        """
    )
    _execute(
        f"""
        UPDATE {TICKET} SET
            department_id = (SELECT p.escalate_to_department_id FROM {PLAN} p
                             WHERE p.id = {TICKET}.sla_plan_id),
            assignee_id = CASE WHEN EXISTS (
                SELECT 1 FROM {MEMBERSHIP} m JOIN {PLAN} p ON p.id = {TICKET}.sla_plan_id
                WHERE m.agent_id = {TICKET}.assignee_id
                  AND m.department_id = p.escalate_to_department_id
            ) THEN assignee_id END,
            updated_at = %(now)s
        WHERE id IN (SELECT ticket_id FROM ({first_per_ticket}) b)
          AND EXISTS (
            SELECT 1 FROM {PLAN} p JOIN {DEPARTMENT} d ON d.id = p.escalate_to_department_id
            WHERE p.id = {TICKET}.sla_plan_id AND d.id <> {TICKET}.department_id AND d.is_active
          )
        """,
        base,
    )

    # Reassign to the plan's agent, if that agent works in the ticket's department.
    action(
        f"""
        INSERT INTO {EVENT} (ticket_id, kind, actor_id, old_value, new_value, clock_id, created_at)
        SELECT t.id, %(escalated)s, NULL, b.kind, 'Reassigned to ' || {NAME.format(u="u")},
               b.id, %(now)s
        FROM ({{breached}}) b
        JOIN {TICKET} t ON t.id = b.ticket_id
        JOIN {PLAN} p ON p.id = t.sla_plan_id
        JOIN {AGENT} a ON a.id = p.escalate_to_agent_id
        JOIN {USER} u ON u.id = a.user_id
        WHERE a.is_active AND u.is_active
          AND (t.assignee_id IS NULL OR t.assignee_id <> a.id)
          AND EXISTS (SELECT 1 FROM {MEMBERSHIP} m
                      WHERE m.agent_id = a.id AND m.department_id = t.department_id)
        """
    )
    _execute(
        f"""
        UPDATE {TICKET} SET
            assignee_id = (SELECT p.escalate_to_agent_id FROM {PLAN} p
                           WHERE p.id = {TICKET}.sla_plan_id),
            updated_at = %(now)s
        WHERE id IN (SELECT ticket_id FROM ({first_per_ticket}) b)
          AND EXISTS (
            SELECT 1 FROM {PLAN} p
            JOIN {AGENT} a ON a.id = p.escalate_to_agent_id
            JOIN {USER} u ON u.id = a.user_id
            JOIN {MEMBERSHIP} m ON m.agent_id = a.id AND m.department_id = {TICKET}.department_id
            WHERE p.id = {TICKET}.sla_plan_id AND a.is_active AND u.is_active
              AND ({TICKET}.assignee_id IS NULL OR {TICKET}.assignee_id <> a.id)
          )
        """,
        base,
    )

    # Raise priority one step.
    labels = " ".join(f"WHEN {value} THEN '{label}'" for value, label in Priority.choices)
    action(
        f"""
        INSERT INTO {EVENT} (ticket_id, kind, actor_id, old_value, new_value, clock_id, created_at)
        SELECT t.id, %(escalated)s, NULL, b.kind,
               'Priority raised from ' || CASE t.priority {labels} END
               || ' to ' || CASE t.priority + 1 {labels} END,
               b.id, %(now)s
        FROM ({{breached}}) b
        JOIN {TICKET} t ON t.id = b.ticket_id
        JOIN {PLAN} p ON p.id = t.sla_plan_id
        WHERE p.escalate_raise_priority AND t.priority < %(top)s
        """,
        {"top": Priority.URGENT},
    )
    _execute(
        f"""
        UPDATE {TICKET} SET priority = priority + 1, updated_at = %(now)s
        WHERE id IN (SELECT ticket_id FROM ({first_per_ticket}) b)
          AND priority < %(top)s
          AND EXISTS (SELECT 1 FROM {PLAN} p
                      WHERE p.id = {TICKET}.sla_plan_id AND p.escalate_raise_priority)
        """,
        {**base, "top": Priority.URGENT},
    )

    # Notify the assignee and the department's manager: an escalated event each, and an
    # email row tied to that event.
    for who, join, flag in (
        ("assignee", f"JOIN {AGENT} a ON a.id = t.assignee_id", "p.escalate_notify_assignee"),
        (
            "manager",
            f"JOIN {DEPARTMENT} d ON d.id = t.department_id JOIN {AGENT} a ON a.id = d.manager_id",
            "p.escalate_notify_manager",
        ),
    ):
        event_ids = action(
            f"""
            INSERT INTO {EVENT}
                (ticket_id, kind, actor_id, old_value, new_value, clock_id, created_at)
            SELECT t.id, %(escalated)s, NULL, b.kind,
                   'Notified ' || {NAME.format(u="u")} || ' (' || %(who)s || ')', b.id, %(now)s
            FROM ({{breached}}) b
            JOIN {TICKET} t ON t.id = b.ticket_id
            JOIN {PLAN} p ON p.id = t.sla_plan_id
            {join}
            JOIN {USER} u ON u.id = a.user_id
            WHERE {flag} AND u.is_active
            """,
            {"who": who},
        )
        if not event_ids:
            continue
        events_in, event_params = _in("e", event_ids)
        result.notifications += _execute(
            f"""
            INSERT INTO {NOTIFICATION}
                (kind, ticket_id, recipient_id, event_id, created_at, attempts, last_error)
            SELECT %(kind)s, t.id, a.user_id, e.id, %(now)s, 0, ''
            FROM {EVENT} e
            JOIN {TICKET} t ON t.id = e.ticket_id
            {join}
            WHERE e.id IN {events_in}
            """,
            {**event_params, "kind": Notification.Kind.SLA_BREACHED, "now": now},
        )
