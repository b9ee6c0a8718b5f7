"""Benchmark the SLA sweep on PostgreSQL.

Seeds N open tickets (a tenth past due and already warned) into a scratch database with
COPY, then measures the sweep that breaches them all (events, ticket state, escalation
actions and email rows included; sending excluded), then sweeps with nothing due.

Beside the sweep, in the same run and on the same rows, it measures **the limit**: the one
SQL statement that marks every due clock breached and inserts their events, nothing else
(rolled back, then VACUUM), and prints the sweep's rate as a fraction of it (issue 17).
With `--escalation both` (the default) the seeded database is copied (CREATE DATABASE ...
TEMPLATE) and the sweep runs twice, once with a plan's default action (notify the
assignee) on one copy and once with every action (assignee and manager emails, priority
raise) on the other, each beside its own limit.

    python bench/sla_sweep.py --tickets 1000000
    python bench/sla_sweep.py --tickets 100000 --database-url postgres://postgres@localhost/bench

The last line printed is JSON with the figures.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this folder comes first on sys.path, where bench/queue.py would shadow
# the standard library's queue module; the project root takes its place.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due-fraction", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--idle-runs", type=int, default=50)
    parser.add_argument(
        "--escalation",
        choices=["default", "all", "both"],
        default="both",
        help="default: a new plan's actions (notify the assignee); all: notify the assignee "
        "and the manager and raise priority; both: one after the other on copies of the "
        "same seeded database",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="sweeps run at once, as the beat task's helpers do in production "
        "(SLA_SWEEP_PARALLELISM, default 2); they share the work through SKIP LOCKED",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench"
        ),
    )
    args = parser.parse_args()
    if args.tickets < 1 or not 0 <= args.due_fraction <= 1 or args.batch_size < 1:
        parser.error("--tickets and --batch-size must be positive, --due-fraction in [0, 1]")

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench")
    # Emails are only queued: rows in the outbox, and one task message on the broker
    # (the filesystem broker unless REDIS_URL is set), which no worker consumes here.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    recreate_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from accounts.models import Agent, Department, DepartmentMembership, User
    from bench.seeding import seed_open_tickets
    from sla.models import SLAPlan

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    modes = ["default", "all"] if args.escalation == "both" else [args.escalation]
    every_action = modes[0] == "all"
    plan = SLAPlan.objects.create(
        name="Bench",
        first_response_minutes=60,
        resolution_minutes=480,
        escalate_notify_assignee=True,
        escalate_notify_manager=every_action,
        escalate_raise_priority=every_action,
    )
    department = Department.objects.create(name="IT")
    manager = Agent.objects.create(user=User.objects.create_user("manager@bench.example"))
    agent = Agent.objects.create(user=User.objects.create_user("agent@bench.example"))
    for member in (manager, agent):
        DepartmentMembership.objects.create(agent=member, department=department)
    department.manager = manager
    department.save()
    requesters = [User.objects.create_user(f"requester{i}@bench.example").pk for i in range(200)]

    due = int(args.tickets * args.due_fraction)
    started = time.perf_counter()
    seed_open_tickets(
        count=args.tickets,
        due=due,
        now=now,
        department_id=department.pk,
        requester_ids=requesters,
        plan_id=plan.pk,
        assignee_id=agent.pk,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Start the measurement from a fresh checkpoint, as a running system would be: the
        # seeding wrote gigabytes of WAL, and a checkpoint forced by it halfway through the
        # sweep would measure the seeding, not the sweep.
        cursor.execute("CHECKPOINT")
    print(
        f"seeded {args.tickets:,} tickets ({due:,} due) in {time.perf_counter() - started:.1f} s"
    )

    base_name = connection.settings_dict["NAME"]
    copy_name = f"{base_name}_copy"
    if len(modes) > 1:
        connection.close()
        copy_database(args.database_url, base_name, copy_name)
    figures = {"tickets": args.tickets, "due": due, "workers": args.workers}
    for mode in modes:
        if mode != modes[0]:
            connection.close()
            connection.settings_dict["NAME"] = copy_name
            SLAPlan.objects.filter(pk=plan.pk).update(
                escalate_notify_manager=mode == "all", escalate_raise_priority=mode == "all"
            )
        figures[mode] = measure(args, now, due, mode)
    connection.settings_dict["NAME"] = base_name
    connection.close()
    if len(modes) > 1:
        drop_database(args.database_url, copy_name)
    for mode in modes:
        f = figures[mode]
        print(
            f"{mode} action(s): sweep {f['transitions_per_s']:,} breaches/s, limit "
            f"{f['limit_per_s']:,}/s: {f['fraction_of_limit']} of the limit"
        )
    first = figures[modes[0]]
    figures.update(
        {
            key: first[key]
            for key in ("sweep_s", "transitions_per_s", "idle_sweep_ms", "idle_sweep_max_ms")
        }
    )
    figures["batch_size"] = args.batch_size
    figures["escalation"] = args.escalation
    print(json.dumps(figures))


# The single statement the sweep is measured against: mark the due clocks breached and
# insert their events, as tickets.clocks.sweep writes them, and nothing else.
LIMIT_SQL = """
WITH due AS (
    UPDATE tickets_slaclock c SET breached_at = %(now)s
    WHERE c.due_at <= %(now)s AND c.breached_at IS NULL AND c.met_at IS NULL
      AND c.stopped_at IS NULL AND c.paused_at IS NULL
    RETURNING c.id, c.ticket_id, c.kind
)
INSERT INTO tickets_ticketevent (ticket_id, kind, actor_id, data, clock_id, created_at)
SELECT ticket_id, 'sla_breached', NULL,
       jsonb_build_object('clock', jsonb_build_object('id', id, 'kind', kind)), id, %(now)s
