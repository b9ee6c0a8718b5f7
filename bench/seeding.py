"""Seeding many open tickets fast, with PostgreSQL's COPY, for benchmarks and load tests.

This writes rows directly, bypassing the services, because a million tickets through the
services would take an hour. The rows are shaped exactly as the services leave them:
an open ticket, its first message, and live first-response and resolution clocks.
"""

import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from tickets.models import ClockKind, SLAClock, ThreadEntry, Ticket
from tickets.numbering import SEQUENCE_NAME

WORDS = (
    "printer crm monitor flicker vpn password reset outlook email laptop boot power "
    "network wifi slow excel license badge door phone headset update crash error screen "
    "keyboard mouse dock scanner invoice payroll server backup share drive access"
).split()


@dataclass
class Seeded:
    first_id: int
    last_id: int
    count: int
    due: int


def _copy(table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        write("\t".join(r"\N" if value is None else str(value) for value in row))
        write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _subject(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).capitalize()


def seed_open_tickets(
    *,
    count: int,
    due: int,
    now: datetime,
    department_id: int,
    requester_ids: list[int],
    plan_id: int,
    assignee_id: int | None = None,
    entries_per_ticket: int = 1,
    already_warned: bool = True,
    seed: int = 7,
    chunk: int = 100_000,
) -> Seeded:
    """Insert `count` open tickets; the first `due` of them have a resolution clock past due.

    Due tickets were already warned (`already_warned`), so a sweep over them makes exactly
    one breach transition per ticket. The others are due in the future, spread over a week,
    with their warnings (two hours before the due time) in the future too.
    """
    assert connection.vendor == "postgresql", "COPY seeding is for PostgreSQL"
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [SEQUENCE_NAME])
        first_number = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [SEQUENCE_NAME, first_number + count])
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Ticket._meta.db_table}")
        id_floor = cursor.fetchone()[0]

    done = 0
    while done < count:
        size = min(chunk, count - done)
        tickets = []
        for i in range(done, done + size):
            created = now - timedelta(minutes=rng.randint(600, 20_000))
            is_due = i < due
            due_at = (
                now - timedelta(minutes=rng.randint(1, 500))
                if is_due
                else now + timedelta(minutes=rng.randint(180, 10_000))
            )
            tickets.append((i, created, due_at, is_due))
        _copy(
            Ticket._meta.db_table,
            [
                "number",
                "subject",
                "requester_id",
                "department_id",
                "priority",
                "status",
                "assignee_id",
                "sla_plan_id",
                "source",
                "created_at",
                "updated_at",
                "next_warn_at",
                "next_due_at",
            ],
            (
                (
                    first_number + i,
                    _subject(rng),
                    requester_ids[i % len(requester_ids)],
                    department_id,
                    rng.randint(1, 4),
                    "open",
                    assignee_id,
                    plan_id,
                    "web",
                    created.isoformat(),
                    created.isoformat(),
                    (due_at - timedelta(minutes=120)).isoformat(),
                    due_at.isoformat(),
                )
                for i, created, due_at, _is_due in tickets
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, number FROM {Ticket._meta.db_table} WHERE number BETWEEN %s AND %s",
                [first_number + done, first_number + done + size - 1],
            )
            ids = {number: pk for pk, number in cursor.fetchall()}
        _copy(
            SLAClock._meta.db_table,
            [
                "ticket_id",
                "kind",
                "target_minutes",
                "started_at",
                "due_at",
                "warn_at",
                "paused_minutes",
                "warned_at",
            ],
            (
                (
                    ids[first_number + i],
                    ClockKind.RESOLUTION,
                    480,
                    created.isoformat(),
                    due_at.isoformat(),
                    (due_at - timedelta(minutes=120)).isoformat(),
                    0,
                    (due_at - timedelta(minutes=120)).isoformat()
                    if is_due and already_warned
                    else None,
                )
                for i, created, due_at, is_due in tickets
            ),
        )
        _copy(
            ThreadEntry._meta.db_table,
            ["ticket_id", "kind", "author_id", "body", "created_at"],
            (
                (
                    ids[first_number + i],
                    "message" if n == 0 else rng.choice(("reply", "note", "message")),
                    requester_ids[i % len(requester_ids)],
                    " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))),
                    (created + timedelta(minutes=n * 7)).isoformat(),
                )
                for i, created, _due_at, _is_due in tickets
                for n in range(entries_per_ticket)
            ),
        )
        done += size
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id), MAX(id) FROM {Ticket._meta.db_table} WHERE id > %s", [id_floor]
        )
        first_id, last_id = cursor.fetchone()
    return Seeded(first_id=first_id, last_id=last_id, count=count, due=due)
