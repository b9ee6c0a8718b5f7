"""osTicket's database, read directly (PyMySQL): osTicket 1.14 to 1.18.

Only reads. Table names are the prefix (checked: letters, digits, underscores) and
osTicket's own names; every value is a placeholder. The columns that moved between
versions (a help topic's `isactive` became a flag, `ost_sla.schedule_id` and the
schedules came in 1.17, thread events name their kind through `ost_event` since 1.11)
are looked up once, so one reader serves every version.

Times: osTicket writes MySQL's NOW(), the server's local time, into DATETIME columns; they
are read in the zone given (by default the server's own), and come out aware, in UTC.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pymysql
import pymysql.cursors

PREFIX_RE = re.compile(r"^[A-Za-z0-9_]*$")
# What an osTicket database has, whatever its version (1.14-1.18).
REQUIRED_TABLES = (
    "api_key",
    "attachment",
    "canned_response",
    "config",
    "department",
    "file",
    "file_chunk",
    "help_topic",
    "sla",
    "staff",
    "staff_dept_access",
    "thread",
    "thread_collaborator",
    "thread_entry",
    "thread_event",
    "ticket",
    "ticket_priority",
    "ticket_status",
    "user",
    "user_account",
    "user_email",
)


class SourceError(Exception):
    """The osTicket database cannot be read: a message for a person, no traceback."""


@dataclass(frozen=True)
class DatabaseUrl:
    host: str
    port: int
    user: str
    password: str
    database: str

    def __str__(self) -> str:  # never the password
        return f"mysql://{self.user}@{self.host}:{self.port}/{self.database}"


def parse_database_url(url: str) -> DatabaseUrl:
    parts = urlsplit(url or "")
    if parts.scheme not in ("mysql", "mariadb"):
        raise SourceError(
            "The database URL must look like mysql://USER:PASSWORD@HOST:PORT/DBNAME "
            f"(got a URL starting with {parts.scheme or 'nothing'!r})."
        )
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise SourceError("The database URL names no database (mysql://USER@HOST/DBNAME).")
    try:
        port = parts.port or 3306
    except ValueError:
        raise SourceError("The database URL's port is not a number.") from None
    return DatabaseUrl(
        host=parts.hostname or "127.0.0.1",
        port=port,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=database,
    )


class OsTicketSource:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ost_",
        time_zone: str | None = None,
        files_root: str | None = None,
    ):
        if not PREFIX_RE.match(prefix):
            raise SourceError(f"The prefix {prefix!r} may hold only letters, digits and _.")
        self.url = parse_database_url(url)
        self.prefix = prefix
        self.files_root = Path(files_root) if files_root else None
        try:
            self.connection = pymysql.connect(
                host=self.url.host,
                port=self.url.port,
                user=self.url.user,
                password=self.url.password,
                database=self.url.database,
                charset="utf8mb4",
                cursorclass=pymysql.cursors.DictCursor,
                connect_timeout=10,
            )
        except pymysql.err.MySQLError as exc:
            raise SourceError(
                f"Cannot read the osTicket database at {self.url}: {_reason(exc)}"
            ) from None
        self._columns: dict[str, set[str]] = {}
        self._check_schema()
        self.zone = self._zone(time_zone)

    def close(self) -> None:
        self.connection.close()

    # -- schema ------------------------------------------------------------------------

    def table(self, name: str) -> str:
        return f"`{self.prefix}{name}`"

    def _check_schema(self) -> None:
        tables = {
            row["TABLE_NAME"]
            for row in self._query(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                [self.url.database],
            )
        }
        missing = [name for name in REQUIRED_TABLES if f"{self.prefix}{name}" not in tables]
        if missing:
            found = sorted({t.split("_", 1)[0] + "_" for t in tables if "_" in t})[:5]
            hint = f" Prefixes found: {', '.join(found)}." if found else ""
            raise SourceError(
                f"{self.url} is not an osTicket 1.14-1.18 database with the prefix "
                f"{self.prefix!r}: it has no {', '.join(self.prefix + m for m in missing[:4])}"
                f"{' ...' if len(missing) > 4 else ''}.{hint}"
            )
        self.tables = tables
        for row in self._query(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE %s",
            [self.url.database, self.prefix.replace("_", "\\_") + "%"],
        ):
            self._columns.setdefault(row["TABLE_NAME"][len(self.prefix) :], set()).add(
                row["COLUMN_NAME"]
            )

    def has_table(self, name: str) -> bool:
        return f"{self.prefix}{name}" in self.tables

    def has_column(self, table: str, column: str) -> bool:
        return column in self._columns.get(table, set())

    def _zone(self, name: str | None) -> datetime.tzinfo:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise SourceError(f"{name!r} is not a known time zone.") from None
        row = self._query(
            "SELECT @@session.time_zone AS tz, @@system_time_zone AS sys, "
            "TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) AS utc_offset"
        )[0]
        for candidate in (row["tz"], row["sys"]):
            if candidate and candidate != "SYSTEM":
                if candidate in ("UTC", "+00:00"):
                    return datetime.UTC
                try:
                    return zoneinfo.ZoneInfo(candidate)
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    continue
        return datetime.timezone(datetime.timedelta(minutes=int(row["utc_offset"] or 0)))

    # -- reading -----------------------------------------------------------------------

    def _query(self, sql: str, params=()) -> list[dict]:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        except pymysql.err.MySQLError as exc:
            raise SourceError(f"Reading the osTicket database failed: {_reason(exc)}") from None

    def rows(self, table: str, *, where: str = "", params=(), order: str = "") -> list[dict]:
        sql = f"SELECT * FROM {self.table(table)}"  # nosec B608 # osTicket's table names, from the checked prefix
        if where:
            sql += f" WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        return self._query(sql, params)

    def query(self, sql: str, params=()) -> list[dict]:
        """SQL with `{name}` for osTicket's tables: `SELECT * FROM {ticket}`."""
        names = {name: self.table(name) for name in re.findall(r"\{(\w+)\}", sql)}
        return self._query(sql.format(**names), params)

    def batches(self, table: str, key: str, size: int, *, after: int = 0) -> Iterator[list[dict]]:
        """All rows of a table in batches, in the order of its numeric key."""
        while True:
            batch = self._query(
                f"SELECT * FROM {self.table(table)} WHERE `{key}` > %s ORDER BY `{key}` LIMIT %s",  # nosec B608 # osTicket's table names, from the checked prefix
                [after, size],
            )
            if not batch:
                return
            yield batch
            after = batch[-1][key]

    def count(self, table: str) -> int:
        return self._query(f"SELECT COUNT(*) AS n FROM {self.table(table)}")[0]["n"]  # nosec B608 # osTicket's table names, from the checked prefix

    def config(self) -> dict[str, str]:
        return {
            row["key"]: row["value"]
            for row in self.rows("config", where="namespace = %s", params=["core"])
        }

    def aware(self, value) -> datetime.datetime | None:
        """A DATETIME column as an aware UTC time; osTicket's zero dates are None."""
        if not isinstance(value, datetime.datetime):
            return None
        return value.replace(tzinfo=self.zone).astimezone(datetime.UTC)

    def file_content(self, file_row: dict) -> bytes | None:
        """A file's bytes: its chunks in the database (`D`), or on disk (`F`) under the
        filesystem plugin's folder (--files-root): <root>/<first letter of key>/<key>."""
        if file_row["bk"] == "F":
            if self.files_root is None:
                return None
            key = file_row["key"]
            for path in (self.files_root / key[:1] / key, self.files_root / key):
                if path.is_file():
                    return path.read_bytes()
            return None
        chunks = self._query(
            f"SELECT filedata FROM {self.table('file_chunk')} WHERE file_id = %s "  # nosec B608 # osTicket's table names, from the checked prefix
            "ORDER BY chunk_id",
            [file_row["id"]],
        )
        if not chunks and file_row["size"]:
            return None
        return b"".join(bytes(chunk["filedata"]) for chunk in chunks)


def _reason(exc: Exception) -> str:
    args = getattr(exc, "args", ())
    if len(args) >= 2:
        return f"{args[1]} (MySQL error {args[0]})"
    return str(exc) or exc.__class__.__name__
