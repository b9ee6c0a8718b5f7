"""Intake throughput: tickets submitted through the real web form over HTTP.

Starts gunicorn (DEBUG off, as in production) on a scratch PostgreSQL database whose name
contains "bench", then 8 client threads each loop: GET /tickets/new/ (CSRF cookie and the
form's intake token), POST the form with a new requester's address, expect the 302 to the
confirmation page. Each run
lasts a fixed time; the script prints each run and the median over the runs:

    tickets/s       submissions completed per second (GET + POST each)
    CPU per ticket  CPU seconds of gunicorn's workers, this database's PostgreSQL backends
                    and the client, per ticket: the ceiling on an idle machine, which the
                    measured rate approaches only when nothing else runs
    p50/p95 POST    latency of the POST that creates the ticket, in ms
    p50/p95 round   latency of the whole GET + POST, in ms

and, last, one JSON line with `tickets_per_s`, `p50_ms` and `p95_ms` (those are the POST
figures) plus the round figures. It also checks that every ticket queued its
acknowledgement email in the outbox and that none was sent during the run: email is the
Celery worker's job, never the request's.

    DATABASE_URL=postgres://postgres@localhost:5432/helpdesk_bench_intake \\
        .venv/bin/python bench/intake.py [--seconds 10] [--runs 3] [--clients 8] [--workers 4]

Rate limits are raised for the run (RATE_LIMIT_PER_IP/EMAIL): one address submitting
hundreds of tickets a second is exactly what they exist to stop.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ is first on sys.path; the project root is what `bench.` needs.
sys.path.insert(0, str(BASE_DIR))
from bench.processes import children_of, cpu_seconds_of  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@localhost:5432/helpdesk_bench_intake"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
TOKEN_RE = re.compile(rb'name="intake_token" value="([^"]+)"')
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE_RE = re.compile(r"csrftoken=([^;]+)")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


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
            "RATE_LIMIT_PER_IP": "100000000",
            "RATE_LIMIT_PER_EMAIL": "100000000",
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
    )
    return env


def prepare_database(args, env) -> int:
    """A fresh database, migrated, with one help topic; returns the topic's id."""
    name = urllib.parse.urlparse(args.database_url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the bench database's name must contain 'bench'")
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=BASE_DIR
    )
    script = (
        "from tests.support.factories import DepartmentFactory, HelpTopicFactory, SLAPlanFactory\n"
        "plan = SLAPlanFactory(name='Standard', is_default=True)\n"
        "it = DepartmentFactory(name='IT', default_sla_plan=plan)\n"
        "print(HelpTopicFactory(name='Business applications (CRM)', department=it).pk)\n"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", script],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
    )
    return int(out.stdout.strip().splitlines()[-1])


def start_server(args, env) -> subprocess.Popen:
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
    server = subprocess.Popen(command, env=env, cwd=BASE_DIR)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            connection.request("GET", "/tickets/new/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer within 30 s")


class Client(threading.Thread):
    def __init__(self, number: int, args, topic_id: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.args, self.topic_id, self.stop = args, topic_id, stop
        self.number = number
        self.post_ms: list[float] = []
        self.round_ms: list[float] = []
        self.errors = 0
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        connection.close()
        return response, content

    def submit(self, n: int) -> bool:
        headers = {"Cookie": f"csrftoken={self.cookie}"} if self.cookie else {}
        response, content = self.request("GET", "/tickets/new/", headers=headers)
        if response.status != 200:
            return False
        cookie = COOKIE_RE.search(response.getheader("Set-Cookie") or "")
        if cookie:
            self.cookie = cookie.group(1)
        form = {
            "csrfmiddlewaretoken": CSRF_RE.search(content).group(1).decode(),
            "intake_token": TOKEN_RE.search(content).group(1).decode(),
            "name": "Jim Halpert",
            # A new requester for every ticket, as real intake is (one address per client
            # would find its user instead of creating one, and flatter us).
            "email": f"bench-{self.number}-{n}-{time.monotonic_ns()}@example.com",
            "help_topic": str(self.topic_id),
            "subject": f"CRM is down ({n})",
            "body": "The CRM system is down and nobody in Sales can work. Please help!",
            "website": "",
        }
        started = time.perf_counter()
        response, _ = self.request(
            "POST",
            "/tickets/new/",
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.cookie}",
            },
        )
        self.post_ms.append((time.perf_counter() - started) * 1000)
        return response.status == 302 and "/tickets/new/done/" in (
            response.getheader("Location") or ""
        )

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.perf_counter()
            try:
                ok = self.submit(n)
            except (OSError, AttributeError, http.client.HTTPException):
                ok = False
            if ok:
                self.round_ms.append((time.perf_counter() - started) * 1000)
            else:
                self.errors += 1


