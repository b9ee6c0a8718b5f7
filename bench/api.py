"""Benchmark the REST API on PostgreSQL: ticket list and detail, and creation over HTTP.

Seeds N tickets (default 1,000,000) as bench/queue.py does (COPY, eight departments,
every status, 1 to 5 thread entries each) and makes an API key (scopes tickets:read and
tickets:write) for queue.py's bench agent, who works two of the eight departments. The
key's rate limit is set to 100,000 requests a minute (the most a key may have), so the
limiter is counted on every request (as in production) but never refuses the bench.

Reads, in-process with Django's test client (routing, middleware, key authentication,
throttle, selectors, serialisation; no network), DEBUG off, `Authorization: Bearer`:

- list: `/api/v1/tickets/` (every status of the agent's departments, newest change first),
  filtered (`?status=open&priority=high`), `?page_size=100`, and a deep walk following
  `next` cursors `--pages` pages down (every page of the walk timed);
- search: `?q=` with one common seeded word, and with two (reported, not in list_p95_ms);
- detail: random tickets of the agent's departments, plain and `?include=thread,events`;
- the queries each kind of request makes, captured for page_size 1 and 100 (and for a
  ticket of one thread entry and one of five): they must not differ.

`list_p95_ms` and `detail_p95_ms` in the JSON are the worst p95 of their kinds.

Creation, against gunicorn (`--workers` sync workers, DEBUG off, Redis db 6 for cache and
broker, no Celery worker): `--clients` threads POST `/api/v1/tickets/` as JSON for
`--seconds`, each ticket for a new requester address. Then, in the same run, as many
tickets through `guest_user_get_or_create` + `tickets.services.ticket_create` called
directly (`by=` the agent, `source="api"`, the same help topic and text) from `--clients`
processes. The two alternate `--runs` times; the medians are reported, with the ratio
create_per_s / service_per_s (the target is >= 0.5: HTTP, authentication and serialisation
cost no more than the ticket itself) and the CPU per ticket of each side (gunicorn's
workers or the service processes, plus this database's PostgreSQL backends), which holds
still when other work shares the cores and the rates do not. Every ticket's
acknowledgement must be queued in the outbox and none sent: email is the worker's job.

    python bench/api.py --tickets 1000000
    python bench/api.py --tickets 20000 --seconds 5 --runs 3 --reuse

Prints its figures; the last line is JSON.
"""

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this module's name
# would shadow the `api` app.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from bench.processes import children_of, cpu_seconds_of  # noqa: E402

AGENT_EMAIL = "bench.agent@bench.example"
SUBJECT = "CRM is down ({n})"
BODY = "The CRM system is down and nobody in Sales can work. Please help!"
PEER = "django-helpdesk 2.6.1: 39.9 s for one API list page at 100,000 tickets (100,055 queries)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="timed reads per measurement")
    parser.add_argument("--pages", type=int, default=300, help="pages of the deep cursor walk")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each API run")
    parser.add_argument("--runs", type=int, default=3, help="API/service alternations")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench_api"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database seeded by a previous run"
    )
    args = parser.parse_args()
    if args.tickets < 1000 or args.requests < 5 or args.runs < 1 or args.pages < 3:
        parser.error("--tickets >= 1000, --requests >= 5, --runs >= 1, --pages >= 3")
    if not 0 < args.seconds <= 600 or not 1 <= args.clients <= 64:
        parser.error("--seconds in (0, 600], --clients in [1, 64]")

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "0"  # no query log, as in production
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.pop("REDIS_URL", None)  # in-process reads: a local cache, as queue.py
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic here
    if not args.reuse:
        from bench.sla_sweep import recreate_database

        recreate_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.reuse:
        from bench.queue import seed

        seed(args.tickets)
    plaintext = make_key()
    figures = {}
    measure_reads(args, plaintext, figures)
    measure_creation(args, plaintext, figures)
    summarise(figures)


