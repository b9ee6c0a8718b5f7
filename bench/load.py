"""A mixed load: guests submitting tickets, agents working the desk, requesters reading.

Starts gunicorn (DEBUG off, `--workers` sync workers) and a real Celery worker (it sends
the acknowledgements and runs what the pages enqueue) on a scratch database, seeds a desk
(two departments, `--agents` agents, `--requesters` requesters with a few tickets each,
`--seed-tickets` tickets for the queue), then runs `--users` users at once for `--seconds`
(bounded in count and time, loopback only):

- half of them guests: GET the new-ticket form, POST it (a new requester address each
  time), then think for about half a second;
- a quarter agents: the queue, a search, a ticket page, and an internal note posted on it;
- a quarter requesters: their ticket list and one of their tickets.

It prints requests/s, p50/p95 per page kind, errors per kind, and checks that every ticket
a guest was told was accepted (the 302 to the confirmation page) exists exactly once (its
subject carries a unique token). Last, one JSON line with requests_per_s, p95_ms (all
requests), p95 per kind, errors, accepted, missing, duplicated.

    .venv/bin/python bench/load.py [--users 40] [--seconds 60] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]
sys.path.insert(0, str(BASE_DIR))
from bench.intake import percentile, server_env  # noqa: E402

CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(rb'name="intake_token" value="([^"]+)"')
COOKIE_RE = re.compile(r"csrftoken=([^;]+)")
WORDS = ("printer", "toner", "CRM", "password", "laptop", "monitor", "VPN", "email")

SEED = """
import json
from django.test import Client
from accounts.models import Agent, DepartmentMembership, User
from tests.support.factories import DepartmentFactory, HelpTopicFactory, SLAPlanFactory
from tickets.services import ticket_create

