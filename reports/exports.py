"""Exports of the reports: CSV of a breakdown table, CSV and XLSX of the tickets behind a
number (docs/reports.md, decision 0034).

The tickets are exactly the queue's (tickets.selectors.ticket_queue_q, for the queue view and
filters that a number's link carries), read through one server-side cursor over the columns
the file shows: no model instances, no query per row, memory flat whatever the number of
rows. Text a spreadsheet could run as a formula is neutralised (`safe_cell`); numbers and
times stay typed.
"""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import xlsxwriter
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    Func,
    OuterRef,
    Subquery,
    Value,
    When,
)

from reports.figures import BREAKDOWNS, Dashboard, Row
from tickets.models import (
    ClockKind,
    EntryKind,
    Priority,
    SLAState,
    Source,
    Status,
    ThreadEntry,
    Ticket,
    sla_state_q,
)
from tickets.selectors import (
    ALL_TICKETS,
    VIEWS,
    QueueFilters,
    QueueView,
    TicketSet,
    ticket_queue_q,
)

# Rows fetched from the server-side cursor at a time, and CSV rows per chunk sent.
CHUNK_ROWS = 2000

# OWASP "CSV injection": a text cell starting with one of these is a formula (or becomes
# one) in Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

TABLES = {**BREAKDOWNS, "days": "Day"}
UNKNOWN_TABLE = "Choose a table to export: " + ", ".join(TABLES) + "."


def safe_cell(value):
    """A cell as a spreadsheet should read it: text that starts like a formula gets a
    leading apostrophe, so it shows as typed and never runs; numbers, times and empty cells
    pass unchanged (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# The tickets behind a number -------------------------------------------------------------

TICKET_HEADERS = (
    "Number",
    "Subject",
    "Status",
    "Priority",
    "Department",
    "Help topic",
    "Assignee",
    "Requester email",
    "Channel",
    "Created",
    "First response",
    "Resolved",
    "SLA state",
)
TIME_COLUMNS = ("Created", "First response", "Resolved")  # local times, in the viewer's zone
_STATUS = dict(Status.choices)
_PRIORITY = dict(Priority.choices)
_SOURCE = dict(Source.choices)
_SLA = dict(SLAState.choices)


def _local(expression, zone: zoneinfo.ZoneInfo):
    """A timestamp as the wall time in `zone` (naive): PostgreSQL converts, so the rows
    need no per-value zone arithmetic in Python. Elsewhere (SQLite, the embedded mode) the
    aware value comes back and `_row` converts it."""
    if connection.vendor != "postgresql":
        return expression
    return Func(Value(zone.key), expression, function="timezone", output_field=DateTimeField())


def _sla_state(now: datetime.datetime) -> Case:
    """The ticket's SLA state now, by the models' own rule (tickets.models.sla_state_q)."""
    return Case(
        *(When(sla_state_q(state, now), then=Value(state)) for state in SLAState.values),
        default=Value(SLAState.NONE),
        output_field=CharField(),
    )


def ticket_export_rows(
    *,
    user,
    view: QueueView,
    filters: QueueFilters,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[tuple]:
    """The rows of the tickets the queue lists for `user` with this view and filters, in
    ticket number order, as tuples of TICKET_HEADERS' values (local naive datetimes in
    `zone`). One query, read through a server-side cursor `chunk_rows` at a time."""
    q = ticket_queue_q(user=user, view=view, filters=filters)
    if q is None:
        return
    first_reply = (
        ThreadEntry.objects.filter(ticket_id=OuterRef("pk"), kind=EntryKind.REPLY)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        Ticket.objects.filter(q)
        .annotate(
            created_local=_local(F("created_at"), zone),
            first_reply_local=_local(Subquery(first_reply, output_field=DateTimeField()), zone),
            resolved_local=_local(F("resolved_at"), zone),
            sla=_sla_state(now),
        )
        .order_by("number")
        .values_list(
            "number",
            "subject",
            "status",
            "priority",
            "department__name",
            "help_topic__name",
            "assignee__user__display_name",
            "assignee__user__email",
            "requester__email",
            "source",
            "created_local",
            "first_reply_local",
            "resolved_local",
            "sla",
        )
    )
    convert = zone if connection.vendor != "postgresql" else None
    # In a transaction the server-side cursor streams; in autocommit Django declares it
    # WITH HOLD, which makes PostgreSQL run the whole query before the first row.
    with transaction.atomic():
        for row in rows.iterator(chunk_size=chunk_rows):
            yield _row(row, convert)


def _row(row: tuple, zone: zoneinfo.ZoneInfo | None) -> tuple:
    (number, subject, status, priority, department, topic, name, email, requester, source,
     created, first_reply, resolved, sla) = row  # fmt: skip
    if zone is not None:
        created, first_reply, resolved = (
            None if moment is None else moment.astimezone(zone).replace(tzinfo=None)
            for moment in (created, first_reply, resolved)
        )
    return (
        number,
        subject,
        _STATUS.get(status, status),
        _PRIORITY.get(priority, priority),
        department,
        topic or "",
        name or email or "",
        requester,
        _SOURCE.get(source, source),
        created,
        first_reply,
        resolved,
        _SLA.get(sla, sla),
    )


def _when(moment: datetime.datetime | None) -> str:
    return "" if moment is None else moment.isoformat(sep=" ", timespec="seconds")


def _text(value: str) -> str:
    """safe_cell for a text column, inlined: this runs for millions of cells."""
    return "'" + value if value[:1] in _FORMULA_FIRST else value


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def _ticket_csv_cells(row: tuple) -> tuple:
    """A ticket row's CSV cells: people's text neutralised, times as local wall times.
    (Statuses, priorities, channels and SLA states are our own labels.)"""
    (number, subject, status, priority, department, topic, assignee, requester, channel,
     created, first_reply, resolved, sla) = row  # fmt: skip
    return (
        number,
        _text(subject),
        status,
        priority,
        _text(department),
        _text(topic),
        _text(assignee),
        _text(requester),
        channel,
        _when(created),
        _when(first_reply),
        _when(resolved),
        sla,
    )


def _cells(row) -> list:
    """Any row's CSV cells: empty for None, dates in ISO, text through safe_cell."""
    return [
        "" if v is None else v.isoformat() if isinstance(v, datetime.date) else safe_cell(v)
        for v in row
    ]


