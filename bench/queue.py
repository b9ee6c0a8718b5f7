"""Benchmark the agent workspace on PostgreSQL: queue, filters, deep pages, search, ticket page.

Seeds N tickets (default 1,000,000) with 1 to 5 thread entries each into a scratch database
with COPY, over eight departments and every status (see bench.seeding.seed_queue_tickets),
then measures server time in-process with Django's test client (URL routing, middleware,
session, selectors, templates; no network) as an agent of two of the eight departments:

- queue: the default view (Open, by next deadline), page 1, with the count cache empty
  before every request, so every run pays for its counts (the worst case);
- filtered: Open filtered by priority and help topic, sorted by priority;
- deep page: Open at about page 1,000 and Resolved and closed at about page 4,000, reached
  by cursor as the "Next" links do;
- tag_common, tag_rare: All tickets filtered by a tag on one ticket in ten, and on one in
  a thousand (seed_tags adds them to a database seeded without);
- search: a mix of a rare word, two words, a partial word, a word in half of all tickets,
  a requester's email and a ticket number;
- ticket page: random tickets of the agent's departments;
- search_cold: the same searches, each from a cold cache (make_cold: PostgreSQL's
  buffers and the kernel's page cache emptied of this database before every request);
- autosave: a draft of the reply box saved as the agent types (htmx POST), on random
  tickets, with the number of writes one save makes.

    python bench/queue.py --tickets 1000000
    python bench/queue.py --tickets 100000 --runs 50 --database-url postgres://postgres@localhost/helpdesk_bench_queue

Prints p50/p95 per measurement; the last line is JSON with the figures.
"""

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this module's name
# would shadow the standard library's `queue` (which concurrent.futures needs).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed requests per measurement")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench_queue"
        ),
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database seeded by a previous run"
    )
    parser.add_argument(
        "--cold-runs",
        type=int,
        default=20,
        help="searches each run from a cold cache (see make_cold); 0 for none",
    )
    args = parser.parse_args()
    if args.tickets < 1000 or args.runs < 5:
        parser.error("--tickets must be at least 1000 and --runs at least 5")

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "0"  # cached templates, no query log: as in production
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    # The bench signs its agent in with force_login: no code step to pass (with DEBUG off,
    # staff two-factor is required and every desk page would answer 302).
    os.environ["REQUIRE_STAFF_2FA"] = "0"
    os.environ.pop("REDIS_URL", None)  # an in-process cache; Redis is left to the others
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic
    if not args.reuse:
        from bench.sla_sweep import recreate_database

        recreate_database(args.database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Production serves hashed static files that collectstatic writes; the bench renders
    # the same templates with plain static URLs instead of running collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    call_command("migrate", verbosity=0)
    if not args.reuse:
        seed(args.tickets)
    measure(args)


USER_COLUMNS = "password is_superuser email display_name time_zone is_staff is_active date_joined"
USER_COLUMNS = USER_COLUMNS.split()


def seed(count: int) -> None:
    from django.db import connection

    from accounts.models import Agent, Department, DepartmentMembership, User
    from bench.seeding import _copy, build_search_documents, seed_queue_tickets
    from sla.models import SLAPlan
    from tickets.models import HelpTopic

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    started = time.perf_counter()
    plan = SLAPlan.objects.create(name="Bench", first_response_minutes=60, resolution_minutes=480)
    names = ["IT", "Sales", "Accounting", "HR", "Facilities", "Legal", "Marketing", "Warehouse"]
    departments = {}
    topics = {}
    for name in names:
        department = Department.objects.create(name=name)
        agents = []
        for i in range(5):
            user = User.objects.create_user(
                f"{name.lower()}.agent{i}@bench.example", display_name=f"{name} Agent {i}"
            )
            agent = Agent.objects.create(user=user)
            DepartmentMembership.objects.create(agent=agent, department=department)
            agents.append(agent.pk)
        departments[department.pk] = agents
        topics[department.pk] = [
            HelpTopic.objects.create(name=f"{name} topic {i}", department=department).pk
            for i in range(3)
        ]
    bench_user = User.objects.create_user("bench.agent@bench.example", display_name="Bench Agent")
    bench_agent = Agent.objects.create(user=bench_user)
    for name in ("IT", "Sales"):
        DepartmentMembership.objects.create(
            agent=bench_agent, department=Department.objects.get(name=name)
        )
    _copy(
        User._meta.db_table,
        USER_COLUMNS,
        (
            ("!", "f", f"requester{i}@bench.example", f"Requester {i}", "UTC", "f", "t", now)
            for i in range(5000)
        ),
    )
    requesters = list(
        User.objects.filter(email__startswith="requester").values_list("id", flat=True)
    )
    seeded = seed_queue_tickets(
        count=count,
        now=now,
        departments=departments,
        requester_ids=requesters,
        topic_ids=topics,
        plan_id=plan.pk,
    )
    print(
        f"seeded {count:,} tickets, {seeded.entries:,} thread entries "
        f"in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    build_search_documents()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"search documents, vacuum and analyze in {time.perf_counter() - started:.1f} s")


def measure(args) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from bench.seeding import WORDS
    from tickets import access
    from tickets.models import Ticket

    rng = random.Random(5)
    user = User.objects.get(email="bench.agent@bench.example")
    client = Client()
    client.force_login(user)
    tickets = Ticket.objects.count()
    visible = sorted(access.agent_department_ids(user))

    def cursor_at(view_statuses, offset, order_sql) -> str:
        """The cursor the Next link of the page ending at `offset` would carry."""
        import base64

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {order_sql} FROM tickets_ticket t WHERE t.department_id = ANY(%s) "
                f"AND t.status = ANY(%s) ORDER BY 1, 2 OFFSET %s LIMIT 1",
                [visible, list(view_statuses), offset],
            )
            row = cursor.fetchone()
        values = [v.isoformat() if hasattr(v, "isoformat") else v for v in row]
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    common_tag, rare_tag = seed_tags()
    open_count = Ticket.objects.filter(department_id__in=visible, status="open").count()
    done_count = Ticket.objects.filter(
        department_id__in=visible, status__in=["resolved", "closed"]
    ).count()
    deep_open = cursor_at(
        ["open"],
        min(25_000, open_count - 30),
        "COALESCE(t.next_due_at, '9999-12-31T00:00:00+00:00'::timestamptz), t.id",
    )
    # Last update, newest first: the second key is negated only in the ORDER BY.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.updated_at, t.id FROM tickets_ticket t WHERE t.department_id = ANY(%s) "
            "AND t.status IN ('resolved', 'closed') ORDER BY 1 DESC, 2 DESC OFFSET %s LIMIT 1",
            [visible, min(100_000, done_count - 30)],
        )
        row = cursor.fetchone()
    import base64

    deep_done = (
        base64.urlsafe_b64encode(json.dumps([row[0].isoformat(), row[1]]).encode())
        .decode()
        .rstrip("=")
    )

    some = list(
        Ticket.objects.filter(department_id__in=visible)
        .order_by("?")
        .values_list("number", "requester__email")[:200]
    )
    with connection.cursor() as cursor:
        # A rarer word that some ticket of these departments uses, as a person would search.
        cursor.execute(
            "SELECT subject FROM tickets_ticket WHERE department_id = ANY(%s) LIMIT 50",
            [visible],
        )
        subjects = [r[0] for r in cursor.fetchall()]
    rare = [w for s in subjects for w in s.lower().split() if w not in WORDS][:20] or ["vex"]
    topic = (
        Ticket.objects.filter(department_id=visible[0]).values_list("help_topic_id", flat=True)[:1]
    )[0]

    def timed(request) -> list[float]:
        """Milliseconds of `request()` over the runs, after three warm-up runs."""
        timings = []
        for i in range(args.runs + 3):
            started = time.perf_counter()
            request()
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 3:
                timings.append(elapsed)
        return timings

    def report(name: str, timings: list[float]) -> None:
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20, method="inclusive")[18]
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms")
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)

    def searches():
        number, email = rng.choice(some)
        return rng.choice(
            [
                f"/agent/search/?q={rng.choice(rare)}",
                f"/agent/search/?q={rng.choice(rare)}+{rng.choice(WORDS)}",
                f"/agent/search/?q={rng.choice(rare)[:4]}",
                f"/agent/search/?q={rng.choice(WORDS)}",
                f"/agent/search/?q={email}",
                f"/agent/search/?q=%23{number}",
            ]
        )

    measurements = {
        "queue": (lambda: "/agent/", True),
        "filtered": (lambda: f"/agent/?priority=4&help_topic={topic}&sort=priority", True),
        "deep_page": (
            lambda: rng.choice(
                [f"/agent/?after={deep_open}", f"/agent/?view=done&after={deep_done}"]
            ),
            True,
        ),
        "tag_common": (lambda: f"/agent/?view=all&tag={common_tag}", True),
        "tag_rare": (lambda: f"/agent/?view=all&tag={rare_tag}", True),
        "search": (searches, False),
        "ticket_page": (lambda: f"/agent/tickets/{rng.choice(some)[0]}/", False),
    }
    print(
        f"tickets: {tickets:,}; agent's departments {len(visible)} of 8; open there: "
        f"{open_count:,}; resolved or closed there: {done_count:,}; runs: {args.runs}"
    )
    figures = {"tickets": tickets}
    for name, (url_of, cold_counts) in measurements.items():

        def get(url_of=url_of, cold_counts=cold_counts):
            url = url_of()
            if cold_counts:
                cache.clear()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        report(name, timed(get))

    if args.cold_runs:
        how = make_cold()
        print(f"cold cache: {how}")
        cold = []
        for _ in range(args.cold_runs):
            url = searches()
            make_cold()
            started = time.perf_counter()
            response = client.get(url)
            cold.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        report("search_cold", cold)

    def autosave():
        number = rng.choice(some)[0]
        response = client.post(
            f"/agent/tickets/{number}/draft/reply/",
            {"reply-body": f"Hi, we are looking into it ({rng.random():.6f})"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200 and b"Draft saved" in response.content

    report("autosave", timed(autosave))
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        autosave()
    dml = ("INSERT", "UPDATE", "DELETE")
    writes = [q for q in queries if q["sql"].lstrip().upper().startswith(dml)]
    print(f"autosave: {len(queries)} statements, {len(writes)} write(s) per save")
    figures["autosave_writes"] = len(writes)
    print(json.dumps(figures))


def seed_tags() -> tuple[int, int]:
    """Two tags, once per database: "bench-common" on one ticket in ten, "bench-rare" on
    one in a thousand (the queue's tag filter at both ends). Returns their ids."""
    from django.db import connection

    from tickets.models import Tag

    tags = []
    for name, every in (("bench-common", 10), ("bench-rare", 1000)):
        tag, created = Tag.objects.get_or_create(name=name)
        if created:
            with connection.cursor() as cursor:
                # Drawn at random: the seeding deals departments out by id, so a rule on
                # ids (id % 10 = 0) would leave some departments without the tag.
                cursor.execute("SELECT setseed(0.25)")
                cursor.execute(
                    "INSERT INTO tickets_tickettag (ticket_id, tag_id, created_at)"
                    " SELECT id, %s, now() FROM tickets_ticket WHERE random() < 1.0 / %s",
                    [tag.pk, every],
                )
                cursor.execute("ANALYZE tickets_tickettag")
        tags.append(tag.pk)
    return tags[0], tags[1]


FILLER = "bench_cold_filler"


def make_cold() -> str:
    """Empty PostgreSQL's shared buffers of this database's pages, and the kernel's page
    cache of its files, without restarting the server: load a scratch table larger than
    shared_buffers into the buffers (pg_prewarm's 'buffer' mode replaces pages as reads
    do; a plain scan would use a small ring and evict nothing), CHECKPOINT so no page is
    dirty, then posix_fadvise(DONTNEED) every file of the database (needs read access to
    the data directory, as root or postgres). Returns how it was done."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers'"
        )
        buffers = cursor.fetchone()[0]
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [FILLER])
        if not cursor.fetchone()[0]:
            # About 1.5x shared_buffers of 1 kB rows.
            rows = int(buffers * 1.5 // 1100)
            cursor.execute(
                f"CREATE TABLE {FILLER} AS SELECT g AS id, repeat('x', 1000) AS pad"
                " FROM generate_series(1, %s) g",
                [rows],
            )
        cursor.execute(f"SELECT pg_prewarm('{FILLER}', 'buffer')")
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
        data_directory = cursor.fetchone()[0]
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        folder = Path(data_directory) / "base" / str(cursor.fetchone()[0])
    evicted = 0
    try:
        for path in folder.iterdir():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                evicted += 1
            finally:
                os.close(fd)
    except PermissionError:
        return (
            f"shared buffers filled with {FILLER} (pg_prewarm); the page cache NOT dropped "
            f"(no read access to {folder}): run as root for a cold run"
        )
    return (
        f"shared buffers filled with {FILLER} (pg_prewarm), CHECKPOINT, then "
        f"posix_fadvise(DONTNEED) on the {evicted} files of {folder}, before every search"
    )


if __name__ == "__main__":
    main()
