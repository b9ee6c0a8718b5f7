"""Benchmark the agent queue filtered (and sorted) by a custom choice field.

Seeds N tickets (default 1,000,000) as bench/queue.py does (eight departments, every
status, 1 to 5 entries each), then custom fields as the typed value table holds them
(docs/decisions/0038): an "Office floor" choice field of five floors on every topic, set
on 40% of the tickets (8% per floor) plus a "Basement" floor on one ticket in a thousand,
and an "Asset tag" text field on 40%. Then measures server time in-process with Django's
test client, as an agent of two of the eight departments, with the count cache emptied
before every request (each run pays for its capped count):

- queue_unfiltered: the same page without the filter, for comparison;
- floor_open: Open (the default view, by next deadline) filtered by a common floor;
- floor_rare: the same with the rare floor (a few matches among many: the other plan);
- floor_done: Resolved and closed (80% of tickets, by last update) filtered by a floor;
- floor_deep: the common floor's Open list, five pages down by cursor;
- sort_by_floor: Open sorted by the floor (a subquery per ticket of the view: the cost of
  sorting by a field, shown, not a target);
- ticket_page: random tickets of the Hardware-like topic, with their fields;
- selector_common, selector_rare: the queue's selector alone (page and capped count), the
  part of the page the filter changes.

    python bench/fields.py --tickets 1000000
    python bench/fields.py --tickets 50000 --runs 20 --database-url postgres://postgres@localhost/helpdesk_bench_fields

Target (issue 16): filtering by one field at 1,000,000 tickets under 100 ms p95. Prints
p50/p95 per measurement; the last line is JSON with the figures.
"""

import sys
from pathlib import Path

# As bench/queue.py: this folder off sys.path, the repository on it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

