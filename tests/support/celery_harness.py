"""A real Celery worker (and, on request, beat) for integration tests.

Loaded as a pytest plugin (``-p tests.support.celery_harness`` in pyproject.toml), it gives tests:

``celery_worker``
    Starts ``celery -A helpdesk worker`` as a separate process with the project's own
    Celery configuration, against Redis (``REDIS_URL``) and connected to *this test run's*
    database: the fixture reads ``settings.DATABASES["default"]["NAME"]`` once pytest-django
    has created the test database and hands the worker a ``DATABASE_URL`` naming it. It
    waits, with a bounded timeout, until the worker answers a ``ping`` on the control
    channel, and stops it when the test ends. One worker per test: the autouse cache
    fixture flushes the Redis database (which is also the broker) around every test, and a
    fresh worker never depends on broker state from an earlier test.

``celery_beat``
    A factory: ``celery_beat({"name": {"task": "helpdesk.ping", "schedule": 1.0,
    "args": [...]}})`` starts ``celery beat`` with that schedule *instead of* the project's
    own (see ``tests/support/celery_beat_app.py``), a private schedule file and a one-second tick.

``wait_for(predicate, timeout=..., message=...)``
    Polls until ``predicate()`` returns something truthy and returns it; raises after the
    timeout. Tests wait on an effect with it, never with a bare ``sleep``.

Why sending needs care: the suite runs with ``CELERY_TASK_ALWAYS_EAGER=1`` (set in
``tests/support/dbselect.py``), so that ``task.delay()`` in ordinary tests runs inline and needs no
worker. While ``celery_worker`` is active it switches the *test process's* app to
``task_always_eager = False``, so ``delay()`` / ``apply_async()`` (including those that
services queue with ``transaction.on_commit``) really publish to Redis, and it restores eager
mode afterwards. The worker itself is started with ``CELERY_TASK_ALWAYS_EAGER=0``.

Rules for tests that use it:

* mark them ``@pytest.mark.celery`` and ``@pytest.mark.django_db(transaction=True)``: the
  worker is another process, so it sees only committed rows, and pytest-django's default
  per-test transaction would hide the test's data from it. The fixture refuses to run
  otherwise.
* they need PostgreSQL (the SQLite fallback's in-memory database cannot be shared with
  another process) and Redis: without them the tests are skipped, loudly, except in CI
  (``CI`` set), where that is a failure.
* each concurrent test run on a shared Redis needs its own Redis database
  (``REDIS_URL=redis://.../N``), as the cache fixture already requires. A run on the private
  servers that dbselect starts when none answers has a Redis of its own; the URLs the
  workers get carry the private servers' ports.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest

from tests.support.processes import LoggedProcess, poll

BASE_DIR = Path(__file__).resolve().parents[2]
# Generous, because CI machines have two cores and a cold start imports all of Django.
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1, message: str
) -> T:
    """Poll ``predicate`` until it returns something truthy; return that value."""
    value = poll(predicate, timeout=timeout, interval=interval)
    if not value:
        raise TimeoutError(f"{message} (waited {timeout:.0f}s)")
    return value


def database_url(settings_dict: dict[str, Any]) -> str:
    """A ``DATABASE_URL`` for the PostgreSQL database that ``settings_dict`` describes."""
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError("The Celery harness needs PostgreSQL: another process must share it.")
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


@contextmanager
def sending_to_workers() -> Iterator[None]:
    """Make ``delay()`` / ``apply_async()`` in this process publish to the broker."""
    from helpdesk.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


class CeleryProcess(LoggedProcess):
    """One ``celery`` command in its own process group, logging to a file."""

    def __init__(self, argv: list[str], *, env: dict[str, str], log_path: Path) -> None:
        super().__init__(log_path=log_path)
        self.argv = argv
        self.env = env

    def start(self) -> None:
        # Its own process group, so stop() and kill() reach the pool's children.
        self.spawn(self.argv, cwd=BASE_DIR, env=self.env)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL for the whole group if it hangs."""
        if not self.alive():
            return
        self.terminate(signal.SIGTERM, timeout=timeout)
        self.kill_group()  # pool children that outlived their parent, if any

    def kill(self) -> None:
        """SIGKILL the process and its children at once, like a crashed machine."""
        if self.popen is None:
            return
        self.kill_group()
        self.popen.wait(timeout=STOP_TIMEOUT)