def make_key() -> str:
    from accounts.models import User
    from accounts.roles import SYSTEM
    from api.keys import api_key_create

    issued = api_key_create(
        by=SYSTEM,
        user=User.objects.get(email=AGENT_EMAIL),
        name=f"Bench {secrets.token_hex(4)}",  # --reuse keeps the keys of earlier runs
        scopes=["tickets:read", "tickets:write"],
        requests_per_minute=100_000,
    )
    return issued.plaintext


def p50_p95(timings: list[float]) -> tuple[float, float]:
    return (
        statistics.median(timings),
        statistics.quantiles(timings, n=20, method="inclusive")[18],
    )


# Reads --------------------------------------------------------------------------------


def measure_reads(args, plaintext: str, figures: dict) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from tickets import access
    from tickets.models import ThreadEntry, Ticket

    rng = random.Random(5)
    client = Client(headers={"Authorization": f"Bearer {plaintext}"})
    user = User.objects.get(email=AGENT_EMAIL)
    visible = sorted(access.agent_department_ids(user))
    figures["tickets"] = Ticket.objects.count()
    numbers = list(
        Ticket.objects.filter(department_id__in=visible)
        .order_by("?")
        .values_list("number", flat=True)[:500]
    )
    print(
        f"tickets: {figures['tickets']:,}; agent's departments {len(visible)} of 8; "
        f"requests per measurement: {args.requests}; deep walk: {args.pages} pages"
    )

    def get(url: str) -> dict:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return response.json()

    def cpu_used() -> float:
        """CPU seconds of this process (client and server) and its PostgreSQL backend:
        unlike the wall-clock times, this stays put when other work shares the cores."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        return time.process_time() + cpu_seconds([backend])

    def timed(url_of) -> tuple[list[float], float]:
        """Wall-clock ms of each request, and the mean CPU ms per request."""
        for _ in range(3):  # warm-up
            get(url_of())
        timings, cpu_before = [], cpu_used()
        for _ in range(args.requests):
            url = url_of()
            started = time.perf_counter()
            get(url)
            timings.append((time.perf_counter() - started) * 1000)
        return timings, (cpu_used() - cpu_before) * 1000 / args.requests

    def report(name: str, measured: tuple[list[float], float]) -> None:
        timings, cpu = measured
        p50, p95 = p50_p95(timings)
        print(
            f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms; "
            f"CPU {cpu:.1f} ms a request"
        )
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)
        figures[f"{name}_cpu_ms"] = round(cpu, 1)

    lists = {
        "list": "/api/v1/tickets/",
        "list_filtered": "/api/v1/tickets/?status=open&priority=high",
        "list_page_100": "/api/v1/tickets/?page_size=100",
    }
    for name, url in lists.items():
        report(name, timed(lambda url=url: url))

    # The deep walk: every page timed, as a sync client reads the whole list.
    walk, url, deepest = [], "/api/v1/tickets/?page_size=100", None
    cpu_before = cpu_used()
    for _page in range(args.pages):
        started = time.perf_counter()
        body = get(url)
        walk.append((time.perf_counter() - started) * 1000)
        if not body["next"]:
            break
        deepest = url = body["next"].removeprefix("http://testserver")
    print(f"deep walk: {len(walk)} pages of 100 ({len(walk) * 100:,} tickets)")
    report("list_deep", (walk[1:], (cpu_used() - cpu_before) * 1000 / len(walk)))

    # Text search (?q=), reported beside the lists but not in list_p95_ms: the issue's
    # target is the list; a common word and a rarer pair, as bench/queue.py searches.
    from bench.seeding import WORDS

    report("search_common", timed(lambda: f"/api/v1/tickets/?q={rng.choice(WORDS)}"))
    report(
        "search_two_words",
        timed(lambda: f"/api/v1/tickets/?q={rng.choice(WORDS)}+{rng.choice(WORDS)}"),
    )

    report("detail", timed(lambda: f"/api/v1/tickets/{rng.choice(numbers)}/"))
    report(
        "detail_include",
        timed(lambda: f"/api/v1/tickets/{rng.choice(numbers)}/?include=thread,events"),
    )
    figures["list_p95_ms"] = max(figures[f"{n}_p95_ms"] for n in (*lists, "list_deep"))
    figures["detail_p95_ms"] = max(figures["detail_p95_ms"], figures["detail_include_p95_ms"])

    # Query counts: a list page of 1 and of 100, a ticket of 1 thread entry and of 5.
    def queries(url: str) -> int:
        get(url)  # the key's last use is written once a minute: not in the count
        cache.clear()  # a count, when asked for, is counted again
        with CaptureQueriesContext(connection) as captured:
            get(url)
        return len(captured)

    entries = dict(
        ThreadEntry.objects.filter(ticket__number__in=numbers)
        .values("ticket__number")
        .annotate(n=Count("id"))
        .values_list("ticket__number", "n")
    )
    short = next(n for n, c in entries.items() if c == 1)
    long = next(n for n, c in entries.items() if c == 5)
    kinds = {
        "list": "/api/v1/tickets/?page_size={size}",
        "list_filtered": "/api/v1/tickets/?status=open&priority=high&page_size={size}",
        "list_count": "/api/v1/tickets/?count=true&page_size={size}",
    }
    if deepest:
        cursor = deepest.split("cursor=", 1)[1].split("&", 1)[0]
        kinds["list_deep"] = f"/api/v1/tickets/?cursor={cursor}&page_size={{size}}"
    counts = {}
    for name, pattern in kinds.items():
        small, large = (queries(pattern.format(size=size)) for size in (1, 100))
        counts[name] = [small, large]
        print(f"queries, {name}: {small} for page_size 1, {large} for page_size 100")
    for name, suffix in (("detail", ""), ("detail_include", "?include=thread,events")):
        small, large = (queries(f"/api/v1/tickets/{n}/{suffix}") for n in (short, long))
        counts[name] = [small, large]
        print(f"queries, {name}: {small} for 1 thread entry, {large} for 5")
    figures["queries"] = counts
    figures["queries_constant"] = all(a == b for a, b in counts.values())
    print(f"query counts constant: {figures['queries_constant']}")


# Creation -----------------------------------------------------------------------------


def server_env(args, static_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": static_root,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
    )
    return env


def start_server(args, env, plaintext: str) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "helpdesk.wsgi",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "sync",
        "--backlog",
        "256",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline, last = time.monotonic() + 120, "no answer"
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
            connection.request(
                "GET", "/api/v1/me/", headers={"Authorization": f"Bearer {plaintext}"}
            )
            response = connection.getresponse()
            if response.status == 200:
                return server
            last = f"{response.status} {response.read()[:300]!r}"
        except OSError as error:
            last = repr(error)
        time.sleep(0.5)
    server.terminate()
    server.wait(timeout=30)
    sys.exit(f"gunicorn did not answer /api/v1/me/ with 200 within 120 s: {last}")


class ApiClient(threading.Thread):
    """POSTs new tickets until told to stop, each for a new requester."""

    def __init__(self, number: int, run: int, args, plaintext, topic_id, stop):
        super().__init__(daemon=True)
        self.number, self.run_number, self.args = number, run, args
        self.plaintext, self.topic_id, self.stop = plaintext, topic_id, stop
        self.ms: list[float] = []
        self.errors = 0

    def post(self, n: int) -> bool:
        body = json.dumps(
            {
                "requester": {
                    "email": f"api-{self.run_number}-{self.number}-{n}@bench.example",
                    "name": f"Requester {n}",
                },
                "subject": SUBJECT.format(n=n),
                "body": BODY,
                "help_topic": self.topic_id,
            }
        )
        connection = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=30)
        connection.request(
            "POST",
            "/api/v1/tickets/",
            body=body,
            headers={
                "Authorization": f"Bearer {self.plaintext}",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status == 201

    def run(self):
        n = 0
        while not self.stop.is_set() and n < 100_000:
            n += 1
            started = time.perf_counter()
            try:
                ok = self.post(n)
            except (OSError, http.client.HTTPException):
                ok = False
            if ok:
                self.ms.append((time.perf_counter() - started) * 1000)
            else:
                self.errors += 1


def cpu_seconds(pids) -> float:
    return sum(cpu_seconds_of(pid) for pid in pids)


def database_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def api_run(args, run: int, plaintext: str, topic_id: int, server_pid: int) -> dict:
    stop = threading.Event()
    pids = lambda: [server_pid, *children_of(server_pid), *database_backends()]  # noqa: E731
    cpu_before, client_before = cpu_seconds(pids()), time.process_time()
    clients = [ApiClient(i, run, args, plaintext, topic_id, stop) for i in range(args.clients)]
    started = time.perf_counter()
    for client in clients:
        client.start()
    time.sleep(args.seconds)
    stop.set()
    for client in clients:
        client.join(timeout=60)
    elapsed = time.perf_counter() - started
    created = sum(len(c.ms) for c in clients)
    ms = [t for c in clients for t in c.ms]
    return {
        "tickets": created,
        "errors": sum(c.errors for c in clients),
        "per_s": created / elapsed,
        "p50_ms": p50_p95(ms)[0] if len(ms) > 1 else float("nan"),
        "p95_ms": p50_p95(ms)[1] if len(ms) > 1 else float("nan"),
        "cpu_ms": (cpu_seconds(pids()) - cpu_before) * 1000 / max(1, created),
        "client_cpu_ms": (time.process_time() - client_before) * 1000 / max(1, created),
    }


def service_worker(env: dict, number: int, topic_id: int, jobs, results) -> None:
    """A process that opens tickets through the services, as many as each job says."""
    os.environ.update(env)
    import django

    django.setup()
    from accounts.models import User
    from accounts.services import guest_user_get_or_create
    from tickets.models import HelpTopic, Source
    from tickets.services import ticket_create

    agent = User.objects.select_related("agent").get(email=AGENT_EMAIL)
    topic = HelpTopic.objects.get(pk=topic_id)

    def one(run, n):
        requester = guest_user_get_or_create(
            email=f"service-{run}-{number}-{n}@bench.example", display_name=f"Requester {n}"
        )
        ticket_create(
            requester=requester,
            by=agent,
            subject=SUBJECT.format(n=n),
            body=BODY,
            help_topic=topic,
            source=Source.API,
        )

    one(0, 0)  # warm: imports, connection, caches
    results.put(("ready", number))
    while (job := jobs.get()) is not None:
        run, count = job
        started = time.time()
        for n in range(1, count + 1):
            one(run, n)
        results.put((number, started, time.time(), count))


def service_run(args, run: int, count: int, workers, jobs, results) -> dict:
    pids = lambda: [*(w.pid for w in workers), *database_backends()]  # noqa: E731
    cpu_before = cpu_seconds(pids())
    shares = [count // len(workers) + (i < count % len(workers)) for i in range(len(workers))]
    for queue, share in zip(jobs, shares, strict=True):
        queue.put((run, share))
    done = [results.get(timeout=max(120, 20 * args.seconds)) for _ in workers]
    elapsed = max(d[2] for d in done) - min(d[1] for d in done)
    return {
        "tickets": count,
        "per_s": count / max(elapsed, 1e-6),
        "cpu_ms": (cpu_seconds(pids()) - cpu_before) * 1000 / max(1, count),
    }


def measure_creation(args, plaintext: str, figures: dict) -> None:
    import redis

    from accounts.models import Department
    from tickets.models import HelpTopic, Notification, Ticket

    topic_id = (
        HelpTopic.objects.filter(department=Department.objects.get(name="IT"))
        .order_by("pk")
        .values_list("pk", flat=True)[0]
    )
    redis.Redis.from_url(args.redis_url).flushdb()  # db 6 is this bench's
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = server_env(args, static_root)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    tickets_before = Ticket.objects.count()
    acks_before = Notification.objects.filter(kind="requester_acknowledgement").count()

    context = multiprocessing.get_context("spawn")
    jobs = [context.Queue() for _ in range(args.clients)]
    results = context.Queue()
    workers = [
        context.Process(target=service_worker, args=(env, i, topic_id, jobs[i], results))
        for i in range(args.clients)
    ]
    server = None
    try:
        for worker in workers:
            worker.start()
        server = start_server(args, env, plaintext)
        for _ in workers:
            results.get(timeout=120)  # each ready
        print(
            f"creation: {args.clients} clients, gunicorn {args.workers} sync workers, "
            f"{args.seconds:g} s a run, {args.runs} runs, {os.cpu_count()} cpus"
        )
        warm = argparse.Namespace(**{**vars(args), "seconds": min(2.0, args.seconds)})
        api_run(warm, 0, plaintext, topic_id, server.pid)
        api_runs, service_runs = [], []
        for run in range(1, args.runs + 1):
            api = api_run(args, run, plaintext, topic_id, server.pid)
            service = service_run(args, run, api["tickets"], workers, jobs, results)
            api_runs.append(api)
            service_runs.append(service)
            print(
                f"run {run}: API {api['per_s']:.1f} tickets/s ({api['tickets']} tickets, "
                f"POST p50 {api['p50_ms']:.0f} ms p95 {api['p95_ms']:.0f} ms, errors "
                f"{api['errors']}, CPU {api['cpu_ms']:.1f} ms server + "
                f"{api['client_cpu_ms']:.1f} ms client per ticket); service "
                f"{service['per_s']:.1f} tickets/s (CPU {service['cpu_ms']:.1f} ms per "
                f"ticket); ratio {api['per_s'] / service['per_s']:.2f}"
            )
    finally:
        for queue in jobs:
            queue.put(None)
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    def median(runs, key):
        return statistics.median(r[key] for r in runs)

    figures["create_per_s"] = round(median(api_runs, "per_s"), 1)
    figures["service_per_s"] = round(median(service_runs, "per_s"), 1)
    figures["create_ratio"] = round(
        figures["create_per_s"] / max(figures["service_per_s"], 1e-6), 2
    )
    figures["create_p50_ms"] = round(median(api_runs, "p50_ms"), 1)
    figures["create_p95_ms"] = round(median(api_runs, "p95_ms"), 1)
    figures["create_cpu_ms_per_ticket"] = round(
        median(api_runs, "cpu_ms") + median(api_runs, "client_cpu_ms"), 1
    )
    figures["service_cpu_ms_per_ticket"] = round(median(service_runs, "cpu_ms"), 1)
    figures["create_errors"] = sum(r["errors"] for r in api_runs)
    new_tickets = Ticket.objects.count() - tickets_before
    acks = Notification.objects.filter(kind="requester_acknowledgement")
    figures["acknowledgements_queued"] = acks.count() - acks_before
    figures["acknowledgements_sent"] = acks.filter(sent_at__isnull=False).count()
    figures["created_tickets"] = new_tickets


def summarise(figures: dict) -> None:
    meets = figures["create_ratio"] >= 0.5
    print(
        f"create_per_s: {figures['create_per_s']} tickets/s through the API, "
        f"service_per_s: {figures['service_per_s']} through ticket_create (medians); "
        f"ratio {figures['create_ratio']} ({'meets' if meets else 'misses'} >= 0.5)"
    )
    print(
        f"CPU per ticket: API {figures['create_cpu_ms_per_ticket']} ms (server and client), "
        f"service {figures['service_cpu_ms_per_ticket']} ms; ratio "
        f"{figures['service_cpu_ms_per_ticket'] / figures['create_cpu_ms_per_ticket']:.2f}"
    )
    print(
        f"outbox: {figures['created_tickets']} tickets created, "
        f"{figures['acknowledgements_queued']} acknowledgements queued, "
        f"{figures['acknowledgements_sent']} sent in-request"
    )
    print(
        f"list p95 {figures['list_p95_ms']} ms, detail p95 {figures['detail_p95_ms']} ms at "
        f"{figures['tickets']:,} tickets; peer: {PEER}"
    )
    figures["create_meets_half"] = meets
    problems = []
    if figures["create_errors"]:
        problems.append(f"{figures['create_errors']} API posts failed")
    if figures["acknowledgements_queued"] != figures["created_tickets"]:
        problems.append("not every new ticket queued its acknowledgement")
    if figures["acknowledgements_sent"]:
        problems.append("acknowledgements were sent during the run (no worker runs)")
    if not figures["queries_constant"]:
        problems.append("query counts differ between page sizes (or thread lengths)")
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    figures["checks_passed"] = not problems
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