FLOORS = ["Ground", "First", "Second", "Third", "Fourth"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed requests per measurement")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench_fields"
        ),
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database seeded by a previous run"
    )
    args = parser.parse_args()
    if args.tickets < 1000 or args.runs < 5:
        parser.error("--tickets must be at least 1000 and --runs at least 5")

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    # The bench signs its agent in with force_login: no code step to pass.
    os.environ["REQUIRE_STAFF_2FA"] = "0"
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    if not args.reuse:
        from bench.sla_sweep import recreate_database

        recreate_database(args.database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    if not args.reuse:
        from bench.queue import seed

        seed(args.tickets)
        seed_fields()
    measure(args)


def seed_fields() -> None:
    """The fields, and their values in SQL over the seeded tickets (as the services leave
    them: one row per ticket and field, the choice's id for a choice)."""
    from django.db import connection

    from tickets.models import CustomField, FieldChoice, HelpTopic, HelpTopicField

    started = time.perf_counter()
    floor = CustomField.objects.create(name="office_floor", label="Office floor", kind="choice")
    tag = CustomField.objects.create(name="asset_tag", label="Asset tag", kind="text")
    choices = [
        FieldChoice.objects.create(field=floor, label=label, position=i)
        for i, label in enumerate([*FLOORS, "Basement"])
    ]
    for topic in HelpTopic.objects.all():
        HelpTopicField.objects.create(help_topic=topic, field=tag, position=1)
        HelpTopicField.objects.create(help_topic=topic, field=floor, position=2)
    common = [c.pk for c in choices[:5]]
    with connection.cursor() as cursor:
        # 40% of tickets get a floor (hash-spread, so no floor follows a department or
        # status), 0.1% the rare one; 40% an asset tag.
        cursor.execute(
            "INSERT INTO tickets_ticketfieldvalue "
            "(ticket_id, field_id, choice_id, value_text) "
            "SELECT id, %s, CASE WHEN (hashint4(id::int) & 1023) = 7 THEN %s "
            "ELSE (%s::int[])[1 + ((hashint4(id::int) >> 12) & 2147483647) %% 5] END, '' "
            "FROM tickets_ticket WHERE (hashint4(id::int) & 1023) = 7 "
            "OR ((hashint4(id::int) >> 10) & 1023) < 410",
            [floor.pk, choices[5].pk, common],
        )
        cursor.execute(
            "INSERT INTO tickets_ticketfieldvalue (ticket_id, field_id, value_text) "
            "SELECT id, %s, 'DM-' || lpad((id %% 100000)::text, 5, '0') "
            "FROM tickets_ticket WHERE ((hashint4(id::int) >> 20) & 1023) < 410",
            [tag.pk],
        )
        cursor.execute("VACUUM ANALYZE tickets_ticketfieldvalue")
        cursor.execute("SELECT count(*) FROM tickets_ticketfieldvalue")
        rows = cursor.fetchone()[0]
    print(f"custom field values: {rows:,} rows in {time.perf_counter() - started:.1f} s")


def measure(args) -> None:
    from django.core.cache import cache
    from django.test import Client

    from accounts.models import User
    from tickets import access
    from tickets.models import CustomField, FieldChoice, Ticket, TicketFieldValue
    from tickets.selectors import QueueFilters, ticket_list_for_agent

    rng = random.Random(7)
    user = User.objects.get(email="bench.agent@bench.example")
    client = Client()
    client.force_login(user)
    visible = sorted(access.agent_department_ids(user))
    floor = CustomField.objects.get(name="office_floor")
    common = FieldChoice.objects.get(field=floor, label="Second")
    rare = FieldChoice.objects.get(field=floor, label="Basement")
    with_values = list(
        TicketFieldValue.objects.filter(
            field=floor, ticket__department_id__in=visible
        ).values_list("ticket__number", flat=True)[:500]
    )
    matches = {
        name: Ticket.objects.filter(
            department_id__in=visible, status="open", field_values__choice=choice
        ).count()
        for name, choice in (("common", common), ("rare", rare))
    }
    page = None
    for _ in range(5):
        page = ticket_list_for_agent(
            user=user,
            filters=QueueFilters(field_choice=(floor.pk, common.pk)),
            after=page.next_cursor if page else None,
            with_count=False,
        )
    deep = page.next_cursor

    def timed(request) -> list[float]:
        timings = []
        for i in range(args.runs + 3):
            started = time.perf_counter()
            request()
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 3:
                timings.append(elapsed)
        return timings

    figures = {"tickets": Ticket.objects.count()}

    def report(name: str, timings: list[float]) -> None:
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20, method="inclusive")[18]
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms")
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)

    common_q = f"field_choice={floor.pk}:{common.pk}"
    measurements = {
        "queue_unfiltered": lambda: "/agent/",
        "floor_open": lambda: f"/agent/?{common_q}",
        "floor_rare": lambda: f"/agent/?field_choice={floor.pk}:{rare.pk}",
        "floor_done": lambda: f"/agent/?view=done&{common_q}",
        "floor_deep": lambda: f"/agent/?{common_q}&after={deep}",
        "sort_by_floor": lambda: f"/agent/?sort=field:{floor.pk}",
        "ticket_page": lambda: f"/agent/tickets/{rng.choice(with_values)}/",
    }
    print(
        f"tickets: {figures['tickets']:,}; agent's departments {len(visible)} of 8; open with "
        f"the common floor there: {matches['common']:,}, with the rare one: "
        f"{matches['rare']:,}; runs: {args.runs}"
    )
    for name, url_of in measurements.items():

        def get(url_of=url_of):
            url = url_of()
            cache.clear()
            response = client.get(url)
            assert response.status_code == 200, (
                url,
                response.status_code,
                response.get("Location"),
            )

        report(name, timed(get))

    # The filter alone: the selector's page and capped count, without the page around it.
    def selector(choice):
        cache.clear()
        ticket_list_for_agent(user=user, filters=QueueFilters(field_choice=(floor.pk, choice.pk)))

    report("selector_common", timed(lambda: selector(common)))
    report("selector_rare", timed(lambda: selector(rare)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