class CeleryWorker(CeleryProcess):
    """``celery -A helpdesk worker``, with a node name unique to this start."""

    def __init__(self, *, env: dict[str, str], log_path: Path, concurrency: int = 1) -> None:
        self.nodename = f"harness-{uuid.uuid4().hex[:8]}@localhost"
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--loglevel=INFO",
            f"--hostname={self.nodename}",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            # Cluster chatter that a single test worker has no use for, and that slows startup.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        super().__init__(argv, env=env, log_path=log_path)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        from helpdesk.celery import app

        def answered() -> bool:
            if not self.alive():
                raise RuntimeError(f"Celery worker exited early:\n{self.log_tail()}")
            replies = app.control.ping(destination=[self.nodename], timeout=0.5)
            return any(self.nodename in reply for reply in replies)

        try:
            wait_for(answered, timeout=timeout, message="Celery worker did not answer ping")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.log_tail()}") from None


class CeleryBeat(CeleryProcess):
    """``celery beat`` running only the schedule it was given."""

    def __init__(self, *, schedule: dict[str, dict[str, Any]], env: dict[str, str], tmp: Path):
        env = {**env, "HELPDESK_TEST_BEAT_SCHEDULE": json.dumps(_seconds(schedule))}
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.support.celery_beat_app",
            "beat",
            "--loglevel=INFO",
            f"--schedule={tmp / 'celerybeat-schedule'}",
            "--max-interval=1",
        ]
        super().__init__(argv, env=env, log_path=tmp / "beat.log")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        def started() -> bool:
            if not self.alive():
                raise RuntimeError(f"Celery beat exited early:\n{self.log_tail()}")
            return "beat: Starting..." in self.log()

        wait_for(started, timeout=timeout, message="Celery beat did not start")


def _seconds(schedule: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Accept timedelta schedules too; JSON carries them as seconds."""
    converted = {}
    for name, entry in schedule.items():
        every = entry["schedule"]
        converted[name] = {
            **entry,
            "schedule": every.total_seconds() if hasattr(every, "total_seconds") else every,
        }
    return converted


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    sys.stderr.write(f"\n!!! Celery harness: {reason}; skipping.\n")
    pytest.skip(reason)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def _celery_child_env(request: pytest.FixtureRequest, django_db_setup: None) -> dict[str, str]:
    """The environment of the harness's processes: this run's test database and Redis."""
    from django.conf import settings

    marker = request.node.get_closest_marker("django_db")
    if request.node.get_closest_marker("celery") is None:
        pytest.fail("Tests that start Celery processes must be marked @pytest.mark.celery.")
    if marker is None or not marker.kwargs.get("transaction"):
        pytest.fail(
            "Tests that start Celery processes need @pytest.mark.django_db(transaction=True):"
            " the worker only sees committed rows."
        )
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        _fail_or_skip("a Celery worker needs PostgreSQL to share the test database")
    if not settings.REDIS_URL or not _redis_answers(settings.REDIS_URL):
        _fail_or_skip(f"no Redis answers at REDIS_URL={settings.REDIS_URL!r}")
    return {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "helpdesk.settings"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def celery_worker(_celery_child_env: dict[str, str], tmp_path: Path) -> Iterator[CeleryWorker]:
    """A running worker on this test's database; ``delay()`` publishes for real meanwhile."""
    worker = CeleryWorker(env=_celery_child_env, log_path=tmp_path / "worker.log")
    worker.start()
    try:
        worker.wait_ready()
        with sending_to_workers():
            yield worker
    finally:
        worker.stop()


@pytest.fixture
def celery_beat(
    _celery_child_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[dict[str, dict[str, Any]]], CeleryBeat]]:
    """A factory that starts beat with the given short schedule; stopped after the test."""
    started: list[CeleryBeat] = []

    def start(schedule: dict[str, dict[str, Any]]) -> CeleryBeat:
        folder = tmp_path / f"beat-{len(started)}"
        folder.mkdir()
        beat = CeleryBeat(schedule=schedule, env=_celery_child_env, tmp=folder)
        started.append(beat)
        beat.start()
        beat.wait_ready()
        return beat

    try:
        yield start
    finally:
        for beat in started:
            beat.stop()
