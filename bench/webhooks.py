"""Outbound webhooks: events fanned out to three loopback receivers by a real worker, one
receiver failing for the first half of the run.

What it does, on a scratch PostgreSQL database (dropped and recreated; its name must
contain "bench") and a Redis database of its own:

1. Seeds a help desk (IT, a plan, an agent) and --tickets tickets, and three endpoints
   subscribed to `ticket.updated`, each at its own receiver: http.server threads in this
   process on 127.0.0.1 that verify every delivery with the standardwebhooks library when
   it arrives. Receivers A and B are healthy; C answers 500 until the emitting phase is
   half over, then 204.
2. Starts `celery -A helpdesk worker` (prefork, concurrency 2) and beat running only
   `webhooks.sweep`, every second (30 s in production), with a short retry schedule and
   breaker pause (printed) so that C's deliveries come back within the run.
3. Emits --events events at --rate per second: `ticket_set_priority` on the seeded
   tickets in turn, as an agent, each its own transaction, each one `ticket.updated` for
   each endpoint.
4. Waits (at most --timeout seconds) until every delivery is marked delivered, then checks
   what the receivers saw.

How to read it:

    deliveries          deliveries answered 2xx, all receivers (events x 3 when none is lost)
    deliveries_per_s    those, over the time from the first event to the last delivery
    healthy_p95_ms      event (TicketEvent.created_at) to arrival at A and B, 95th percentile:
                        it must not grow because C fails (compare a run with --no-failing)
    lost                deliveries never answered 2xx by their receiver
    duplicates          webhook-ids a receiver answered 2xx more than once
    invalid_signatures  requests whose signature standardwebhooks refused

The last line is JSON.

    DATABASE_URL=postgres://postgres@localhost:5432/helpdesk_bench_webhooks \\
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/webhooks.py --events 10000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this folder comes first on sys.path, where bench/queue.py would shadow
# the standard library's queue module; the root replaces it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@localhost:5432/helpdesk_bench_webhooks"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
CONCURRENCY = 2
RETRY_SCHEDULE = "1,2,4,8,15,30,30,30,30"
BREAKER_PAUSE = "3"


class Receiver:
    """Records each delivery's id, arrival time and answer; verifies its signature."""

    def __init__(self, name: str):
        self.name = name
        self.secret = ""
        self.failing = False  # answers 500 while set
        self.answered: Counter[str] = Counter()  # webhook-id -> 2xx answers
        self.arrivals: dict[str, float] = {}  # webhook-id -> first 2xx arrival
        self.failed = 0
        self.invalid = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from standardwebhooks import Webhook, WebhookVerificationError

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    valid = True
                except WebhookVerificationError:
                    valid = False
                status = 500 if receiver.failing else 204
                with receiver.lock:
                    if not valid:
                        receiver.invalid += 1
                    elif status == 500:
                        receiver.failed += 1
                    else:
                        webhook_id = headers["webhook-id"]
                        receiver.answered[webhook_id] += 1
                        receiver.arrivals.setdefault(webhook_id, now)
                self.send_response(status if valid else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.name}"


def configure(args) -> None:
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-not-a-secret",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "WEBHOOK_RETRY_SCHEDULE": RETRY_SCHEDULE,
            "WEBHOOK_BREAKER_PAUSE_SECONDS": BREAKER_PAUSE,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


def seed(tickets: int):
    from accounts.models import Agent, Department, DepartmentMembership, User
    from sla.models import SLAPlan
    from tickets.models import HelpTopic
    from tickets.services import ticket_create

    plan = SLAPlan.objects.create(name="Standard", first_response_minutes=240, is_default=True)
    it = Department.objects.create(name="IT", default_sla_plan=plan)
    topic = HelpTopic.objects.create(name="Email", department=it)
    user = User.objects.create(email="ryan@bench.example", display_name="Ryan Howard")
    agent = Agent.objects.create(user=user)
    DepartmentMembership.objects.create(
        agent=agent, department=it, role=DepartmentMembership.Role.MANAGER
    )
    requester = User.objects.create(email="jim@bench.example", display_name="Jim Halpert")
    made = [
        ticket_create(
            requester=requester,
            by=requester,
            subject=f"Ticket {n}",
            body="Help.",
            help_topic=topic,
        )
        for n in range(tickets)
    ]
    return made, user


def emit(tickets, agent_user, *, events: int, rate: float, halfway) -> tuple[float, float]:
    """`events` priority changes at `rate` per second; `halfway()` is called half-way."""
    from tickets.models import Priority
    from tickets.services import ticket_set_priority

    levels = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
    current = {ticket.pk: ticket.priority for ticket in tickets}
    started = time.time()
    for n in range(events):
        if n == events // 2:
            halfway()
        pause = started + n / rate - time.time()
        if pause > 0:
            time.sleep(pause)
        ticket = tickets[n % len(tickets)]
        wanted = levels[(levels.index(current[ticket.pk]) + 1) % 4]  # always a change
        ticket_set_priority(ticket=ticket, priority=wanted, by=agent_user)
        current[ticket.pk] = wanted
    return started, time.time()


