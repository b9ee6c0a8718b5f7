"""A real MariaDB (or MySQL) for the importer's tests: the machine's server.

MARIADB_URL names it (default mysql://root@127.0.0.1:3306/, root with an empty password,
as `.ci/prerequisites` sets it up and starts it). Each test that asks for
``osticket_database`` gets a fresh database `imp_<random>` loaded with osTicket's schema
(tests/data/osticket/schema.sql) and rows (data.sql), dropped afterwards. Without a server
the tests skip, loudly, except in CI (CI set), where that is a failure.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pymysql
import pymysql.constants.CLIENT
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "osticket"
DEFAULT_URL = "mysql://root@127.0.0.1:3306/"


@dataclass
class OsTicketDatabase:
    host: str
    port: int
    user: str
    password: str
    name: str

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}" if self.password else self.user
        return f"mysql://{auth}@{self.host}:{self.port}/{self.name}"

    def connect(self, database: str | None = None):
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database if database is not None else self.name,
            charset="utf8mb4",
            client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
            autocommit=True,
        )

    def execute(self, sql: str, params=None) -> None:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                while cursor.nextset():
                    pass
        finally:
            connection.close()

    def load(self, path: Path) -> None:
        self.execute(path.read_text())


def server() -> OsTicketDatabase:
    parts = urlsplit(os.environ.get("MARIADB_URL", DEFAULT_URL))
    return OsTicketDatabase(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        name="",
    )


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"MariaDB: {reason} (CI is set, so this is a failure, not a skip)")
    sys.stderr.write(f"\n!!! MariaDB: {reason}; skipping the tests that need it.\n")
    pytest.skip(reason)


@pytest.fixture
def osticket_database():
    """A fresh osTicket database on the machine's MariaDB, dropped after the test."""
    database = server()
    try:
        admin = database.connect(database="")
    except pymysql.err.MySQLError as exc:
        _fail_or_skip(f"no server at {database.host}:{database.port} ({exc})")
    database.name = f"imp_{secrets.token_hex(6)}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database.name}` CHARACTER SET utf8mb3")
    try:
        database.load(DATA / "schema.sql")
        database.load(DATA / "data.sql")
        yield database
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database.name}`")
        admin.close()
