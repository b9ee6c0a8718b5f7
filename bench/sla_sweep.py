"""Benchmark the SLA sweep on PostgreSQL.

Seeds N open tickets (a tenth past due and already warned) into a scratch database with
COPY, then measures the sweep that breaches them all (events, ticket state, escalation
actions and email rows included; sending excluded), then sweeps with nothing due.

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
        choices=["default", "all"],
        default="all",
        help="default: a new plan's actions (notify the assignee); all: notify the assignee "
        "and the manager and raise priority",
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
    from tickets.clocks import sweep as sweep_module
    from tickets.models import EventKind, Notification, TicketEvent

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    every_action = args.escalation == "all"
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

    connection.close()
    started = time.perf_counter()
    result = run_sweeps(args.workers, now, args.batch_size)
    sweep_s = time.perf_counter() - started
    breaches = TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count()
    assert result.breaches == breaches == due, (result, breaches, due)
    print(
        f"sweep: {result.breaches:,} breaches, {result.escalations:,} escalation actions, "
        f"{result.notifications:,} emails queued, {result.batches} batches, "
        f"{args.workers} worker(s), in {sweep_s:.2f} s "
        f"({result.breaches / sweep_s if sweep_s else 0:,.0f} breach transitions/s)"
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
        f"idle sweep at {args.tickets:,} tickets: median {idle_ms:.2f} ms, "
        f"max {max(idle):.2f} ms over {len(idle)} runs"
    )
    print(
        json.dumps(
            {
                "tickets": args.tickets,
                "due": due,
                "sweep_s": round(sweep_s, 3),
                "transitions_per_s": round(result.breaches / sweep_s) if sweep_s else None,
                "escalation_actions": result.escalations,
                "emails_queued": result.notifications,
                "idle_sweep_ms": round(idle_ms, 3),
                "idle_sweep_max_ms": round(max(idle), 3),
                "batch_size": args.batch_size,
                "workers": args.workers,
                "escalation": args.escalation,
            }
        )
    )


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
