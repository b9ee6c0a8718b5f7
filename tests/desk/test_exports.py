"""The reports' downloads in the agent workspace: a breakdown table's CSV has the
dashboard's numbers, a number's tickets CSV has exactly its queue's tickets, only one's
own departments, spreadsheets built in the background and downloaded by their owner."""

import csv
import datetime as dt
import io
import os
import re
import zipfile

import pytest
import time_machine
from django.http import StreamingHttpResponse

from reports.figures import Period, ReportFilters, report_dashboard
from reports.models import ReportExport
from reports.services import report_exports_sweep
from tests.desk.test_reports import NOW, TWO_WEEKS, linked_numbers
from tests.reports.scenario import FIRST_DAY, LAST_DAY, PARIS, office_weeks  # noqa: F401
from tests.support.celery_harness import wait_for
from tickets.models import ClockKind

pytestmark = pytest.mark.postgres

TABLE_CSV = "/agent/reports/export.csv?period=custom&start=2024-03-04&end=2024-03-17"


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def queue_numbers(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'name="tickets" value="(\d+)"', html)}


@pytest.fixture
def paris_agent(desk):
    user = desk.agent.user
    user.time_zone = "Europe/Paris"
    user.save(update_fields=["time_zone"])
    return user


@pytest.mark.parametrize("table", ["department", "help_topic", "priority", "agent"])
def test_a_breakdown_csv_has_the_dashboards_numbers(office_weeks, paris_agent, client_for, table):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        response = client_for(paris_agent).get(f"{TABLE_CSV}&table={table}")
        dashboard = report_dashboard(
            user=paris_agent,
            period=Period(FIRST_DAY, LAST_DAY, PARIS),
            filters=ReportFilters(),
            now=NOW,
        )
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    header, *rows = rows_of(response)
    expected = [*dashboard.breakdowns[table], dashboard.total]
    assert [r[0] for r in rows] == [row.label for row in expected]
    for cells, row in zip(rows, expected, strict=True):
        values = dict(zip(header, cells, strict=True))
        assert values["Created"] == str(row.flow.created)
        assert values["Resolved"] == str(row.flow.resolved)
        for kind, label in ClockKind.choices:
            assert values[f"{label} SLA met"] == str(row.sla[kind].achieved)
            assert values[f"{label} SLA breached"] == str(row.sla[kind].breached)
        median = row.first_response.business.median
        assert values["First response business median (min)"] == (
            "" if median is None else str(round(median, 1))
        )
    total = dict(zip(header, rows[-1], strict=True))
    # The hand-worked figures of the scenario (tests/desk/test_reports.py's page shows them).
    assert total["First response SLA met"] == "3" and total["First response SLA breached"] == "3"
    assert total["First response SLA achievement %"] == "50.0"
    assert total["First response business median (min)"] == "45.0"
    assert total["Resolution SLA achievement %"] == "80.0"


def test_the_days_csv(office_weeks, paris_agent, client_for):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        response = client_for(paris_agent).get(f"{TABLE_CSV}&table=days")
    header, *rows = rows_of(response)
    assert header == ["Day", "Created", "Resolved", "Reopened", "Backlog at end of day"]
    assert [r[0] for r in rows][:2] == ["2024-03-04", "2024-03-05"] and len(rows) == 14


