"""Filling the hourly rollups: one statement per hour, under the hour's fill-state row
locked FOR UPDATE SKIP LOCKED (decision 0035).

- `rollup_fill_hour` rewrites one hour's rows (and which tickets they count) in one
  transaction: delete, then INSERT ... SELECT ... GROUP BY from the clocks, events, replies
  and tickets of that hour. A fill killed halfway rolls back; the hour stays pending.
- `rollups_refresh` is the beat's job: it turns the changes the listener recorded into
  hours to refill, adds the hours that have ended since the last run, and fills pending
  hours, newest first, within a time budget.
- `rollups_rebuild` refills every hour of a range (the management command).
"""

# ruff: noqa: S608  (SQL built from this package's constants; every value is a parameter)
from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from reports.models import (
    ROLLUP_VERSION,
    ReportChange,
    ReportCursor,
    ReportFillState,
    ReportHour,
    ReportHourTicket,
)
from reports.rollups.sources import COLUMNS, Where, grouped, source_rows
from tickets.models import SLAClock, Ticket

HOUR = datetime.timedelta(hours=1)
# Hours are filled once they have been over this long: a change committed later is
# recorded by the listener and refills its hour anyway.
SETTLE = datetime.timedelta(minutes=1)
CHANGES_PER_RUN = 5000
# The fill's and the dashboard's statements are long texts that read few rows through
# indexes; PostgreSQL's cost estimate puts them above jit_above_cost, and compiling them
# took 200 ms of a 250 ms dashboard statement at 20,000 tickets. Off for the transaction.
NO_JIT = "SET LOCAL jit = off"
CLOCK_CURSOR = "clocks"

Filled = ReportFillState.State.FILLED
Pending = ReportFillState.State.PENDING


def rollups_enabled() -> bool:
    """Rollups are PostgreSQL's (arrays, GROUPING SETS, SKIP LOCKED); the embedded mode
    (SQLite) and REPORT_ROLLUPS off compute every figure live and record no changes."""
    return settings.REPORT_ROLLUPS and connection.vendor == "postgresql"