FROM due
"""


def measure_limit(now) -> tuple[int, float]:
    """The statement's rows and seconds, rolled back; then VACUUM, so the sweep after it
    finds the table as it was (no dead rows)."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(LIMIT_SQL, {"now": now})
            seconds = time.perf_counter() - started
            rows = cursor.rowcount
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_slaclock")
        cursor.execute("VACUUM ANALYZE tickets_ticketevent")
        cursor.execute("CHECKPOINT")
    return rows, seconds


def measure(args, now, due: int, mode: str) -> dict:
    from django.db import connection

    from tickets.clocks import sweep as sweep_module
    from tickets.models import EventKind, Notification, TicketEvent

    limit_rows, limit_s = measure_limit(now)
    assert limit_rows == due, (limit_rows, due)
    connection.close()
    started = time.perf_counter()
    result = run_sweeps(args.workers, now, args.batch_size)
    sweep_s = time.perf_counter() - started
    breaches = TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count()
    assert result.breaches == breaches == due, (result, breaches, due)
    rate = result.breaches / sweep_s if sweep_s else 0
    limit_rate = limit_rows / limit_s if limit_s else 0
    print(
        f"[{mode}] limit: one statement marks {limit_rows:,} clocks breached and inserts "
        f"their events in {limit_s:.2f} s ({limit_rate:,.0f}/s)"
    )
    print(
        f"[{mode}] sweep: {result.breaches:,} breaches, {result.escalations:,} escalation "
        f"actions, {result.notifications:,} emails queued, {result.batches} batches, "
        f"{args.workers} worker(s), in {sweep_s:.2f} s ({rate:,.0f} breach transitions/s, "
        f"{rate / limit_rate if limit_rate else 0:.2f} of the limit)"
    )
    assert Notification.objects.filter(sent_at__isnull=True).count() == result.notifications

    idle = []
    for _ in range(args.idle_runs):
        started = time.perf_counter()
        nothing = sweep_module.sla_sweep(now=now, batch_size=args.batch_size)
        idle.append((time.perf_counter() - started) * 1000)
        assert nothing.transitions == 0
    idle_ms = statistics.median(idle)
    print(
        f"[{mode}] idle sweep at {args.tickets:,} tickets: median {idle_ms:.2f} ms, "
        f"max {max(idle):.2f} ms over {len(idle)} runs"
    )
    return {
        "sweep_s": round(sweep_s, 3),
        "transitions_per_s": round(rate),
        "limit_s": round(limit_s, 3),
        "limit_per_s": round(limit_rate),
        "fraction_of_limit": round(rate / limit_rate, 3) if limit_rate else None,
        "escalation_actions": result.escalations,
        "emails_queued": result.notifications,
        "idle_sweep_ms": round(idle_ms, 3),
        "idle_sweep_max_ms": round(max(idle), 3),
    }


def _sweep_in_child(now, batch_size, results):
    from django.db import connection

    from tickets.clocks import sla_sweep

    result = sla_sweep(now=now, batch_size=batch_size)
    connection.close()
    results.put(result)


def run_sweeps(workers: int, now, batch_size: int):
    """Run `workers` sweeps at once in forked processes; return their summed result."""
    import multiprocessing

    from tickets.clocks import SweepResult, sla_sweep

    if workers == 1:
        return sla_sweep(now=now, batch_size=batch_size)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [
        context.Process(target=_sweep_in_child, args=(now, batch_size, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    parts = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    total = SweepResult()
    for part in parts:
        for name in ("warnings", "breaches", "escalations", "notifications", "batches"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total


def _admin(url: str):
    import environ
    import psycopg2

    config = environ.Env.db_url_config(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or "localhost",
        port=config["PORT"] or 5432,
    )
    admin.autocommit = True
    return admin


def copy_database(url: str, source: str, copy: str) -> None:
    """A copy of the seeded database (file by file: seconds, not a second seeding)."""
    from psycopg2 import sql

    admin = _admin(url)
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy))
        )
        cursor.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(copy), sql.Identifier(source)
            )
        )
    admin.close()


def drop_database(url: str, name: str) -> None:
    from psycopg2 import sql

    assert "bench" in name, name
    admin = _admin(url)
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    admin.close()


def recreate_database(url: str) -> None:
    """Drop and create the scratch database the URL names (never the app's own)."""
    import environ
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    if "bench" not in name:
        raise SystemExit(
            f"refusing to drop {name!r}: the bench database name must contain 'bench'"
        )
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or "localhost",
        port=config["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


if __name__ == "__main__":
    main()