@pytest.mark.parametrize(
    "query, message",
    [
        ("table=nonsense", "Choose a table to export"),
        (
            "table=department&period=custom&start=2024-03-10&end=2024-03-01",
            "The end date is before",
        ),
        ("table=department&priority=urgent", "Select a valid choice"),
    ],
)
def test_bad_table_queries_are_a_clear_400(desk, client_for, query, message):
    response = client_for(desk.agent.user).get(f"/agent/reports/export.csv?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_every_numbers_csv_has_exactly_its_queues_tickets(office_weeks, paris_agent, client_for):  # noqa: F811
    client = client_for(paris_agent)
    with time_machine.travel(NOW, tick=False):
        html = client.get(TWO_WEEKS).content.decode()
        hrefs = sorted({href for href, *_ in linked_numbers(html)})
        assert len(hrefs) > 50
        for href in hrefs:
            queue = queue_numbers(client.get(href).content.decode())
            query = href.split("?", 1)[1]
            response = client.get(f"/agent/reports/tickets.csv?{query}")
            assert response.status_code == 200, href
            _header, *rows = rows_of(response)
            assert {int(r[0]) for r in rows} == queue, href
            assert len(rows) == len(queue), href


def test_the_dashboard_offers_the_exports(office_weeks, paris_agent, client_for):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        html = client_for(paris_agent).get(TWO_WEEKS).content.decode()
    for table in ("department", "help_topic", "priority", "agent", "days"):
        assert f"table={table}" in html
    assert "Export the tickets created in this period:" in html
    assert 'href="/agent/reports/tickets.csv?view=all&amp;measure=created&amp;' in html
    assert 'action="/agent/reports/tickets.xlsx"' in html


def test_the_queue_offers_a_csv_of_its_list(desk, client_for):
    html = client_for(desk.agent.user).get("/agent/?view=pending&priority=3").content.decode()
    assert "/agent/reports/tickets.csv?view=pending&amp;priority=3" in html


def test_an_agent_never_gets_another_departments_tickets(desk, client_for):
    with time_machine.travel(NOW, tick=False):
        it = desk.ticket(subject="Printer on fire")
        desk.ticket(subject="Quote for Dunmore", department=desk.sales, help_topic=None)
    client = client_for(desk.sales_agent.user)
    for query in ("view=all", f"view=all&department={desk.it.pk}", "view=open"):
        response = client.get(f"/agent/reports/tickets.csv?{query}")
        assert response.status_code == 200
        _header, *rows = rows_of(response)
        assert it.number not in {int(r[0]) for r in rows}, query
        assert {r[4] for r in rows} <= {"Sales"}
    response = client_for(desk.agent.user).get("/agent/reports/tickets.csv?view=all")
    assert {r[1] for r in rows_of(response)[1:]} == {"Printer on fire"}


@pytest.mark.parametrize(
    "path",
    ["/agent/reports/tickets.csv?view=all", "/agent/reports/export.csv?table=department"],
)
def test_requesters_and_strangers_get_nothing(desk, client_for, path):
    with time_machine.travel(NOW, tick=False):
        desk.ticket(subject="Printer on fire")
    assert client_for(desk.requester).get(path).status_code == 403
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_a_damaged_link_is_a_400(desk, client_for):
    response = client_for(desk.agent.user).get(
        "/agent/reports/tickets.csv?view=all&measure=created&start=yesterday"
    )
    assert response.status_code == 400
    assert "This link from the reports is incomplete or damaged" in response.content.decode()


# Spreadsheets ------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))  # for a worker, too
    return settings.MEDIA_ROOT


def _ask_for_xlsx(client, query: dict):
    return client.post("/agent/reports/tickets.xlsx", query)


def test_a_spreadsheet_is_built_and_only_its_owner_downloads_it(
    desk, client_for, media, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        desk.ticket(subject='=HYPERLINK("http://evil.example")')
        desk.ticket(subject="Printer on fire")
    client = client_for(desk.agent.user)
    with django_capture_on_commit_callbacks(execute=True):  # the suite runs tasks eagerly
        response = _ask_for_xlsx(client, {"view": "all"})
    assert response.status_code == 302 and response["Location"] == "/agent/reports/exports/"
    export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.DONE and export.row_count == 2
    assert export.requested_by == desk.agent.user
    assert str(media) in export.file.path  # private storage, never served by URL
    page = client.get("/agent/reports/exports/").content.decode()
    assert "Queue: All tickets" in page and "Ready" in page
    download = client.get(f"/agent/reports/exports/{export.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    book = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    # Anyone else: as if it did not exist.
    for other in (desk.manager.user, desk.sales_agent.user):
        assert (
            client_for(other).get(f"/agent/reports/exports/{export.pk}/download/").status_code
            == 404
        )
        assert (
            "Queue: All tickets"
            not in client_for(other).get("/agent/reports/exports/").content.decode()
        )
    assert (
        client_for(desk.requester).get(f"/agent/reports/exports/{export.pk}/download/").status_code
        == 403
    )
    assert client.get(f"/agent/reports/exports/{export.pk + 1}/download/").status_code == 404


def test_a_spreadsheet_of_a_numbers_tickets_says_which(
    desk, client_for, media, django_capture_on_commit_callbacks
):
    client = client_for(desk.agent.user)
    query = {
        "view": "all",
        "measure": "sla_breached",
        "clock": "first_response",
        "start": "2024-03-04T05:00:00+00:00",
        "end": "2024-03-18T04:00:00+00:00",
    }
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        _ask_for_xlsx(client, query)
    export = ReportExport.objects.get()
    assert export.title.startswith("First response: SLA breached, from 4 Mar 2024 ")
    assert export.status == ReportExport.Status.DONE and export.row_count == 0


def test_the_sweep_deletes_expired_spreadsheets(
    desk, client_for, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _ask_for_xlsx(client_for(desk.agent.user), {"view": "all"})
    export = ReportExport.objects.get()
    path = export.file.path
    assert report_exports_sweep(now=export.expires_at - dt.timedelta(minutes=1)) == 0
    assert report_exports_sweep(now=export.expires_at) == 1
    assert not ReportExport.objects.exists()
    assert not os.path.exists(path)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_builds_the_spreadsheet(media, desk, client_for, celery_worker):
    desk.ticket(subject="Printer on fire")
    client = client_for(desk.agent.user)
    assert _ask_for_xlsx(client, {"view": "all"}).status_code == 302
    export = wait_for(
        lambda: ReportExport.objects.filter(status=ReportExport.Status.DONE).first(),
        timeout=60,
        message="the worker built no spreadsheet",
    )
    assert export.row_count == 1
    download = client.get(f"/agent/reports/exports/{export.pk}/download/")
    assert download.status_code == 200
    book = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    text = "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    assert "Printer on fire" in text
