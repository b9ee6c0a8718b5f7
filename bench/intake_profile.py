"""Where one web-form ticket's server time goes: the intake form's GET and POST, in process.

Prepares a scratch database as bench/intake.py does (DEBUG off, Redis cache, a new
requester per ticket), warms up, then submits `--tickets` tickets through Django's test
client and prints, per ticket: the SQL statements of the POST (each one listed once, with
its share of the statements' time), redis-py client constructions (Django's Redis cache
used to build one per cache call: common/cache.py), the CPU milliseconds of GET and POST
(process time: the client is in process too, so it includes Django's test client, not the
network), and cProfile's top functions by their own time. Last, one JSON line with
`queries_per_post`, `redis_clients_per_ticket`, `cpu_ms_get`, `cpu_ms_post`.

Counts are exact whatever else runs; CPU milliseconds are for a quiet machine.

    .venv/bin/python bench/intake_profile.py [--tickets 200] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ is first on sys.path, and bench/queue.py would hide the standard
# library's queue module: the project root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]
sys.path.insert(0, str(BASE_DIR))
from bench.intake import prepare_database, server_env  # noqa: E402

TOKEN_RE = re.compile(rb'name="intake_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--database-url", default="postgres://postgres@localhost:5432/helpdesk_bench_profile"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = server_env(args, static_root)
    topic_id = prepare_database(args, env)
    os.environ.update(env)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    import redis
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    constructed = {"n": 0}
    original_init = redis.Redis.__init__

    def counting_init(self, *a, **k):
        constructed["n"] += 1
        original_init(self, *a, **k)

    redis.Redis.__init__ = counting_init

    def form_data(content: bytes, n: int) -> dict:
        return {
            "intake_token": TOKEN_RE.search(content).group(1).decode(),
            "name": "Jim Halpert",
            "email": f"profile-{n}-{time.monotonic_ns()}@example.com",
            "help_topic": str(topic_id),
            "subject": f"CRM is down ({n})",
            "body": "The CRM system is down and nobody in Sales can work. Please help!",
            "website": "",
        }

    # One test client, its cookies cleared for each ticket (a new browser): each new
    # Client() would load the middleware again, and WhiteNoise scans the static files then,
    # which a server does once at start.
    client = Client()

    def new_browser():
        client.cookies.clear()
        return client

    for n in range(20):  # warm up: imports, templates, connections
        new_browser().post("/tickets/new/", form_data(client.get("/tickets/new/").content, n))

    new_browser()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/tickets/new/", form_data(client.get("/tickets/new/").content, -1))
    assert response.status_code == 302, response.status_code
    statements = [q["sql"] for q in queries.captured_queries]

    constructed["n"] = 0
    profile = cProfile.Profile()
    get_cpu = post_cpu = 0.0
    for n in range(args.tickets):
        new_browser()
        started = time.process_time()
        content = client.get("/tickets/new/").content
        get_cpu += time.process_time() - started
        data = form_data(content, n)
        started = time.process_time()
        profile.enable()
        response = client.post("/tickets/new/", data)
        profile.disable()
        post_cpu += time.process_time() - started
        assert response.status_code == 302, response.status_code

    print(f"POST: {len(statements)} SQL statements")
    for sql in statements:
        print(f"  {sql[:150]}")
    figures = {
        "tickets": args.tickets,
        "queries_per_post": len(statements),
        "redis_clients_per_ticket": round(constructed["n"] / args.tickets, 2),
        # The profiled POSTs run slower than plain ones: cProfile's own cost is in them.
        "cpu_ms_get": round(get_cpu * 1000 / args.tickets, 2),
        "cpu_ms_post_profiled": round(post_cpu * 1000 / args.tickets, 2),
    }
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    print(f"redis-py clients built per ticket: {figures['redis_clients_per_ticket']}")
    print(
        f"CPU per GET {figures['cpu_ms_get']} ms, per POST (profiled) "
        f"{figures['cpu_ms_post_profiled']} ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
