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

from tickets.models import ClockKind, SLAClock, ThreadEntry, Ticket, TicketEvent
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


# The agent queue's shape: many departments, every status, threads of several entries ----


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Made-up rarer words (host names, product codes, surnames) beside the common WORDS."""
    syllables = "ba be bo ka ke ko ra re ro ta te to za ze lu mi no vex trin dor pal gus".split()
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _text(rng: random.Random, rare: list[str], n: int) -> str:
    # Seven words in ten are common help-desk words, three are rarer ones.
    return " ".join(
        rng.choice(WORDS) if rng.random() < 0.7 else rng.choice(rare) for _ in range(n)
    )


@dataclass
class QueueSeed:
    count: int
    entries: int
    rare_words: list[str]


def seed_queue_tickets(
    *,
    count: int,
    now: datetime,
    departments: dict[int, list[int]],
    requester_ids: list[int],
    topic_ids: dict[int, list[int]],
    plan_id: int,
    seed: int = 11,
    chunk: int = 50_000,
    body_pool: int = 50_000,
) -> QueueSeed:
    """Insert `count` tickets shaped like a desk's history, with 1 to 5 entries each.

    Statuses: 15% open, 5% pending, 20% resolved, 60% closed, spread evenly over the
    departments (`departments` maps each to its agents' ids). Open tickets have a running
    deadline between two days ago and five days ahead (breached when past, at risk in its
    last two hours) and an assignee seven times in ten. Bodies come from a pool of
    `body_pool` texts so that seeding a million tickets takes minutes; the search document
    of each ticket is built afterwards in SQL, as migration 0006 builds it.
    """
    assert connection.vendor == "postgresql", "COPY seeding is for PostgreSQL"
    rng = random.Random(seed)
    rare = vocabulary(rng)
    bodies = [_text(rng, rare, rng.randint(8, 40)) for _ in range(body_pool)]
    department_ids = sorted(departments)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [SEQUENCE_NAME])
        first_number = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [SEQUENCE_NAME, first_number + count])

    entries = 0
    done = 0
    span_minutes = 365 * 24 * 60
    while done < count:
        size = min(chunk, count - done)
        rows = []
        for i in range(done, done + size):
            department = department_ids[i % len(department_ids)]
            roll = rng.random()
            status = (
                "open"
                if roll < 0.15
                else "pending"
                if roll < 0.20
                else "resolved"
                if roll < 0.40
                else "closed"
            )
            created = now - timedelta(minutes=rng.randint(60, span_minutes))
            # Last touched within its age (at least an hour), so the year's resolutions
            # spread over it instead of piling up at the moment of seeding.
            age = int((now - created).total_seconds() // 60)
            updated = created + timedelta(minutes=rng.randint(5, min(20_000, age)))
            due_at, assignee = None, None
            if status in ("open", "pending"):
                assignee = rng.choice(departments[department]) if rng.random() < 0.7 else None
            if status == "open":
                # Overdue once past, at risk in its last two hours (next_warn_at).
                due_at = now + timedelta(minutes=rng.randint(-2 * 24 * 60, 5 * 24 * 60))
            elif status in ("resolved", "closed"):
                assignee = rng.choice(departments[department])
            rows.append(
                (
                    first_number + i,
                    _text(rng, rare, rng.randint(3, 7)).capitalize(),
                    requester_ids[rng.randrange(len(requester_ids))],
                    department,
                    rng.choice(topic_ids[department]),
                    rng.randint(1, 4),
                    status,
                    assignee,
                    plan_id,
                    "web",
                    created.isoformat(),
                    updated.isoformat(),
                    updated.isoformat() if status in ("resolved", "closed") else None,
                    updated.isoformat() if status == "closed" else None,
                    due_at.isoformat() if due_at else None,
                    (due_at - timedelta(hours=2)).isoformat() if due_at else None,
                    rng.randint(1, 5),
                )
            )
        _copy(
            Ticket._meta.db_table,
            [
                "number",
                "subject",
                "requester_id",
                "department_id",
                "help_topic_id",
                "priority",
                "status",
                "assignee_id",
                "sla_plan_id",
                "source",
                "created_at",
                "updated_at",
                "resolved_at",
                "closed_at",
                "next_due_at",
                "next_warn_at",
            ],
            (row[:-1] for row in rows),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT number, id FROM {Ticket._meta.db_table} WHERE number BETWEEN %s AND %s",
                [first_number + done, first_number + done + size - 1],
            )
            ids = dict(cursor.fetchall())
        thread = []
        for row in rows:
            number, requester, assignee, created, n = row[0], row[2], row[7], row[10], row[-1]
            start = datetime.fromisoformat(created)
            for k in range(n):
                kind = "message" if k == 0 or assignee is None else rng.choice(KINDS)
                author = requester if kind == "message" else None
                thread.append(
                    (
                        ids[number],
                        kind,
                        author,
                        bodies[rng.randrange(body_pool)],
                        (start + timedelta(minutes=k * 37)).isoformat(),
                    )
                )
        _copy(
            ThreadEntry._meta.db_table,
            ["ticket_id", "kind", "author_id", "body", "created_at"],
            thread,
        )
        entries += len(thread)
        done += size
    return QueueSeed(count=count, entries=entries, rare_words=rare)


KINDS = ("reply", "note", "message")


def build_search_documents() -> None:
    """Every ticket's search document, as tickets/search_index.py would have built it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS ticket_search_department_document")
        cursor.execute("TRUNCATE tickets_ticketsearchdocument")
        cursor.execute(
            """
            INSERT INTO tickets_ticketsearchdocument (ticket_id, department_id, document)
            SELECT t.id, t.department_id,
                   setweight(to_tsvector('english', t.subject), 'A')
                   || setweight(to_tsvector('english', coalesce(e.bodies, '')), 'B')
            FROM tickets_ticket t
            LEFT JOIN (
                SELECT ticket_id, string_agg(body, ' ' ORDER BY created_at, id) AS bodies
                FROM tickets_threadentry GROUP BY ticket_id
            ) e ON e.ticket_id = t.id
            """
        )
        cursor.execute(
            "CREATE INDEX ticket_search_department_document ON tickets_ticketsearchdocument "
            "USING gin (department_id, document)"
        )


# The reports' shape: the history of those tickets, as events and SLA clocks ---------------


def _ref(status: str) -> str:
    return '{"id": "%s", "name": "%s"}' % (status, status.capitalize())  # noqa: UP031


def seed_report_history(*, now: datetime) -> dict[str, int]:
    """Give the tickets of seed_queue_tickets the history the services would have written:
    a `created` event; pending tickets a move to pending halfway; resolved and closed
    tickets their resolution at `resolved_at` (closed ones then a close), one in twenty
    of them resolved and reopened before that; a first-response clock (60 minutes, 24/7)
    met at the first reply, and a resolution clock (480 minutes) met at the resolution,
    each breached by the sweep 30 seconds after its due time when it was late. Business
    minutes are calendar minutes (no calendar). Next-response clocks are left out."""
    event = TicketEvent._meta.db_table
    ticket = Ticket._meta.db_table
    steps = {
        "created events": f"""
            INSERT INTO {event} (ticket_id, kind, data, created_at)
            SELECT id, 'created', jsonb_build_object('to', '{_ref("open")}'::jsonb), created_at
            FROM {ticket} ORDER BY id""",
        "pending events": f"""
            INSERT INTO {event} (ticket_id, kind, data, created_at)
            SELECT id, 'status_changed', jsonb_build_object('from', '{_ref("open")}'::jsonb,
                   'to', '{_ref("pending")}'::jsonb), created_at + (updated_at - created_at) / 2
            FROM {ticket} WHERE status = 'pending' ORDER BY id""",
        "first resolutions and reopens": f"""
            INSERT INTO {event} (ticket_id, kind, data, created_at)
            SELECT id, kind, data, at FROM (
                SELECT id, 'status_changed' AS kind, jsonb_build_object(
                       'from', '{_ref("open")}'::jsonb, 'to', '{_ref("resolved")}'::jsonb) AS data,
                       created_at + (resolved_at - created_at) / 3 AS at, 1 AS step
                FROM {ticket} WHERE resolved_at IS NOT NULL AND id %% 20 = 0
                UNION ALL
                SELECT id, 'reopened', jsonb_build_object('from', '{_ref("resolved")}'::jsonb,
                       'to', '{_ref("open")}'::jsonb),
                       created_at + 2 * (resolved_at - created_at) / 3, 2
                FROM {ticket} WHERE resolved_at IS NOT NULL AND id %% 20 = 0
            ) s ORDER BY id, step""",
        "resolutions": f"""
            INSERT INTO {event} (ticket_id, kind, data, created_at)
            SELECT id, 'status_changed', jsonb_build_object('from', '{_ref("open")}'::jsonb,
                   'to', '{_ref("resolved")}'::jsonb), resolved_at
            FROM {ticket} WHERE resolved_at IS NOT NULL ORDER BY id""",
        "closes": f"""
            INSERT INTO {event} (ticket_id, kind, data, created_at)
            SELECT id, 'status_changed', jsonb_build_object('from', '{_ref("resolved")}'::jsonb,
                   'to', '{_ref("closed")}'::jsonb), closed_at
            FROM {ticket} WHERE closed_at IS NOT NULL ORDER BY id""",
        "first-response clocks": f"""
            INSERT INTO {SLAClock._meta.db_table} (ticket_id, kind, target_minutes, started_at,
                due_at, warn_at, paused_minutes, met_at, business_minutes_taken, warned_at,
                breached_at, stopped_at)
            SELECT t.id, 'first_response', 60, t.created_at, t.created_at + interval '60 min',
                   t.created_at + interval '45 min', 0, r.at,
                   EXTRACT(EPOCH FROM (r.at - t.created_at)) / 60.0,
                   CASE WHEN COALESCE(r.at, t.resolved_at, %(now)s)
                        > t.created_at + interval '45 min'
                        THEN t.created_at + interval '45 min 30 s' END,
                   CASE WHEN COALESCE(r.at, t.resolved_at, %(now)s)
                        > t.created_at + interval '60 min'
                        THEN t.created_at + interval '60 min 30 s' END,
                   CASE WHEN r.at IS NULL THEN t.resolved_at END
            FROM {ticket} t LEFT JOIN (
                SELECT ticket_id, min(created_at) AS at FROM {ThreadEntry._meta.db_table}
                WHERE kind = 'reply' GROUP BY ticket_id
            ) r ON r.ticket_id = t.id ORDER BY t.id""",
        "resolution clocks": f"""
            INSERT INTO {SLAClock._meta.db_table} (ticket_id, kind, target_minutes, started_at,
                due_at, warn_at, paused_minutes, met_at, business_minutes_taken, warned_at,
                breached_at)
            SELECT id, 'resolution', 480, created_at, created_at + interval '480 min',
                   created_at + interval '360 min', 0, resolved_at,
                   EXTRACT(EPOCH FROM (resolved_at - created_at)) / 60.0,
                   CASE WHEN COALESCE(resolved_at, %(now)s) > created_at + interval '360 min'
                        THEN created_at + interval '360 min 30 s' END,
                   CASE WHEN COALESCE(resolved_at, %(now)s) > created_at + interval '480 min'
                        THEN created_at + interval '480 min 30 s' END
            FROM {ticket} ORDER BY id""",
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, sql in steps.items():
            cursor.execute(sql, {"now": now})
            counts[name] = cursor.rowcount
    return counts
