"""Intake side by side: django-helpdesk 2.6.1's public ticket form against ours, same load.

Both run under gunicorn with the same settings (sync workers, DEBUG off), on the same
PostgreSQL server (a scratch database each, names containing "bench"), driven by the same
client: `--clients` threads, each looping GET the form (CSRF cookie and token), fill it,
POST it, with a NEW requester address for every ticket, as real intake is. Runs alternate
(peer, ours, peer, ours, ...) so that both see the same machine; the script prints each run,
the medians, and the ratio ours / peer:

    tickets/s        completed submissions per second (GET + POST, the POST answered 302)
    POST p50/p95     latency of the POST that creates the ticket, ms
    server CPU       CPU ms per ticket of the gunicorn workers and of the database's
                     PostgreSQL backends (what each side costs, whatever else runs)

and last one JSON line: peer_tickets_per_s, ours_tickets_per_s, ratio, peer_p95_ms,
ours_p95_ms, peer_cpu_ms_per_ticket, ours_cpu_ms_per_ticket.

django-helpdesk is installed into its own virtual environment (default
var/bench-peer/venv, created on the first run from the package registry with pip:
django-helpdesk==2.6.1 plus the same gunicorn and psycopg2 as ours); its project (settings,
urls) is written to a scratch folder. Email: both sides use Django's locmem backend, so
neither pays for delivery (ours queues its acknowledgement in the outbox for the worker;
django-helpdesk sends in the request, into memory).

    .venv/bin/python bench/intake_vs_peer.py [--seconds 15] [--runs 3] [--clients 8] \\
        [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
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
sys.path.insert(0, str(BASE_DIR))
from bench.intake import (  # noqa: E402
    percentile,
    prepare_database,
    server_env,
)
from bench.processes import children_of, cpu_seconds_of  # noqa: E402

PEER_PACKAGES = ("django-helpdesk==2.6.1", "gunicorn==27.0.1", "psycopg2-binary==2.9.13")
POSTGRES = "postgres://postgres@localhost:5432"
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(rb'name="intake_token" value="([^"]+)"')
COOKIE_RE = re.compile(r"csrftoken=([^;]+)")

PEER_SETTINGS = """
import os
SECRET_KEY = "bench-peer-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.debug",
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "peer.wsgi.application"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_DB"],
    "USER": "postgres", "HOST": "localhost", "PORT": "5432",
}}
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ["PEER_MEDIA"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGIN_URL = "/login/"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# The public form with one public queue; no teams (pinax-teams is optional).
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_PUBLIC_TICKET_PRIORITY = 3
HELPDESK_PUBLIC_TICKET_DUE_DATE = None
"""
PEER_URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""
PEER_WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
application = get_wsgi_application()
"""


# The two sides ------------------------------------------------------------------------


class Side:
    """One help desk under gunicorn: how to start it and how its form is filled."""

    name = ""
    form_path = ""

    def __init__(self, args, port: int, database: str):
        self.args, self.port, self.database = args, port, database
        self.server: subprocess.Popen | None = None

    def fields(self, content: bytes, n: int, client: int) -> dict[str, str]:
        raise NotImplementedError

    def accepted(self, response) -> bool:
        return response.status == 302

    def wait_until_up(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", self.form_path)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"{self.name}: gunicorn did not answer on {self.form_path} within 60 s")

    def gunicorn(self, executable: Path, module: str, env, cwd) -> None:
        command = [
            str(executable),
            module,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.args.workers),
            "--worker-class",
            "sync",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ]
        self.server = subprocess.Popen(command, env=env, cwd=cwd)
        self.wait_until_up()

    def stop(self):
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=30)

    def cpu_seconds(self) -> float:
        pids = [*children_of(self.server.pid), self.server.pid, *_backends(self.database)]
        return sum(cpu_seconds_of(pid) for pid in pids)