def ticket_headers(zone: zoneinfo.ZoneInfo) -> list[str]:
    """The header row: time columns name the zone their wall times are in."""
    return [f"{h} ({zone.key})" if h in TIME_COLUMNS else h for h in TICKET_HEADERS]


def csv_chunks(
    header: Iterable,
    rows: Iterable,
    *,
    cells: Callable[[Any], Iterable] = _cells,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[bytes]:
    """CSV (UTF-8, with a BOM so Excel reads it as UTF-8) in chunks of `chunk_rows` rows,
    each row's cells made by `cells`: only one chunk is ever held in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in header])
    rows = iter(rows)
    while batch := list(islice(rows, chunk_rows)):
        writer.writerows(map(cells, batch))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows: the header alone
        yield buffer.getvalue().encode()


def ticket_rows_csv(
    *,
    user,
    view: QueueView,
    filters: QueueFilters,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[bytes]:
    """The CSV of the tickets a queue view lists, as encoded chunks (the desk streams them;
    bench/reports.py reads them without HTTP)."""
    rows = ticket_export_rows(
        user=user, view=view, filters=filters, zone=zone, now=now, chunk_rows=chunk_rows
    )
    return csv_chunks(ticket_headers(zone), rows, cells=_ticket_csv_cells, chunk_rows=chunk_rows)


# Breakdown tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list]


def _minutes(value) -> float | None:
    return None if value is None else round(value, 1)


def _percent(rate) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _breakdown_header(title: str) -> list[str]:
    header = [title, "Created", "Resolved", "Reopened after resolution", "Reopen rate %"]
    for _, label in ClockKind.choices:
        header += [f"{label} SLA met", f"{label} SLA breached", f"{label} SLA achievement %"]
    for name in ("First response", "Resolution"):
        header += [
            f"{name} tickets",
            f"{name} business median (min)",
            f"{name} business p90 (min)",
            f"{name} calendar median (min)",
            f"{name} calendar p90 (min)",
        ]
    header += [
        "First resolution tickets",
        "First resolution calendar median (min)",
        "First resolution calendar p90 (min)",
    ]
    return header


def _breakdown_row(row: Row) -> list:
    cells = [
        row.label,
        row.flow.created,
        row.flow.resolved,
        row.flow.reopened_after,
        _percent(row.flow.reopen_rate),
    ]
    for kind in ClockKind.values:
        achievement = row.sla[kind]
        cells += [achievement.achieved, achievement.breached, _percent(achievement.rate)]
    for times in (row.first_response, row.resolution):
        cells += [
            times.tickets,
            _minutes(times.business.median),
            _minutes(times.business.p90),
            _minutes(times.calendar.median),
            _minutes(times.calendar.p90),
        ]
    first = row.first_resolution
    cells += [first.tickets, _minutes(first.calendar.median), _minutes(first.calendar.p90)]
    return cells


def report_table(*, dashboard: Dashboard, table: str) -> Table:
    """A table of the dashboard as rows of cells: a breakdown (its rows, then the total), or
    the days (created, resolved, reopened, backlog at the day's end). Raises KeyError for
    an unknown table (UNKNOWN_TABLE says which there are)."""
    if table == "days":
        header = ["Day", "Created", "Resolved", "Reopened", "Backlog at end of day"]
        rows = [[d.day.date, d.created, d.resolved, d.reopened, d.backlog] for d in dashboard.days]
        return Table(header, rows)
    title = BREAKDOWNS[table]
    rows = [_breakdown_row(row) for row in dashboard.breakdowns[table]]
    return Table(_breakdown_header(title), [*rows, _breakdown_row(dashboard.total)])


def report_table_csv(*, dashboard: Dashboard, table: str) -> Iterator[bytes]:
    data = report_table(dashboard=dashboard, table=table)
    return csv_chunks(data.header, data.rows)


# The queue's view and filters, kept for a worker ------------------------------------------

_TIMES = ("start", "end")


def queue_to_json(*, view: QueueView, filters: QueueFilters) -> dict:
    """What a background export needs to list the same tickets again: the view's key and
    the filters, as JSON (a report set's instants as ISO text)."""
    data = {
        name: getattr(filters, name)
        for name in (
            "department",
            "status",
            "priority",
            "assignee",
            "help_topic",
            "sla_state",
            "requester",
            "source",
            "text",
        )
    }
    if filters.updated_since is not None:
        data["updated_since"] = filters.updated_since.isoformat()
    ticket_set = filters.ticket_set
    if ticket_set is not None:
        data["ticket_set"] = {
            "measure": ticket_set.measure,
            "clock": ticket_set.clock,
            **{t: getattr(ticket_set, t) and getattr(ticket_set, t).isoformat() for t in _TIMES},
        }
    return {"view": view.key, "filters": data}


def queue_from_json(data: dict) -> tuple[QueueView, QueueFilters]:
    filters = dict(data["filters"])
    if filters.get("updated_since"):
        filters["updated_since"] = datetime.datetime.fromisoformat(filters["updated_since"])
    if filters.get("ticket_set"):
        raw = filters["ticket_set"]
        filters["ticket_set"] = TicketSet(
            raw["measure"],
            *(raw[t] and datetime.datetime.fromisoformat(raw[t]) for t in _TIMES),
            raw["clock"],
        )
    key = data["view"]
    return (ALL_TICKETS if key == ALL_TICKETS.key else VIEWS[key]), QueueFilters(**filters)


# XLSX ------------------------------------------------------------------------------------

XLSX_OPTIONS = {
    # Rows are flushed to disk as they are written: memory stays flat for a million rows.
    "constant_memory": True,
    # Text is text: never turned into a formula, a number or a link.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def tickets_xlsx(
    *,
    path: str,
    user,
    view: QueueView,
    filters: QueueFilters,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
) -> int:
    """Write the tickets a queue view lists to an XLSX file at `path`: text as strings,
    numbers as numbers, times as real dates in `zone` with a format. Returns the rows."""
    workbook = xlsxwriter.Workbook(path, XLSX_OPTIONS)
    sheet = workbook.add_worksheet("Tickets")
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for column, header in enumerate(ticket_headers(zone)):
        sheet.write_string(0, column, header, bold)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(
        ticket_export_rows(user=user, view=view, filters=filters, zone=zone, now=now), start=1
    ):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(count, column, value, when)
            elif isinstance(value, int | float):
                sheet.write_number(count, column, value)
            else:
                sheet.write_string(count, column, str(value))
    workbook.close()
    return count
