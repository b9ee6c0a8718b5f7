"""The reports' exports in Chromium: a breakdown's CSV downloads with the page's numbers,
the queue behind a number exports its tickets, a spreadsheet is built and downloaded from
"Your spreadsheets"; the pages pass axe-core."""

import csv
import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.test_agent_desk import login
from tests.browser.test_reports import recent_weeks  # noqa: F401  (the fixture)
from tests.support.axe import assert_accessible


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _csv(download) -> list[list[str]]:
    with open(download.path(), encoding="utf-8-sig") as file:
        return list(csv.reader(io.StringIO(file.read())))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_export_a_table_the_tickets_and_a_spreadsheet(
    page,
    live_server,
    screenshot,
    desk,
    recent_weeks,  # noqa: F811
    media,
):
    login(page, live_server, desk.manager.user)
    page.goto("/agent/reports/?period=last_30")
    controls = page.get_by_role("region", name="Period and filters")
    expect(controls.get_by_text("Export the tickets created in this period:")).to_be_visible()
    screenshot("dashboard-with-exports")
    assert_accessible(page)

    created = page.locator(".report-card", has_text="Created").locator("a.count").first
    created_count = int(created.get_attribute("data-count"))
    with page.expect_download() as table:
        page.get_by_role("link", name="CSV of the figures by department").click()
    rows = _csv(table.value)
    assert rows[0][:3] == ["Department", "Created", "Resolved"]
    assert rows[-1][0] == "All tickets" and rows[-1][1] == str(created_count)

    with page.expect_download() as tickets:
        controls.get_by_role("link", name="CSV").click()
    assert len(_csv(tickets.value)) == created_count + 1

    # The queue behind a number exports exactly its list.
    page.locator(".report-card", has_text="First response").get_by_role(
        "link", name=re.compile(r"\d+ breached")
    ).first.click()
    expect(page.get_by_role("heading", name="Tickets behind a report figure")).to_be_visible()
    count = page.locator("#queue-results tbody tr").count()
    screenshot("queue-with-exports")
    assert_accessible(page)
    with page.expect_download() as behind:
        page.locator(".export-links").get_by_role("link", name="CSV").click()
    listed = {row[1] for row in _csv(behind.value)[1:]}
    assert len(listed) == count and "VPN down" in listed

    page.locator(".export-links").get_by_role("button", name="XLSX").click()
    expect(page.get_by_role("heading", name="Your spreadsheets")).to_be_visible()
    expect(page.get_by_text("The spreadsheet is being built.")).to_be_visible()
    page.reload()  # the worker (eager here) has built it; no JavaScript needed to see it
    expect(page.get_by_text("Ready")).to_be_visible()
    expect(page.get_by_text("First response: SLA breached")).to_be_visible()
    screenshot("your-spreadsheets")
    assert_accessible(page)
    with page.expect_download() as sheet:
        page.get_by_role("link", name="Download XLSX").click()
    book = zipfile.ZipFile(sheet.value.path())
    text = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    assert "VPN down" in text