class Ours(Side):
    name = "ours"
    form_path = "/tickets/new/"

    def start(self):
        url = f"{POSTGRES}/{self.database}"
        options = argparse.Namespace(database_url=url, redis_url=self.args.redis_url)
        self.env = server_env(options, tempfile.mkdtemp(prefix="bench-static-"))
        self.topic_id = prepare_database(options, self.env)
        self.gunicorn(
            Path(sys.executable).parent / "gunicorn", "helpdesk.wsgi", self.env, BASE_DIR
        )

    def fields(self, content, n, client):
        return {
            "csrfmiddlewaretoken": CSRF_RE.search(content).group(1).decode(),
            "intake_token": TOKEN_RE.search(content).group(1).decode(),
            "name": f"Requester {client}-{n}",
            "email": f"ours-{client}-{n}-{time.monotonic_ns()}@example.com",
            "help_topic": str(self.topic_id),
            "subject": f"CRM is down ({n})",
            "body": "The CRM system is down and nobody in Sales can work. Please help!",
            "website": "",
        }

    def accepted(self, response):
        return response.status == 302 and "/tickets/new/done/" in (
            response.getheader("Location") or ""
        )


class Peer(Side):
    name = "django-helpdesk 2.6.1"
    form_path = "/tickets/submit/"

    def start(self):
        python = self.venv() / "bin" / "python"
        project = Path(tempfile.mkdtemp(prefix="bench-peer-"))
        (project / "peer").mkdir()
        for name, text in {
            "__init__.py": "",
            "settings.py": PEER_SETTINGS,
            "urls.py": PEER_URLS,
            "wsgi.py": PEER_WSGI,
        }.items():
            (project / "peer" / name).write_text(text)
        _recreate(self.database)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "peer.settings",
            "PEER_DB": self.database,
            "PEER_MEDIA": str(project / "media"),
            "PYTHONPATH": str(project),
        }
        manage = [str(python), "-m", "django"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=project, check=True)
        script = (
            "from helpdesk.models import Queue\n"
            "print(Queue.objects.create(title='IT', slug='it',"
            " allow_public_submission=True).pk)\n"
        )
        out = subprocess.run(
            [*manage, "shell", "-c", script],
            env=env,
            cwd=project,
            check=True,
            capture_output=True,
            text=True,
        )
        self.queue_id = int(out.stdout.strip().splitlines()[-1])
        self.gunicorn(self.venv() / "bin" / "gunicorn", "peer.wsgi", env, project)

    def venv(self) -> Path:
        venv = Path(self.args.peer_venv)
        if not (venv / "bin" / "gunicorn").exists():
            print(f"installing {', '.join(PEER_PACKAGES)} into {venv} ...")
            subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "--quiet", *PEER_PACKAGES], check=True
            )
        return venv

    def fields(self, content, n, client):
        return {
            "csrfmiddlewaretoken": CSRF_RE.search(content).group(1).decode(),
            "queue": str(self.queue_id),
            "title": f"CRM is down ({n})",
            "body": "The CRM system is down and nobody in Sales can work. Please help!",
            "submitter_email": f"peer-{client}-{n}-{time.monotonic_ns()}@example.com",
        }

    def accepted(self, response):
        return response.status == 302 and "/view/" in (response.getheader("Location") or "")


def _recreate(database: str):
    import psycopg2

    if "bench" not in database:
        sys.exit(f"refusing to drop {database!r}: its name must contain 'bench'")
    connection = psycopg2.connect(f"{POSTGRES}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{database}"')
    connection.close()


def _backends(database: str) -> list[int]:
    import psycopg2

    connection = psycopg2.connect(f"{POSTGRES}/postgres")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


# The client ---------------------------------------------------------------------------


class Client(threading.Thread):
    """One person after another at the same browser: GET the form, POST it."""

    def __init__(self, number: int, side: Side, stop: threading.Event):
        super().__init__(daemon=True)
        self.number, self.side, self.stop_event = number, side, stop
        self.post_ms: list[float] = []
        self.done = 0
        self.errors = 0
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.side.port, timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        connection.close()
        return response, content

    def submit(self, n: int) -> bool:
        headers = {"Cookie": f"csrftoken={self.cookie}"} if self.cookie else {}
        response, content = self.request("GET", self.side.form_path, headers=headers)
        if response.status != 200:
            return False
        cookie = COOKIE_RE.search(response.getheader("Set-Cookie") or "")
        if cookie:
            self.cookie = cookie.group(1)
        body = urllib.parse.urlencode(self.side.fields(content, n, self.number))
        started = time.perf_counter()
        response, _ = self.request(
            "POST",
            self.side.form_path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.cookie}",
                "Referer": f"http://127.0.0.1:{self.side.port}{self.side.form_path}",
            },
        )
        self.post_ms.append((time.perf_counter() - started) * 1000)
        return self.side.accepted(response)

    def run(self):
        n = 0
        while not self.stop_event.is_set():
            n += 1
            try:
                ok = self.submit(n)
            except (OSError, AttributeError, http.client.HTTPException):
                ok = False
            if ok:
                self.done += 1
            else:
                self.errors += 1


