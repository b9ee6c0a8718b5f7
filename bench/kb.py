"""Benchmark the help centre on PostgreSQL: article search and the new-ticket suggestions.

Seeds N published articles (default 100,000) into a scratch database with bulk inserts,
their titles and bodies drawn from a vocabulary of everyday IT words plus rare made-up
ones, over ten categories and twelve help topics, then builds every search document in one
statement. Measures server time in-process with Django's test client (routing, middleware,
session, selectors, templates; no network) as a guest:

- search: the help centre's search page (GET /help/search/?q=...) for a mix of a rare
  word, two common words, a partial word and a word in most articles;
- suggest: the new-ticket form's suggestions (GET /help/suggest/) for a subject typed so
  far and a help topic, as htmx sends them while the requester types.

    python bench/kb.py --articles 100000
    python bench/kb.py --articles 200   # a smoke run

Targets (issue 15): search p95 < 100 ms, suggest p95 < 50 ms at 100,000 articles. Prints
p50/p95 per measurement; the last line is JSON with the keys articles, search_p95_ms and
suggest_p95_ms.
"""

import sys
from pathlib import Path

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

COMMON = (
    "monitor screen flicker printer paper jam computer start boot password reset account "
    "email outlook crm login network wifi vpn laptop battery keyboard mouse cable update "
    "windows install software license phone headset meeting calendar drive backup file"
).split()
FILLER = (
    "the a check your then try again if it still does not work open settings choose "
    "restart press hold button wait minute contact desk when error message appears"
).split()
SEARCHES = ["zorblax", "printer jam", "flick", "monitor", "password reset", "vpn laptop"]
SUBJECTS = ["monitor flickering", "my printer", "cannot login to the crm", "wifi", "boot"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60, help="timed requests per measurement")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/helpdesk_bench_kb"
        ),
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database seeded by a previous run"
    )
    args = parser.parse_args()
    if args.articles < 100 or args.runs < 5:
        parser.error("--articles must be at least 100 and --runs at least 5")

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
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
        seed(args.articles)
    measure(args)


def _text(rng: random.Random, words: int) -> str:
    picked = []
    for _ in range(words):
        roll = rng.random()
        if roll < 0.3:
            picked.append(rng.choice(COMMON))
        elif roll < 0.31:
            picked.append(f"zorb{rng.randrange(100_000)}")
        else:
            picked.append(rng.choice(FILLER))
    return " ".join(picked)


def seed(count: int) -> None:
    from accounts.models import Department
    from kb.models import Article, Category
    from kb.rendering import excerpt_of
    from kb.search_index import article_documents_update_many
    from tickets.models import HelpTopic

    started = time.perf_counter()
    rng = random.Random(15)
    it = Department.objects.create(name="IT")
    categories = [
        Category.objects.create(name=f"Category {i}", slug=f"category-{i}") for i in range(10)
    ]
    topics = [HelpTopic.objects.create(name=f"Topic {i}", department=it) for i in range(12)]
    links = Article.help_topics.through
    batch = 5000
    for start in range(0, count, batch):
        rows = []
        for n in range(start, min(count, start + batch)):
            title = _text(rng, 5).capitalize()
            body = _text(rng, 120)
            if n == 7:
                title, body = "Zorblax monitor", body + " zorblax"
            rows.append(
                Article(
                    title=title,
                    slug=f"article-{n}",
                    category=categories[n % len(categories)],
                    department=it,
                    state="published" if n % 10 else "internal",
                    body=body,
                    body_html=f"<p>{body}</p>",
                    excerpt=excerpt_of(f"<p>{body}</p>"),
                )
            )
        made = Article.objects.bulk_create(rows)
        links.objects.bulk_create(
            links(article_id=a.pk, helptopic_id=topics[a.pk % len(topics)].pk) for a in made
        )
        article_documents_update_many([a.pk for a in made])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kb_article")
        cursor.execute("ANALYZE kb_article_help_topics")
    print(f"seeded {count:,} articles in {time.perf_counter() - started:.1f} s")


def _timed(client, url: str, params: dict) -> float:
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} answered {response.status_code}")
    return elapsed


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def measure(args) -> None:
    from django.test import Client

    from tickets.models import HelpTopic

    client = Client()
    topics = list(HelpTopic.objects.values_list("pk", flat=True))
    client.get("/help/")  # the session, and warm caches
    search, suggest = [], []
    for i in range(args.runs):
        search.append(_timed(client, "/help/search/", {"q": SEARCHES[i % len(SEARCHES)]}))
        subject = SUBJECTS[i % len(SUBJECTS)]
        typed = subject[: max(3, len(subject) - i % 4)]
        suggest.append(
            _timed(client, "/help/suggest/", {"subject": typed, "help_topic": topics[i % 12]})
        )
    figures = {
        "articles": args.articles,
        "search_p50_ms": round(_p(search, 50), 1),
        "search_p95_ms": round(_p(search, 95), 1),
        "suggest_p50_ms": round(_p(suggest, 50), 1),
        "suggest_p95_ms": round(_p(suggest, 95), 1),
    }
    print(f"search:  p50 {figures['search_p50_ms']} ms, p95 {figures['search_p95_ms']} ms")
    print(f"suggest: p50 {figures['suggest_p50_ms']} ms, p95 {figures['suggest_p95_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