words = {words!r}
plan = SLAPlanFactory(name="Standard", is_default=True)
it = DepartmentFactory(name="IT", default_sla_plan=plan)
sales = DepartmentFactory(name="Sales", default_sla_plan=plan)
topic = HelpTopicFactory(name="Business applications (CRM)", department=it)
def session_of(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value
agents, requesters = [], []
for n in range({agents}):
    user = User.objects.create_user(f"agent{{n}}@load.example", password=None,
                                    display_name=f"Agent {{n}}")
    agent = Agent.objects.create(user=user)
    DepartmentMembership.objects.create(agent=agent, department=it)
    agents.append(session_of(user))
numbers = []
for n in range({requesters}):
    user = User.objects.create_user(f"requester{{n}}@load.example", password=None,
                                    display_name=f"Requester {{n}}")
    mine = []
    for k in range(3):
        ticket = ticket_create(requester=user, by=user, subject=f"{{words[k % len(words)]}} "
                               f"broken again ({{n}}-{{k}})", body="It stopped working.",
                               help_topic=topic)
        mine.append(ticket.number)
    numbers.extend(mine)
    requesters.append({{"session": session_of(user), "tickets": mine}})
for n in range({seed_tickets}):
    user = User.objects.get(email=f"requester{{n % {requesters}}}@load.example")
    numbers.append(ticket_create(requester=user, by=user, help_topic=topic,
                                 subject=f"{{words[n % len(words)]}} issue {{n}}",
                                 body="Seeded for the queue.").number)
print(json.dumps({{"topic": topic.pk, "agents": agents, "requesters": requesters,
                  "tickets": numbers}}))
"""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.accepted: list[str] = []

    def record(self, kind: str, ms: float, ok: bool):
        with self.lock:
            self.ms[kind].append(ms)
            if not ok:
                self.errors[kind] += 1


class User(threading.Thread):
    def __init__(self, port: int, stats: Stats, stop: threading.Event, rng: random.Random):
        super().__init__(daemon=True)
        self.port, self.stats, self.stop_event, self.rng = port, stats, stop, rng
        self.cookies: dict[str, str] = {}

    def request(self, kind, method, path, form=None, expect=(200,)):
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Referer": f"http://127.0.0.1:{self.port}{path}",
        }
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            connection.close()
        except (OSError, http.client.HTTPException):
            self.stats.record(kind, (time.perf_counter() - started) * 1000, False)
            return None, b""
        ok = response.status in expect
        self.stats.record(kind, (time.perf_counter() - started) * 1000, ok)
        if not ok and os.environ.get("LOAD_DEBUG"):
            print(f"{kind}: {method} {path} answered {response.status}: {content[:300]!r}")
        cookie = COOKIE_RE.search(response.getheader("Set-Cookie") or "")
        if cookie:
            self.cookies["csrftoken"] = cookie.group(1)
        return response, content

    def csrf(self, content: bytes) -> str:
        found = CSRF_RE.search(content)
        return found.group(1).decode() if found else ""

    def run(self):
        while not self.stop_event.is_set():
            self.step()

    def think(self, seconds: float):
        self.stop_event.wait(self.rng.uniform(0.5, 1.5) * seconds)


class Guest(User):
    def __init__(self, *args, topic: int, number: int):
        super().__init__(*args)
        self.topic, self.number, self.n = topic, number, 0

    def step(self):
        self.n += 1
        self.cookies.clear()  # a new person at a new browser
        response, content = self.request("guest form", "GET", "/tickets/new/")
        token = TOKEN_RE.search(content) if response is not None else None
        if token is None:
            return self.think(0.5)
        subject = f"load-{self.number}-{self.n}-{secrets.token_hex(4)} CRM is down"
        response, _ = self.request(
            "guest submit",
            "POST",
            "/tickets/new/",
            {
                "csrfmiddlewaretoken": self.csrf(content),
                "intake_token": token.group(1).decode(),
                "name": f"Guest {self.number}",
                "email": f"guest-{self.number}-{self.n}-{secrets.token_hex(3)}@load.example",
                "help_topic": str(self.topic),
                "subject": subject,
                "body": "The CRM is down and nobody in Sales can work.",
                "website": "",
            },
            expect=(302,),
        )
        if response is not None and "/tickets/new/done/" in (response.getheader("Location") or ""):
            with self.stats.lock:
                self.stats.accepted.append(subject)
        self.think(0.5)


class Agent(User):
    def __init__(self, *args, session: str, tickets: list[int]):
        super().__init__(*args)
        self.cookies["sessionid"] = session
        self.tickets = tickets

    def step(self):
        self.request("agent queue", "GET", "/agent/")
        self.think(1.0)
        word = self.rng.choice(WORDS)
        self.request("agent search", "GET", f"/agent/search/?q={word}")
        self.think(1.0)
        number = self.rng.choice(self.tickets)
        response, content = self.request("agent ticket", "GET", f"/agent/tickets/{number}/")
        self.think(2.0)
        if response is not None:
            self.request(
                "agent note",
                "POST",
                f"/agent/tickets/{number}/note/",
                {"csrfmiddlewaretoken": self.csrf(content), "note-body": "Checked the logs."},
                expect=(302, 303),
            )
        self.think(1.0)


class Requester(User):
    def __init__(self, *args, session: str, tickets: list[int]):
        super().__init__(*args)
        self.cookies["sessionid"] = session
        self.tickets = tickets

    def step(self):
        self.request("requester list", "GET", "/tickets/")
        self.think(1.0)
        self.request("requester ticket", "GET", f"/tickets/{self.rng.choice(self.tickets)}/")
        self.think(2.0)


def prepare(args, env) -> dict:
    from bench.sla_sweep import recreate_database

    recreate_database(args.database_url)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=BASE_DIR)
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=BASE_DIR
    )
    script = SEED.format(
        words=WORDS,
        agents=max(1, args.users // 4),
        requesters=max(1, args.users // 4),
        seed_tickets=args.seed_tickets,
    )
    out = subprocess.run(
        [*manage, "shell", "-c", script],
        env={**env, "CELERY_TASK_ALWAYS_EAGER": "0"},
        check=True,
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start(args, env) -> list[subprocess.Popen]:
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "helpdesk.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--backlog",
            "512",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=BASE_DIR,
    )
    worker = subprocess.Popen(
        [
            str(bin_dir / "celery"),
            "-A",
            "helpdesk",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "ERROR",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        env=env,
        cwd=BASE_DIR,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            connection.request("GET", "/tickets/new/")
            if connection.getresponse().status == 200:
                return [web, worker]
        except OSError:
            pass
        time.sleep(0.3)
    for process in (web, worker):
        process.terminate()
    sys.exit("gunicorn did not answer within 60 s")


def check_accepted(args, subjects: list[str]) -> tuple[int, int]:
    """(missing, duplicated) among the accepted tickets, by their unique subjects."""
    import psycopg2

    connection = psycopg2.connect(args.database_url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT subject, count(*) FROM tickets_ticket WHERE subject = ANY(%s) "
            "GROUP BY subject",
            [subjects],
        )
        found = dict(cursor.fetchall())
    connection.close()
    missing = sum(1 for s in subjects if s not in found)
    duplicated = sum(1 for count in found.values() if count > 1)
    return missing, duplicated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed-tickets", type=int, default=2000)
    parser.add_argument("--port", type=int, default=18768)
    parser.add_argument(
        "--database-url", default="postgres://postgres@localhost:5432/helpdesk_bench_load"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    if not 4 <= args.users <= 400 or not 1 <= args.seconds <= 600:
        parser.error("--users between 4 and 400, --seconds between 1 and 600")

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # this bench's own Redis database
    env = server_env(args, tempfile.mkdtemp(prefix="bench-static-"))
    env["REQUIRE_STAFF_2FA"] = "0"  # the agents are signed in by session: no code step
    seeded = prepare(args, env)
    processes = start(args, env)
    stats = Stats()
    stop = threading.Event()
    rng = random.Random(17)
    users: list[User] = []
    guests = args.users // 2
    for n in range(guests):
        users.append(
            Guest(args.port, stats, stop, random.Random(n), topic=seeded["topic"], number=n)
        )
    for n, session in enumerate(seeded["agents"]):
        users.append(
            Agent(
                args.port,
                stats,
                stop,
                random.Random(1000 + n),
                session=session,
                tickets=seeded["tickets"],
            )
        )
    for n, requester in enumerate(seeded["requesters"]):
        users.append(
            Requester(
                args.port,
                stats,
                stop,
                random.Random(2000 + n),
                session=requester["session"],
                tickets=requester["tickets"],
            )
        )
    rng.shuffle(users)
    try:
        print(
            f"parameters: users={len(users)} (guests {guests}, agents {len(seeded['agents'])}, "
            f"requesters {len(seeded['requesters'])}) seconds={args.seconds} "
            f"gunicorn_workers={args.workers} celery_worker=1 cpus={os.cpu_count()}"
        )
        started = time.perf_counter()
        for user in users:
            user.start()
        time.sleep(args.seconds)
        stop.set()
        for user in users:
            user.join(timeout=90)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)

    every = [ms for values in stats.ms.values() for ms in values]
    figures = {
        "users": len(users),
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 1),
        "p50_ms": round(percentile(every, 50), 1),
        "p95_ms": round(percentile(every, 95), 1),
        "errors": sum(stats.errors.values()),
    }
    print(f"{'page':<18}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for kind in sorted(stats.ms):
        values = stats.ms[kind]
        p50, p95 = percentile(values, 50), percentile(values, 95)
        figures[f"p95_ms.{kind.replace(' ', '_')}"] = round(p95, 1)
        print(f"{kind:<18}{len(values):>9}{p50:>9.0f}{p95:>9.0f}{stats.errors[kind]:>8}")
    missing, duplicated = check_accepted(args, stats.accepted)
    figures.update(accepted=len(stats.accepted), missing=missing, duplicated=duplicated)
    print(
        f"{figures['requests']} requests in {figures['seconds']} s: "
        f"{figures['requests_per_s']} requests/s, p95 {figures['p95_ms']} ms, "
        f"{figures['errors']} errors"
    )
    print(
        f"accepted tickets: {len(stats.accepted)}, missing {missing}, more than once {duplicated}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