def hour_floor(moment: datetime.datetime) -> datetime.datetime:
    moment = moment.astimezone(datetime.UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def _fill_sql(hour: datetime.datetime) -> tuple[str, list]:
    source, params = source_rows(Where(((hour, hour + HOUR),)))
    columns = ", ".join(["hour", *COLUMNS])
    rows = grouped("SELECT * FROM src", "%s::timestamptz")
    hours = ReportHour._meta.db_table
    tickets = ReportHourTicket._meta.db_table
    # Table names from the models, SQL from reports.rollups.sources; values are parameters.
    sql = (
        f"WITH src AS MATERIALIZED ({source}),"  # nosec B608
        f" filled AS (INSERT INTO {hours} ({columns}) {rows}"
        " RETURNING 1)"
        f" INSERT INTO {tickets} (ticket_id, hour)"
        " SELECT DISTINCT ticket, %s::timestamptz FROM src"
    )
    return sql, [*params, hour, hour]


def rollup_fill_hour(*, hour: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    """Rewrite one hour's rollup rows. False when another process holds the hour (it is
    filling it now); True when filled."""
    hour = hour_floor(hour)
    now = now or timezone.now()
    with transaction.atomic():
        ReportFillState.objects.get_or_create(hour=hour)
        state = (
            ReportFillState.objects.select_for_update(skip_locked=True).filter(hour=hour).first()
        )
        if state is None:
            return False
        ReportHour.objects.filter(hour=hour).delete()
        ReportHourTicket.objects.filter(hour=hour).delete()
        sql, params = _fill_sql(hour)
        with connection.cursor() as cursor:
            cursor.execute(NO_JIT)
            cursor.execute(sql, params)
        state.state, state.version, state.filled_at = Filled, ROLLUP_VERSION, now
        state.save(update_fields=["state", "version", "filled_at"])
    return True


# Changes ------------------------------------------------------------------------------


def _changed_hours(history_ids: list[int], moments: list[datetime.datetime]) -> set:
    """The hours whose rows may now be wrong: for a ticket whose history changed, every hour
    its rows were counted in and every hour it has data in; else the hour of the change."""
    hours = {hour_floor(moment) for moment in moments}
    if not history_ids:
        return hours
    sql = (
        f"SELECT hour FROM {ReportHourTicket._meta.db_table} WHERE ticket_id = ANY(%s)"  # nosec B608
        " UNION SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        " FROM tickets_ticketevent WHERE ticket_id = ANY(%s)"
        " UNION SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        " FROM tickets_threadentry WHERE ticket_id = ANY(%s) AND kind = 'reply'"
        " UNION SELECT date_trunc('hour', COALESCE(breached_at, met_at) AT TIME ZONE 'UTC')"
        " AT TIME ZONE 'UTC' FROM tickets_slaclock WHERE ticket_id = ANY(%s)"
        " AND COALESCE(breached_at, met_at) IS NOT NULL"
        " UNION SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        " FROM tickets_ticket WHERE id = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [history_ids] * 5)
        hours.update(row[0] for row in cursor.fetchall())
    return hours


def _new_clock_tickets() -> list[int]:
    """Tickets with clocks created since the last run (a recomputation replaces clocks
    without writing events): their history changed."""
    cursor_row, _ = ReportCursor.objects.select_for_update().get_or_create(name=CLOCK_CURSOR)
    latest = SLAClock.objects.aggregate(latest=Max("id"))["latest"] or 0
    if latest <= cursor_row.position:
        return []
    ids = list(
        SLAClock.objects.filter(id__gt=cursor_row.position, id__lte=latest)
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    cursor_row.position = latest
    cursor_row.save(update_fields=["position"])
    return ids


def rollup_changes_absorb() -> int:
    """Mark for refill the filled hours the recorded changes affect; returns hours marked."""
    with transaction.atomic():
        changes = list(
            ReportChange.objects.select_for_update(skip_locked=True).order_by("id")[
                :CHANGES_PER_RUN
            ]
        )
        history = {c.ticket_id for c in changes if c.history}
        history.update(_new_clock_tickets())
        moments = [c.at for c in changes if not c.history]
        hours = _changed_hours(sorted(history), moments)
        ReportChange.objects.filter(pk__in=[c.pk for c in changes]).delete()
        if not hours:
            return 0
        return ReportFillState.objects.filter(hour__in=hours, state=Filled).update(state=Pending)


# The beat ---------------------------------------------------------------------------


def _add_ended_hours(now: datetime.datetime) -> None:
    """A pending fill-state row for every hour from the first ticket's to the last one that
    has ended (and settled): the new hours at the end, and the hours before the first one
    known when older tickets arrived since (history imported from osTicket, say)."""
    last = hour_floor(now - SETTLE) - HOUR
    known = ReportFillState.objects.aggregate(earliest=Min("hour"), latest=Max("hour"))
    first = Ticket.objects.aggregate(first=Min("created_at"))["first"]
    if first is None:
        return
    ranges = []
    if known["latest"] is None:
        ranges.append((hour_floor(first), last))
    else:
        ranges.append((hour_floor(first), known["earliest"] - HOUR))
        ranges.append((known["latest"] + HOUR, last))
    for start, end in ranges:
        if start > min(end, last):
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ReportFillState._meta.db_table} (hour, state, version)"  # nosec B608
                " SELECT h, %s, 0 FROM generate_series(%s::timestamptz, %s::timestamptz,"
                " interval '1 hour') h ON CONFLICT (hour) DO NOTHING",
                [Pending, start, min(end, last)],
            )


def pending_hours(*, limit: int) -> list[datetime.datetime]:
    """Hours to fill, newest first: pending, or filled by another version of the fill."""
    stale = ReportFillState.objects.exclude(state=Filled, version=ROLLUP_VERSION)
    return list(stale.order_by("-hour").values_list("hour", flat=True)[:limit])


def rollups_refresh(*, now: datetime.datetime | None = None, budget_seconds: float = 20.0) -> int:
    """The beat's run: absorb changes, add ended hours, fill pending hours newest first for
    at most `budget_seconds`. Returns the hours filled; the next run goes on."""
    if not rollups_enabled():
        return 0
    now = now or timezone.now()
    rollup_changes_absorb()
    _add_ended_hours(now)
    deadline = time.monotonic() + budget_seconds
    filled = 0
    for hour in pending_hours(limit=10_000):
        if time.monotonic() > deadline:
            break
        filled += rollup_fill_hour(hour=hour, now=now)
    return filled


def rollups_rebuild(
    *, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime | None = None
):
    """Refill every ended hour of [start, end), oldest first; yields each hour filled."""
    now = now or timezone.now()
    rollup_changes_absorb()
    hour, last = hour_floor(start), min(end, hour_floor(now))
    while hour + HOUR <= last:
        if rollup_fill_hour(hour=hour, now=now):
            yield hour
        hour += HOUR
