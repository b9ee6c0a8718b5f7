"""The osTicket import's throughput, against our own ticket_create in the same run.

Loads osTicket's schema (tests/data/osticket/schema.sql) into a scratch MariaDB database
(`imp_bench`, dropped and recreated) and generates N tickets there, each with 5 thread
entries (a message, a reply, a note, a message, a reply; HTML bodies) and a `created`
event, 200 users and 5 staff. Then, on a scratch PostgreSQL database (its name must contain
"bench"), it runs `import_osticket` (timed from the first read to the summary), and then
calls tickets.services.ticket_create for `--service-tickets` tickets (one transaction
each, as the web form does). It prints:

    tickets_per_s   imported tickets per second (each with its 5 entries, clocks, events,
                    search document and id-map rows)
    entries_per_s   imported thread entries per second
    service_per_s   tickets per second through ticket_create (a first message each)
    ratio           tickets_per_s / service_per_s (issue 18 asks for at least 3)

and last one JSON line with tickets, entries, tickets_per_s, service_per_s, ratio.

    DATABASE_URL=postgres://postgres@localhost:5432/helpdesk_bench_import \\
        .venv/bin/python bench/import_osticket.py [--tickets 100000] [--batch 500] \\
        [--mariadb-url mysql://root@127.0.0.1:3306/]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

MARIADB_DB = "imp_bench"
ENTRY_TYPES = ("M", "R", "N", "M", "R")


def mariadb(url: str, database: str = ""):
    from urllib.parse import urlsplit

    import pymysql
    import pymysql.constants.CLIENT

    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=database,
        charset="utf8mb4",
        autocommit=True,
        client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
    )


def generate(url: str, tickets: int) -> int:
    """osTicket's tables with `tickets` tickets of 5 entries each; returns the entries."""
    admin = mariadb(url)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{MARIADB_DB}`")
        cursor.execute(f"CREATE DATABASE `{MARIADB_DB}` CHARACTER SET utf8mb3")
    admin.close()
    connection = mariadb(url, MARIADB_DB)
    cursor = connection.cursor()
    cursor.execute((ROOT / "tests/data/osticket/schema.sql").read_text())
    while cursor.nextset():
        pass
    now = "2024-03-04 10:00:00"
    cursor.execute(
        "INSERT INTO ost_ticket_status (id, name, state, properties, created, updated) VALUES "
        f"(1,'Open','open','{{}}','{now}','{now}'),(3,'Closed','closed','{{}}','{now}','{now}')"
    )
    cursor.execute(
        "INSERT INTO ost_ticket_priority VALUES "
        "(1,'low','Low','',4,1),(2,'normal','Normal','',3,1)"
    )
    cursor.execute("INSERT INTO ost_event (id, name) VALUES (1, 'created')")
    cursor.execute(
        "INSERT INTO ost_sla (id, flags, grace_period, name, created, updated) "
        f"VALUES (1, 3, 24, 'Default SLA', '{now}', '{now}')"
    )
    cursor.execute(
        "INSERT INTO ost_department (id, sla_id, flags, name, signature, created, updated) "
        f"VALUES (1, 1, 4, 'Support', '', '{now}', '{now}')"
    )
    cursor.executemany(
        "INSERT INTO ost_staff (staff_id, dept_id, username, firstname, lastname, email, "
        "signature, isadmin, created, updated) VALUES (%s, 1, %s, 'Agent', %s, %s, '', %s, "
        "%s, %s)",
        [
            (i, f"agent{i}", str(i), f"agent{i}@bench.example", int(i == 1), now, now)
            for i in range(1, 6)
        ],
    )
    cursor.executemany(
        "INSERT INTO ost_user (id, org_id, default_email_id, name, created, updated) "
        "VALUES (%s, 0, %s, %s, %s, %s)",
        [(i, i, f"Requester {i}", now, now) for i in range(1, 201)],
    )
    cursor.executemany(
        "INSERT INTO ost_user_email (id, user_id, address) VALUES (%s, %s, %s)",
        [(i, i, f"requester{i}@bench.example") for i in range(1, 201)],
    )
    # Only placeholders inside VALUES (...): PyMySQL's executemany then sends multi-row
    # INSERTs (up to 1 MB each); a literal there makes it send one statement per row.
    entry_id = 0
    for start in range(1, tickets + 1, 2000):
        ids = range(start, min(start + 2000, tickets + 1))
        cursor.executemany(
            "INSERT INTO ost_ticket (ticket_id, number, user_id, status_id, dept_id, sla_id, "
            "staff_id, source, closed, created, updated) VALUES (%s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s)",
            [
                (
                    t,
                    str(100000 + t),
                    t % 200 + 1,
                    3 if t % 2 else 1,
                    1,
                    1,
                    t % 5 + 1,
                    "Web",
                    "2024-03-06 10:00:00" if t % 2 else None,
                    now,
                    now,
                )
                for t in ids
            ],
        )
        cursor.executemany(
            "INSERT INTO ost_ticket__cdata VALUES (%s, %s, %s)",
            [(t, f"Ticket {t}: printer on floor {t % 7}", "2") for t in ids],
        )
        cursor.executemany(
            "INSERT INTO ost_thread (id, object_id, object_type, created) VALUES (%s, %s, %s, %s)",
            [(t, t, "T", now) for t in ids],
        )
        rows = []
        for t in ids:
            for n, kind in enumerate(ENTRY_TYPES):
                entry_id += 1
                rows.append(
                    (
                        entry_id,
                        t,
                        (t % 5 + 1) if kind != "M" else 0,
                        (t % 200 + 1) if kind == "M" else 0,
                        kind,
                        f"<p>Entry {n} of ticket {t}: the <b>toner</b> is out again.</p>",
                        "html",
                        f"2024-03-04 1{n}:00:00",
                        now,
                    )
                )
        cursor.executemany(
            "INSERT INTO ost_thread_entry (id, thread_id, staff_id, user_id, type, body, format, "
            "created, updated) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        cursor.executemany(
            "INSERT INTO ost_thread_event (thread_id, thread_type, event_id, staff_id, team_id, "
            "dept_id, topic_id, timestamp) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(t, "T", 1, 0, 0, 1, 0, now) for t in ids],
        )
    connection.close()
    return entry_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--service-tickets", type=int, default=300)
    parser.add_argument(
        "--mariadb-url", default=os.environ.get("MARIADB_URL", "mysql://root@127.0.0.1:3306/")
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench_import"
        ),
    )
    args = parser.parse_args()

    started = time.perf_counter()
    entries = generate(args.mariadb_url, args.tickets)
    print(
        f"generated {args.tickets} tickets, {entries} entries in MariaDB "
        f"in {time.perf_counter() - started:.1f} s"
    )

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from bench.sla_sweep import recreate_database

    recreate_database(args.database_url)
    import tempfile

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-import-")
    call_command("migrate", verbosity=0)

    from urllib.parse import urlsplit

    parts = urlsplit(args.mariadb_url)
    source_url = f"{parts.scheme}://{parts.netloc}/{MARIADB_DB}"
    out = io.StringIO()
    started = time.perf_counter()
    call_command(
        "import_osticket", "--database-url", source_url, "--batch", str(args.batch), stdout=out
    )
    seconds = time.perf_counter() - started
    print(out.getvalue().split("Summary:", 1)[-1].rstrip())

    from accounts.models import Department, User
    from tickets.models import ThreadEntry, Ticket
    from tickets.services import ticket_create

    imported = Ticket.objects.count()
    imported_entries = ThreadEntry.objects.count()
    department = Department.objects.get(name="Support")
    requester = User.objects.filter(agent__isnull=True).first()
    started = time.perf_counter()
    for n in range(args.service_tickets):
        ticket_create(
            requester=requester,
            subject=f"Service {n}",
            body="The toner is out.",
            by=requester,
            department=department,
        )
    service_seconds = time.perf_counter() - started

    figures = {
        "tickets": imported,
        "entries": imported_entries,
        "seconds": round(seconds, 2),
        "tickets_per_s": round(imported / seconds, 1),
        "entries_per_s": round(imported_entries / seconds, 1),
        "service_per_s": round(args.service_tickets / service_seconds, 1),
    }
    figures["ratio"] = round(figures["tickets_per_s"] / figures["service_per_s"], 2)
    for name in ("tickets_per_s", "entries_per_s", "service_per_s", "ratio"):
        print(f"{name:<14} {figures[name]}")
    admin = mariadb(args.mariadb_url)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{MARIADB_DB}`")
    admin.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
