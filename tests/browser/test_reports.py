"""The reports dashboard in Chromium: an agent changes the period, clicks a number, and the
queue lists exactly the tickets behind it; the page passes axe-core and the CSP."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.test_agent_desk import login
from tests.reports.scenario import build, ny
from tests.support.axe import assert_accessible
from tests.support.browser_harness import ARTIFACTS_DIR
from tickets.demo import demo_email, demo_load


def close_up(request, locator, name: str) -> None:
    """A screenshot of one part of the page, beside the full-page ones."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS_DIR / f"{request.node.name}-{name}.png"))


@pytest.fixture
def recent_weeks(desk):
    """The report tests' two weeks, moved by whole weeks so they ended in the last seven
    days (weekdays and office hours as in March 2024)."""
    weeks = (timezone.now() - ny(15, 16, 30)) // dt.timedelta(weeks=1)
    world = build(desk, shift=dt.timedelta(weeks=weeks))
    user = desk.manager.user
    user.time_zone = "Europe/Paris"
    user.save(update_fields=["time_zone"])
    return world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_change_the_period_and_click_a_number(page, live_server, screenshot, desk, recent_weeks):
    login(page, live_server, desk.manager.user)
    page.goto("/agent/")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Last 30 days")).to_have_attribute("aria-current", "true")
    screenshot("last-30-days")
    assert_accessible(page)

    page.get_by_role("navigation", name="Period").get_by_role("link", name="Last 90 days").click()
    expect(page).to_have_url(re.compile(r"period=last_90"))
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"period=last_90.*priority=3"))
    expect(page.get_by_label("Priority")).to_have_value("3")
    screenshot("last-90-days-high")

    first_response = page.locator(".report-card", has_text="First response").filter(
        has=page.locator(".report-card-title", has_text=re.compile("^First response$"))
    )
    breached = first_response.get_by_role("link", name=re.compile(r"\d+ breached"))
    count = int(breached.get_attribute("data-count"))
    assert count == 2  # holiday and unanswered: replanned is urgent now, not high
    breached.click()
    expect(page.get_by_role("heading", name="Tickets behind a report figure")).to_be_visible()
    expect(page.get_by_text("First response: SLA breached")).to_be_visible()
    rows = page.locator("#queue-results tbody tr")
    expect(rows).to_have_count(count)
    expect(page.get_by_role("link", name="VPN down")).to_be_visible()
    expect(page.get_by_role("link", name="Badge reader")).to_be_visible()
    expect(page.locator("#queue-results")).to_contain_text(f"{count} tickets match these filters")
    screenshot("queue-behind-the-number")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_custom_dates_with_an_error(page, live_server, screenshot, desk, recent_weeks):
    login(page, live_server, desk.manager.user)
    page.goto("/agent/reports/")
    page.get_by_label("From").fill("2024-03-10")
    page.get_by_label("to", exact=True).fill("2024-03-01")
    page.get_by_role("button", name="Show dates").click()
    expect(page.get_by_role("alert")).to_contain_text("The end date is before the start date.")
    screenshot("custom-dates-error")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_and_their_numbers(request, page, live_server, screenshot, desk, recent_weeks):
    login(page, live_server, desk.manager.user)
    page.goto("/agent/reports/?period=last_30")
    for name in (
        "Created and resolved per day",
        "Backlog at the end of each day",
        "SLA achievement per week",
        "First response time, business hours",
    ):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    sla = page.locator("figure", has=page.get_by_role("img", name="SLA achievement per week"))
    week_table = sla.get_by_role("table")
    expect(week_table).to_be_hidden()  # folded away until asked for
    screenshot("charts")
    assert_accessible(page)

    sla.get_by_text("Show the numbers").click()
    expect(week_table).to_be_visible()
    expect(
        week_table.get_by_role("columnheader", name="First response", exact=True)
    ).to_be_visible()
    # The week of the scenario's sweeps: 3 of 6 first responses met.
    week = week_table.get_by_role("row").filter(has_text="3/6")
    cell = week.get_by_role("cell").nth(0).get_by_role("link", name="50%")
    expect(cell).to_be_visible()
    screenshot("sla-numbers-open")
    close_up(request, page.locator(".report-charts"), "charts-close")
    assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/agent/reports/?period=last_30")
    expect(page.get_by_role("img", name="SLA achievement per week")).to_be_visible()
    screenshot("mobile")
    close_up(request, page.locator(".report-charts"), "mobile-charts")
    assert_accessible(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/agent/reports/?period=last_30")
    sla.get_by_text("Show the numbers").click()
    count = int(cell.get_attribute("data-count"))
    cell.click()
    expect(page.get_by_role("heading", name="Tickets behind a report figure")).to_be_visible()
    expect(page.get_by_text("First response: SLA met or breached")).to_be_visible()
    expect(page.locator("#queue-results tbody tr")).to_have_count(count)


@pytest.fixture
def demo_with_history(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load(history=True)
    return User.objects.get(email=demo_email("Kevin Benavides"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_kevin_opens_the_demo_reports(request, page, live_server, screenshot, demo_with_history):
    """make run's "done when": Kevin Benavides opens Reports on the demo and sees its
    weeks; a day's number opens those tickets in the queue."""
    login(page, live_server, demo_with_history)
    page.goto("/agent/")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    created = page.locator(".report-card", has_text="Created").locator(".figure a")
    assert int(created.inner_text()) > 30
    for name in (
        "Created and resolved per day",
        "Backlog at the end of each day",
        "SLA achievement per week",
        "First response time, business hours",
    ):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.locator(".chart-bar-created").first).to_be_visible()
    screenshot("desktop")
    close_up(request, page.locator(".report-charts"), "desktop-charts")
    assert_accessible(page)

    flow = page.locator("figure", has=page.get_by_role("img", name="Created and resolved per day"))
    flow.get_by_text("Show the numbers").click()
    busy = flow.locator("tbody tr").filter(has=page.locator('a[data-count]:not([data-count="0"])'))
    day = busy.first.locator("a.figure-link").first
    count = int(day.get_attribute("data-count"))
    day.click()
    expect(page.get_by_role("heading", name="Tickets behind a report figure")).to_be_visible()
    expect(page.locator("#queue-results tbody tr")).to_have_count(count)
    screenshot("queue-of-a-day")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/agent/reports/")
    expect(page.get_by_role("img", name="SLA achievement per week")).to_be_visible()
    screenshot("mobile")
    close_up(request, page.locator(".report-charts"), "mobile-charts")
    assert_accessible(page)
