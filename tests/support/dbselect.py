"""Chooses the test database before Django loads its settings (loaded with -p).

DATABASE_URL wins when set. Otherwise the local PostgreSQL on localhost:5432 is used when
it answers. If it does not, the suite says so loudly and falls back to SQLite, except in CI
(CI set), where running without PostgreSQL is a failure rather than a quiet downgrade.
"""

import os
import socket
import sys

LOCAL_POSTGRES_URL = "postgres://postgres@localhost:5432/helpdesk"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _choose_database() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if _reachable("localhost", 5432):
        return LOCAL_POSTGRES_URL
    if os.environ.get("CI"):
        raise SystemExit(
            "CI is set but no PostgreSQL answers on localhost:5432 and DATABASE_URL is "
            "unset: refusing to fall back to SQLite."
        )
    banner = "!" * 78
    sys.stderr.write(
        f"\n{banner}\n  No PostgreSQL on localhost:5432 and no DATABASE_URL: running the suite"
        f" on SQLite.\n  Concurrency and PostgreSQL-only tests will be skipped.\n{banner}\n\n"
    )
    return "sqlite:///:memory:"


os.environ["DATABASE_URL"] = _choose_database()
os.environ.setdefault("REDIS_URL", LOCAL_REDIS_URL)
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