def wait_delivered(total: int, timeout: float) -> bool:
    from webhooks.models import WebhookDelivery

    deadline = time.time() + timeout
    while time.time() < deadline:
        if WebhookDelivery.objects.filter(state="delivered").count() >= total:
            return True
        time.sleep(0.5)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument(
        "--rate",
        type=float,
        default=30.0,
        help="events per second (each is 3 deliveries; past what the worker sends, the "
        "p95 only measures the queue)",
    )
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-failing", action="store_true", help="C is healthy too")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args()
    configure(args)

    from bench.sla_sweep import recreate_database

    recreate_database(args.database_url)
    import django
    import redis

    django.setup()
    from django.core.management import call_command

    from tests.support.celery_harness import CeleryBeat, CeleryWorker
    from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
    from webhooks.services import webhook_endpoint_create, webhook_endpoint_settings_check

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(args.redis_url).flushdb()
    print(
        f"parameters: events={args.events} rate={args.rate}/s tickets={args.tickets} "
        f"worker_concurrency={CONCURRENCY} retry_schedule={RETRY_SCHEDULE} "
        f"breaker_pause={BREAKER_PAUSE}s failing={not args.no_failing} cpus={os.cpu_count()}"
    )
    tickets, agent_user = seed(args.tickets)
    receivers = [Receiver("a"), Receiver("b"), Receiver("c")]
    for receiver in receivers:
        checked = webhook_endpoint_settings_check(
            url=receiver.url, events=[EventType.TICKET_UPDATED]
        )
        _, receiver.secret = webhook_endpoint_create(settings_=checked, by=None)
    scratch = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    env = dict(os.environ)
    worker = CeleryWorker(env=env, log_path=scratch / "worker.log", concurrency=CONCURRENCY)
    beat = CeleryBeat(
        schedule={"webhooks-sweep": {"task": "webhooks.sweep", "schedule": 1.0}},
        env=env,
        tmp=scratch,
    )
    worker.start()
    worker.wait_ready()
    beat.start()
    beat.wait_ready()
    from helpdesk.celery import app

    app.conf.task_always_eager = False
    try:
        receivers[2].failing = not args.no_failing

        def halfway():
            receivers[2].failing = False

        started, emitted = emit(
            tickets, agent_user, events=args.events, rate=args.rate, halfway=halfway
        )
        print(f"emitted {args.events} events in {emitted - started:.1f} s")
        total = args.events * len(receivers)
        complete = wait_delivered(total, args.timeout)
        finished = time.time()
    finally:
        beat.stop()
        worker.stop()

    event_times = {
        webhook_id: created.timestamp()
        for webhook_id, created in WebhookDelivery.objects.values_list(
            "webhook_id", "event__created_at"
        )
    }
    delivered = sum(len(r.answered) for r in receivers)
    last = max((t for r in receivers for t in r.arrivals.values()), default=finished)
    healthy = sorted(
        (arrival - event_times[webhook_id]) * 1000
        for r in receivers[:2]
        for webhook_id, arrival in r.arrivals.items()
    )
    p95 = healthy[int(len(healthy) * 0.95) - 1] if healthy else None
    p50 = statistics.median(healthy) if healthy else None
    duplicates = sum(n - 1 for r in receivers for n in r.answered.values() if n > 1)
    invalid = sum(r.invalid for r in receivers)
    lost = total - delivered
    for r in receivers:
        print(
            f"receiver {r.name}: {len(r.answered)} delivered, {r.failed} answered 500, "
            f"{r.invalid} invalid"
        )
    endpoints = WebhookEndpoint.objects.order_by("id").values_list("url", "is_active")
    print(f"endpoints: {list(endpoints)}; all delivered in time: {complete}")
    p50_text = f"{p50:.0f}" if p50 is not None else "n/a"
    p95_text = f"{p95:.0f}" if p95 is not None else "n/a"
    print(f"healthy receivers, event to arrival: p50 {p50_text} ms, p95 {p95_text} ms")
    result = {
        "events": args.events,
        "deliveries": delivered,
        "deliveries_per_s": round(delivered / max(last - started, 1e-9), 1),
        "healthy_p50_ms": round(p50, 1) if p50 is not None else None,
        "healthy_p95_ms": round(p95, 1) if p95 is not None else None,
        "lost": lost,
        "duplicates": duplicates,
        "invalid_signatures": invalid,
        "failing_receiver_500s": receivers[2].failed,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
