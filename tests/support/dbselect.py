"""Chooses the test database and Redis before Django loads its settings (loaded with -p).

PostgreSQL: ``DATABASE_URL`` wins when set. Otherwise the PostgreSQL on localhost:5432 is
used when it answers. If nothing answers there, a private, throw-away PostgreSQL is started
from the machine's binaries (``tests/support/services.py``) and stopped when pytest ends.
Only if the binaries are missing too does the suite fall back, loudly, to SQLite, and never
in CI (``CI`` set), where that is a failure rather than a quiet downgrade.

Redis likewise: ``REDIS_URL`` when set (even to nothing, which means no Redis), else Redis on
127.0.0.1:6379 (database 15) when it answers, else a private ``redis-server``, else (loudly,
never in CI) none: an in-process cache, and the Celery harness skips.

See docs/decisions/0003-test-database-selection.md and 0016-private-test-services.md.
"""

import atexit
import contextlib
import os
import signal
import sys
from urllib.parse import urlsplit

import pytest

from tests.support import services

LOCAL_POSTGRES_URL = "postgres://postgres@localhost:5432/helpdesk"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"
BANNER = "!" * 78

# The private servers this session started, stopped by _stop_private_servers().
_started: list[services.PrivateServer] = []
# What pytest's header says about each choice.
_chosen: dict[str, str] = {}


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _loudly(message: str) -> None:
    sys.stderr.write(f"\n{BANNER}\n  {message}\n{BANNER}\n\n")


def _refuse_in_ci(what: str) -> None:
    if os.environ.get("CI"):
        raise SystemExit(
            f"CI is set and {what}: refusing to run without it (`make test` installs what is "
            "missing when it runs as root on Debian)."
        )


def stop_when_the_run_ends(server: services.PrivateServer) -> None:
    """Stop ``server`` with the private servers started here: when pytest ends, on Ctrl-C,
    SIGTERM or SIGHUP, at exit (the IMAP harness's Dovecot too)."""
    if not _started:
        _stop_on_exit()
    _started.append(server)


def _start(server_class: type[services.PrivateServer]) -> services.PrivateServer:
    server = server_class()
    stop_when_the_run_ends(server)
    try:
        server.start()
    except services.ServiceError as exc:
        raise SystemExit(f"Could not start a private {server.name} for the tests: {exc}") from None
    return server


def _choose_database() -> str:
    if os.environ.get("DATABASE_URL"):
        _chosen["database"] = f"DATABASE_URL={_without_password(os.environ['DATABASE_URL'])}"
        return os.environ["DATABASE_URL"]
    if services.answers("localhost", 5432):
        _chosen["database"] = "PostgreSQL on localhost:5432"
        return LOCAL_POSTGRES_URL
    bindir = services.postgres_bindir()
    if bindir is not None:
        server = _start(services.PrivatePostgres)
        _chosen["database"] = (
            f"private PostgreSQL on 127.0.0.1:{server.port} ({bindir}), nothing answered on "
            "localhost:5432; stopped when the run ends"
        )
        return server.url
    _refuse_in_ci(
        "no PostgreSQL answers on localhost:5432, DATABASE_URL is unset and there are no "
        "PostgreSQL binaries to start one"
    )
    _loudly(
        "No PostgreSQL on localhost:5432, no DATABASE_URL and no PostgreSQL binaries\n"
        "  (apt-get install postgresql): running the suite on SQLite.\n"
        "  Tests marked postgres and the Celery harness are skipped."
    )
    _chosen["database"] = "SQLite in memory (fallback: no PostgreSQL)"
    return "sqlite:///:memory:"


def _choose_redis() -> str:
    if "REDIS_URL" in os.environ:
        url = os.environ["REDIS_URL"]
        _chosen["redis"] = (
            f"REDIS_URL={_without_password(url)}" if url else "none (REDIS_URL empty)"
        )
        return os.environ["REDIS_URL"]
    if services.answers("127.0.0.1", 6379):
        _chosen["redis"] = "Redis on 127.0.0.1:6379, database 15"
        return LOCAL_REDIS_URL
    if services.redis_server() is not None:
        server = _start(services.PrivateRedis)
        _chosen["redis"] = (
            f"private Redis on 127.0.0.1:{server.port}, nothing answered on 127.0.0.1:6379; "
            "stopped when the run ends"
        )
        return server.url
    _refuse_in_ci(
        "no Redis answers on 127.0.0.1:6379, REDIS_URL is unset and there is no "
        "redis-server binary to start one"
    )
    _loudly(
        "No Redis on 127.0.0.1:6379, no REDIS_URL and no redis-server binary\n"
        "  (apt-get install redis-server): an in-process cache; the Celery harness skips."
    )
    _chosen["redis"] = "none (fallback: an in-process cache)"
    return ""


def _stop_private_servers() -> None:
    while _started:
        _started.pop().stop()


def _stop_on_exit() -> None:
    """Stop the private servers however the run ends, short of SIGKILL (see reap_stale)."""
    atexit.register(_stop_private_servers)

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Ctrl-C is a KeyboardInterrupt, after which pytest tears down every fixture (the Celery
    # harness's workers among them) and calls pytest_unconfigure. SIGTERM and SIGHUP would
    # kill the process on the spot, leaving all that running: make them end the run the same way.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError):  # not the main thread
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, interrupt)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"{what}: {how}" for what, how in _chosen.items()]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and os.environ["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("needs PostgreSQL (the suite is on the SQLite fallback)")


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_private_servers()


services.reap_stale()  # servers left by a run that was killed outright
os.environ["DATABASE_URL"] = _choose_database()
os.environ["REDIS_URL"] = _choose_redis()
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# Webhook receivers in the tests listen on loopback, which production refuses by default;
# the workers the harness starts inherit this too. tests/webhooks/test_ssrf.py empties it.
os.environ.setdefault("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
