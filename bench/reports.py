"""Benchmark the reports on PostgreSQL: the dashboard, one hour's rollup refresh, the CSV
export of every ticket.

Seeds N tickets (default 1,000,000) as bench/queue.py does (COPY: eight departments, every
status, 1 to 5 thread entries, a year of history), plus their history
(bench.seeding.seed_report_history: status events, first-response and resolution clocks
met or breached), fills the hourly rollups of the last `--fill-days` days with
`rollups_rebuild` (as `manage.py rebuild_report_rollups` does), then measures in-process:

- dashboard: GET /agent/reports/?period=last_90 through Django's test client (routing,
  middleware, the figures, the template) as an agent of two of the eight departments,
  cycling through filters (none, a department, a priority, both, unassigned, a help
  topic); the figures come from rollups for the filled hours and live for the current
  hour. Also the same page with every figure live (REPORT_ROLLUPS off), a few runs, to
  compare;
- rollup_hour: `rollup_fill_hour` of busy recent hours (one hour of activity: about N/8760
  tickets created and as many resolved), the statement beat runs per changed hour;
- csv: every ticket as a CSV row through the desk's export generator
  (reports.exports.ticket_rows_csv, a server-side cursor), in a child process so that its
  peak RSS is its own, with the RSS sampled as the rows go by.

    python bench/reports.py --tickets 1000000
    python bench/reports.py --tickets 50000 --runs 20 --reuse

Prints its figures; the last line is JSON with them.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402  # nosec B404
import time  # noqa: E402
import warnings  # noqa: E402


def setup(args) -> None:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["REQUIRE_STAFF_2FA"] = "0"  # the bench agent has no second factor
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed dashboards")
    parser.add_argument("--live-runs", type=int, default=3, help="timed all-live dashboards")
    parser.add_argument("--fill-days", type=int, default=92, help="days of rollups to fill")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench_reports"
        ),
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database seeded by a previous run"
    )
    parser.add_argument("--csv-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tickets < 1000 or args.runs < 5:
        parser.error("--tickets must be at least 1000 and --runs at least 5")
    if args.csv_only:
        setup(args)
        print(json.dumps(measure_csv()))
        return
    if not args.reuse:
        from bench.sla_sweep import recreate_database

        recreate_database(args.database_url)
    setup(args)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.reuse:
        seed(args.tickets)
        fill(args.fill_days)
    figures = measure(args)
    figures.update(csv_in_child(args))
    print(
        f"csv: {figures['csv_rows']:,} rows in {figures['csv_s']:.1f} s, "
        f"{figures['csv_rows_per_s']:,.0f} rows/s; RSS while writing (MB): "
        f"{figures['csv_rss_samples_mb']}; peak {figures['csv_peak_rss_mb']:.1f} MB"
    )
    print(json.dumps(figures))


def seed(count: int) -> None:
    from django.db import connection

    from bench.queue import seed as seed_queue
    from bench.seeding import seed_report_history

    seed_queue(count)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    counts = seed_report_history(now=now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"history: {', '.join(f'{v:,} {k}' for k, v in counts.items())} "
        f"in {time.perf_counter() - started:.1f} s"
    )


def fill(days: int) -> None:
    from django.db import connection

    from reports.rollups.fill import hour_floor, rollups_rebuild

    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    hours = list(rollups_rebuild(start=hour_floor(now) - dt.timedelta(days=days), end=now))
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM reports_reporthour")
        rows = cursor.fetchone()[0]
    print(
        f"rollups: {len(hours):,} hours filled in {elapsed:.1f} s "
        f"({elapsed / max(len(hours), 1) * 1000:.1f} ms an hour), {rows:,} rows"
    )


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20, method="inclusive")[18]


def measure(args) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from reports.models import ReportHour
    from reports.rollups.fill import hour_floor, rollup_fill_hour
    from tickets import access
    from tickets.models import Ticket

    user = User.objects.get(email="bench.agent@bench.example")
    client = Client()
    client.force_login(user)
    departments = sorted(access.report_department_ids(user))
    topic = Ticket.objects.filter(department_id=departments[0]).values_list(
        "help_topic_id", flat=True
    )[:1][0]
    queries = [
        "",
        f"&department={departments[0]}",
        "&priority=3",
        f"&department={departments[1]}&priority=4",
        "&agent=none",
        f"&department={departments[0]}&help_topic={topic}",
    ]
    tickets = Ticket.objects.count()
    print(
        f"tickets: {tickets:,}; rollup rows: {ReportHour.objects.count():,}; "
        f"agent's departments: {len(departments)} of 8"
    )

    def dashboard(i: int) -> float:
        url = f"/agent/reports/?period=last_90{queries[i % len(queries)]}"
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    for i in range(3):  # warm-up
        dashboard(i)
    timings = [dashboard(i) for i in range(args.runs)]
    figures = {"tickets": tickets}
    figures["dashboard_p50_ms"] = round(statistics.median(timings), 1)
    figures["dashboard_p95_ms"] = round(_p95(timings), 1)
    print(
        f"dashboard, last 90 days, from rollups ({args.runs} runs over {len(queries)} "
        f"filters): p50 {figures['dashboard_p50_ms']} ms, p95 {figures['dashboard_p95_ms']} ms, "
        f"max {max(timings):.1f} ms"
    )
    per_filter = {}
    for i, timing in enumerate(timings):
        per_filter.setdefault(queries[i % len(queries)] or "(none)", []).append(timing)
    for name, values in per_filter.items():
        print(f"  {name}: median {statistics.median(values):.1f} ms")

    settings.REPORT_ROLLUPS = False
    live = [dashboard(i) for i in range(args.live_runs)]
    settings.REPORT_ROLLUPS = True
    figures["dashboard_live_median_ms"] = round(statistics.median(live), 1)
    median = figures["dashboard_live_median_ms"]
    print(f"dashboard, every figure live ({args.live_runs} runs): median {median} ms")

    # One hour of activity: the busiest of the last two days' finished hours.
    now = dt.datetime.now(dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS h,"
            " count(*) FROM tickets_ticketevent WHERE created_at >= %s AND created_at < %s"
            " GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
            [hour_floor(now) - dt.timedelta(days=2), hour_floor(now)],
        )
        busy = cursor.fetchall()
    fills = []
    for hour, _events in busy:
        started = time.perf_counter()
        rollup_fill_hour(hour=hour)
        fills.append(time.perf_counter() - started)
    figures["rollup_hour_s"] = round(max(fills), 3)
    figures["rollup_hour_median_s"] = round(statistics.median(fills), 3)
    print(
        f"rollup refresh of one hour ({', '.join(str(e) for _, e in busy)} status events): "
        f"median {statistics.median(fills) * 1000:.0f} ms, max {max(fills) * 1000:.0f} ms"
    )
    return figures


def csv_chunks():
    """Every ticket as the desk's export writes it (reports.exports.ticket_rows_csv: the
    queue's "All tickets" for a superuser, who sees every department), in encoded chunks
    read through a server-side cursor."""
    import zoneinfo

    from django.utils import timezone

    from accounts.models import User
    from reports.exports import ticket_rows_csv
    from tickets.selectors import ALL_TICKETS, QueueFilters

    admin = User.objects.filter(email="bench.admin@bench.example").first()
    if admin is None:
        admin = User.objects.create_superuser(
            "bench.admin@bench.example", display_name="Bench Admin"
        )
    yield from ticket_rows_csv(
        user=admin,
        view=ALL_TICKETS,
        filters=QueueFilters(),
        zone=zoneinfo.ZoneInfo("Europe/Paris"),
        now=timezone.now(),
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_csv() -> dict:
    """The export's rows a second, and its RSS read after every chunk: a quarter-way sample
    for the printout and the highest reading (ru_maxrss would report the forking parent's
    size, which the child inherits on Linux)."""
    from tickets.models import Ticket

    total = Ticket.objects.count()
    samples, written, rows = [round(_rss_mb(), 1)], 0, 0
    peak = samples[0]
    every = max(total // 4, 1)
    started = time.perf_counter()
    for chunk in csv_chunks():
        written += len(chunk)
        before = rows
        rows += chunk.count(b"\n")
        rss = _rss_mb()
        peak = max(peak, rss)
        if rows // every > before // every:
            samples.append(round(rss, 1))
    elapsed = time.perf_counter() - started
    rows -= 1  # the header
    return {
        "csv_rows": rows,
        "csv_s": round(elapsed, 2),
        "csv_rows_per_s": round(rows / elapsed),
        "csv_mb": round(written / 2**20, 1),
        "csv_rss_samples_mb": samples,
        "csv_peak_rss_mb": round(peak, 1),
    }


def csv_in_child(args) -> dict:
    """The CSV export in a fresh process: its peak RSS is the export's, not the seeding's."""
    command = [sys.executable, __file__, "--csv-only", "--database-url", args.database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # nosec B603
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