def one_run(side: Side, clients: int, seconds: float) -> dict:
    stop = threading.Event()
    cpu_before = side.cpu_seconds()
    threads = [Client(i, side, stop) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done = sum(t.done for t in threads)
    post_ms = [ms for t in threads for ms in t.post_ms]
    return {
        "tickets": done,
        "errors": sum(t.errors for t in threads),
        "tickets_per_s": done / elapsed,
        "p50_ms": percentile(post_ms, 50),
        "p95_ms": percentile(post_ms, 95),
        "cpu_ms_per_ticket": (side.cpu_seconds() - cpu_before) * 1000 / max(1, done),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=3, help="runs per side, alternating")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--peer-venv", default=str(BASE_DIR / "var" / "bench-peer" / "venv"))
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()

    peer = Peer(args, 18766, "helpdesk_bench_peer")
    ours = Ours(args, 18767, "helpdesk_bench_ours")
    results: dict[str, list[dict]] = {"peer": [], "ours": []}
    try:
        peer.start()
        ours.start()
        print(
            f"parameters: clients={args.clients} gunicorn_workers={args.workers} "
            f"seconds={args.seconds} runs={args.runs} cpus={os.cpu_count()}"
        )
        for side in (peer, ours):
            one_run(side, args.clients, 2.0)  # warm up: imports, connections, caches
        for run in range(1, args.runs + 1):
            for key, side in (("peer", peer), ("ours", ours)):
                result = one_run(side, args.clients, args.seconds)
                results[key].append(result)
                print(
                    f"run {run} {side.name:<22} {result['tickets_per_s']:6.1f} tickets/s, "
                    f"POST p50 {result['p50_ms']:.0f} ms p95 {result['p95_ms']:.0f} ms, "
                    f"server CPU {result['cpu_ms_per_ticket']:.1f} ms/ticket, "
                    f"errors {result['errors']}"
                )
    finally:
        peer.stop()
        ours.stop()

    def median(key, name):
        return round(statistics.median(r[name] for r in results[key]), 1)

    summary = {
        "peer_tickets_per_s": median("peer", "tickets_per_s"),
        "ours_tickets_per_s": median("ours", "tickets_per_s"),
        "peer_p95_ms": median("peer", "p95_ms"),
        "ours_p95_ms": median("ours", "p95_ms"),
        "peer_cpu_ms_per_ticket": median("peer", "cpu_ms_per_ticket"),
        "ours_cpu_ms_per_ticket": median("ours", "cpu_ms_per_ticket"),
        "errors": sum(r["errors"] for side in results.values() for r in side),
    }
    summary["ratio"] = round(summary["ours_tickets_per_s"] / summary["peer_tickets_per_s"], 2)
    print(
        f"peer: {summary['peer_tickets_per_s']} tickets/s, POST p95 {summary['peer_p95_ms']} ms,"
        f" {summary['peer_cpu_ms_per_ticket']} ms server CPU per ticket"
    )
    print(
        f"ours: {summary['ours_tickets_per_s']} tickets/s, POST p95 {summary['ours_p95_ms']} ms,"
        f" {summary['ours_cpu_ms_per_ticket']} ms server CPU per ticket"
    )
    print(f"ratio (ours / peer, tickets/s): {summary['ratio']}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