def _database_backends(args) -> list[int]:
    import psycopg2

    name = urllib.parse.urlparse(args.database_url).path.lstrip("/")
    connection = psycopg2.connect(args.database_url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def servercpu_seconds_of(args) -> float:
    """CPU used so far by gunicorn's workers and this database's PostgreSQL backends: what
    the server side costs per ticket, whatever else the machine is busy with."""
    pids = [*children_of(args.server_pid), args.server_pid, *_database_backends(args)]
    return sum(cpu_seconds_of(pid) for pid in pids)


def one_run(args, topic_id: int) -> dict:
    stop = threading.Event()
    server_cpu_before = servercpu_seconds_of(args)
    client_cpu_before = time.process_time()
    clients = [Client(i, args, topic_id, stop) for i in range(args.clients)]
    started = time.perf_counter()
    for client in clients:
        client.start()
    time.sleep(args.seconds)
    stop.set()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - started
    server_cpu = servercpu_seconds_of(args) - server_cpu_before
    client_cpu = time.process_time() - client_cpu_before
    post_ms = [ms for c in clients for ms in c.post_ms]
    round_ms = [ms for c in clients for ms in c.round_ms]
    return {
        "tickets": len(round_ms),
        "errors": sum(c.errors for c in clients),
        "tickets_per_s": len(round_ms) / elapsed,
        "p50_ms": percentile(post_ms, 50),
        "p95_ms": percentile(post_ms, 95),
        "round_p50_ms": percentile(round_ms, 50),
        "round_p95_ms": percentile(round_ms, 95),
        "server_cpu_ms_per_ticket": server_cpu * 1000 / max(1, len(round_ms)),
        "client_cpu_ms_per_ticket": client_cpu * 1000 / max(1, len(round_ms)),
    }


def outbox_counts(env) -> tuple[int, int, int]:
    script = (
        "from tickets.models import Notification, Ticket\n"
        "ack = Notification.objects.filter(kind='requester_acknowledgement')\n"
        "print(Ticket.objects.count(), ack.count(), ack.filter(sent_at__isnull=False).count())\n"
    )
    out = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "shell", "-c", script],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
    )
    tickets, queued, sent = out.stdout.strip().splitlines()[-1].split()
    return int(tickets), int(queued), int(sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    )
    args = parser.parse_args()

    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = server_env(args, static_root)
    topic_id = prepare_database(args, env)
    server = start_server(args, env)
    args.server_pid = server.pid
    try:
        print(
            f"parameters: clients={args.clients} gunicorn_workers={args.workers} "
            f"seconds={args.seconds} runs={args.runs} cpus={os.cpu_count()}"
        )
        one_run(argparse.Namespace(**{**vars(args), "seconds": 2.0}), topic_id)  # warm up
        results = []
        for run in range(1, args.runs + 1):
            result = one_run(args, topic_id)
            results.append(result)
            print(
                f"run {run}: {result['tickets_per_s']:.1f} tickets/s, "
                f"POST p50 {result['p50_ms']:.1f} ms p95 {result['p95_ms']:.1f} ms, "
                f"GET+POST p50 {result['round_p50_ms']:.1f} ms "
                f"p95 {result['round_p95_ms']:.1f} ms, errors {result['errors']}; CPU per "
                f"ticket: server {result['server_cpu_ms_per_ticket']:.1f} ms, "
                f"client {result['client_cpu_ms_per_ticket']:.1f} ms"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    summary = {
        key: round(statistics.median(r[key] for r in results), 1)
        for key in (
            "tickets_per_s",
            "p50_ms",
            "p95_ms",
            "round_p50_ms",
            "round_p95_ms",
            "server_cpu_ms_per_ticket",
            "client_cpu_ms_per_ticket",
        )
    }
    summary["errors"] = sum(r["errors"] for r in results)
    tickets, queued, sent = outbox_counts(env)
    summary.update(tickets=tickets, emails_queued=queued, emails_sent_during_run=sent)
    print(f"tickets_per_s: {summary['tickets_per_s']} tickets/s (median of {args.runs})")
    print(f"p50_ms: {summary['p50_ms']} ms, p95_ms: {summary['p95_ms']} ms (the POST)")
    print(
        f"round_p50_ms: {summary['round_p50_ms']} ms, "
        f"round_p95_ms: {summary['round_p95_ms']} ms (GET + POST)"
    )
    cpu = summary["server_cpu_ms_per_ticket"] + summary["client_cpu_ms_per_ticket"]
    print(
        f"cpu_ms_per_ticket: {cpu:.1f} ms (server {summary['server_cpu_ms_per_ticket']}, "
        f"client {summary['client_cpu_ms_per_ticket']}): at most "
        f"{(os.cpu_count() or 1) * 1000 / cpu:.0f} tickets/s on {os.cpu_count()} idle cores"
    )
    print(f"outbox: {tickets} tickets, {queued} acknowledgements queued, {sent} sent in-request")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
