"""The navbar's "Available for new tickets" switch in Chromium: clicked with htmx (swapped in
place), and without JavaScript (the form posts and the page comes back), and what it
changes: auto-assignment passes over the agent who turned it off."""

import pytest
from playwright.sync_api import expect

from accounts.models import Agent, Department, User
from accounts.services import department_set_auto_assignment
from tests.browser.test_agent_desk import axe_violations, login
from tests.support.browser_harness import ARTIFACTS_DIR, DEFAULT_TIMEOUT_MS
from tickets.demo import demo_email
from tickets.models import HelpTopic, Ticket
from tickets.services import ticket_create

SWITCH = "Available for new tickets"


def _ryan() -> Agent:
    return Agent.objects.get(user__email=demo_email("Ryan Howard"))


def _save_navbar(page, name: str) -> None:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    page.locator("main > div").first.screenshot(path=ARTIFACTS_DIR / f"availability-{name}.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_agent_turns_availability_off_and_on_in_place(page, live_server, crm, screenshot):
    ryan = _ryan()
    login(page, live_server, ryan.user)
    page.goto("/agent/")

    switch = page.get_by_role("switch", name=SWITCH)
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(switch).to_contain_text("On")
    assert axe_violations(page) == []
    _save_navbar(page, "on")

    switch.click()

    expect(page.get_by_role("switch", name=SWITCH)).to_have_attribute("aria-checked", "false")
    expect(page.get_by_role("switch", name=SWITCH)).to_contain_text("Off")
    assert page.url.endswith("/agent/")  # swapped by htmx: no reload
    ryan.refresh_from_db()
    assert ryan.is_available is False
    assert axe_violations(page) == []
    _save_navbar(page, "off")
    screenshot("off")

    page.reload()
    expect(page.get_by_role("switch", name=SWITCH)).to_have_attribute("aria-checked", "false")
    page.get_by_role("switch", name=SWITCH).click()
    expect(page.get_by_role("switch", name=SWITCH)).to_have_attribute("aria-checked", "true")
    ryan.refresh_from_db()
    assert ryan.is_available is True


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_switch_posts_and_comes_back_to_the_same_page(
    browser, live_server, crm
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        ryan = _ryan()
        login(page, live_server, ryan.user)
        page.goto(f"/agent/tickets/{crm.number}/")

        page.get_by_role("switch", name=SWITCH).click()

        expect(page.get_by_role("switch", name=SWITCH)).to_have_attribute("aria-checked", "false")
        assert page.url.endswith(f"/agent/tickets/{crm.number}/")
        ryan.refresh_from_db()
        assert ryan.is_available is False
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_who_is_away_gets_no_new_ticket_and_the_timeline_says_who_did(
    page, live_server, crm
):
    it = Department.objects.get(name="IT")
    department_set_auto_assignment(department=it, policy=Department.AutoAssignment.ROUND_ROBIN)
    ryan = _ryan()
    login(page, live_server, ryan.user)
    page.goto("/agent/")
    page.get_by_role("switch", name=SWITCH).click()
    expect(page.get_by_role("switch", name=SWITCH)).to_have_attribute("aria-checked", "false")

    kevin_malone = User.objects.get(email=demo_email("Kevin Malone"))
    ticket = ticket_create(
        requester=kevin_malone,
        by=kevin_malone,
        subject="My computer won't boot",
        body="It just beeps.",
        help_topic=HelpTopic.objects.filter(department=it).first(),
    )

    assert Ticket.objects.get(pk=ticket.pk).assignee.user.display_name == "Kevin Benavides"
    login(page, live_server, User.objects.get(email=demo_email("Kevin Benavides")))
    page.goto(f"/agent/tickets/{ticket.number}/")
    expect(page.locator("#ticket-timeline")).to_contain_text(
        "System auto-assigned the ticket to Kevin Benavides (round-robin)"
    )
