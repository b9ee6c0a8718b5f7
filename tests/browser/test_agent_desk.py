"""The agent workspace in Chromium: the seed story, collisions, bulk actions, accessibility.

The seed story (../shared/seeds): Kevin Benavides claims Jim Halpert's CRM ticket, sets the
Critical plan, notes what he ruled out, replies to Jim and resolves it; he assigns Kevin
Malone's computer to Ryan Howard on High Priority, and Ryan notes the kicked power strip
and resolves it; Angela's monitor goes to Ryan on Standard and is resolved after the
replacement. The tickets arrive as the requesters' submissions (ticket_create); every agent
step is clicked in the browser.
"""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from desk import presence
from sla.models import SLAPlan
from tests.support.axe import BLOCKING_IMPACTS
from tests.support.axe import axe_violations as all_axe_violations
from tickets.clocks import sla_sweep
from tickets.demo import demo_email, demo_load
from tickets.models import EntryKind, HelpTopic, Status, Ticket
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_claim,
    ticket_create,
    ticket_reply,
    ticket_set_plan,
)


def login(page, live_server, user) -> None:
    """Sign in by session cookie: the login pages belong to the portal (issue 4)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def person(name: str) -> User:
    return User.objects.get(email=demo_email(name))


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    return [v for v in all_axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]


@pytest.fixture
def office(db):
    """The demo's configuration and people, and the three tickets as they arrive."""
    demo_load()
    Ticket.objects.all().delete()  # the story is walked here, in the browser
    topics = {t.name: t for t in HelpTopic.objects.all()}
    crm = ticket_create(
        requester=person("Jim Halpert"),
        by=person("Jim Halpert"),
        subject="CRM is down",
        body="The CRM system is down and nobody in Sales can work. Please help!",
        help_topic=topics["Business applications (CRM)"],
    )
    boot = ticket_create(
        requester=person("Kevin Malone"),
        by=person("Kevin Malone"),
        subject="My computer won't boot",
        body="My computer won't turn on. I can't work without it!",
        help_topic=topics["Computer or hardware problem"],
    )
    monitor = ticket_create(
        requester=person("Angela Martin"),
        by=person("Angela Martin"),
        subject="My monitor keeps flickering",
        body="My monitor keeps flickering and it's driving me crazy.",
        help_topic=topics["Monitor and peripherals"],
    )
    return {"crm": crm, "boot": boot, "monitor": monitor}


def open_ticket(page, subject: str) -> None:
    page.goto("/agent/")
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject)


def act(page, button: str, expect_text: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("#ticket-body .alert-success")).to_contain_text(expect_text)


def choose(page, label: str, option: str, button: str, expect_text: str) -> None:
    page.get_by_label(label, exact=True).select_option(label=option)
    act(page, button, expect_text)


def write(page, box: str, text: str, button: str, expect_text: str) -> None:
    page.get_by_label(box, exact=True).fill(text)
    act(page, button, expect_text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_seed_story(page, live_server, screenshot, office, browser):
    kevin, ryan = person("Kevin Benavides"), person("Ryan Howard")
    login(page, live_server, kevin)

    # 1. CRM is down: Kevin takes it himself.
    page.goto("/agent/?view=unassigned")
    expect(page.get_by_role("link", name="CRM is down")).to_be_visible()
    screenshot("queue-unassigned")
    assert axe_violations(page) == []
    open_ticket(page, "CRM is down")
    page.evaluate("window.__notReloaded = true")
    act(page, "Claim", "You claimed the ticket.")
    assert page.evaluate("window.__notReloaded === true")  # htmx swapped, no page load
    choose(page, "SLA plan", "Critical", "Set plan", "SLA plan changed")
    write(
        page,
        "Note for agents",
        "Ruled out: internet outage (other sites load), server outage (servers up), "
        "security breach (no alerts), account issues (all of Sales affected). "
        "CRM support: maintenance update running.",
        "Add internal note",
        "Internal note added",
    )
    page.get_by_label("Canned response").select_option(label="We're on it")
    page.get_by_role("button", name="Insert canned response").click()
    expect(page.get_by_label("Your reply")).to_have_value(
        "Thanks for letting us know. An IT agent has picked up your ticket and will be "
        "in touch shortly."
    )
    write(
        page,
        "Your reply",
        "Hi Jim, the CRM vendor is doing a maintenance update; it will be back as soon as "
        "their update finishes.",
        "Send reply to requester",
        "Reply sent",
    )
    screenshot("crm-before-resolve")
    assert axe_violations(page) == []
    act(page, "Resolve", "Ticket resolved.")
    expect(page.locator("#ticket-body header")).to_contain_text("Resolved")
    screenshot("crm-resolved")

    # 2. Kevin Malone's computer: to Ryan, on High Priority.
    open_ticket(page, "My computer won't boot")
    choose(page, "Assign to", "Ryan Howard", "Assign", "Assignment saved.")
    choose(page, "SLA plan", "High Priority", "Set plan", "SLA plan changed")
    # 3. Angela's monitor: to Ryan, on Standard.
    open_ticket(page, "My monitor keeps flickering")
    choose(page, "Assign to", "Ryan Howard", "Assign", "Assignment saved.")
    choose(page, "SLA plan", "Standard", "Set plan", "SLA plan changed")

    # Ryan works his two tickets from his own queue.
    ryan_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    ryan_page = ryan_context.new_page()
    try:
        login(ryan_page, live_server, ryan)
        ryan_page.goto("/agent/?view=mine")
        expect(ryan_page.get_by_role("link", name="My computer won't boot")).to_be_visible()
        expect(ryan_page.get_by_role("link", name="My monitor keeps flickering")).to_be_visible()
        screenshot_of(ryan_page, "ryan-mine")
        ryan_page.get_by_role("link", name="My computer won't boot").click()
        write(
            ryan_page,
            "Note for agents",
            "Kevin had kicked the power strip out of the outlet. Plugged it back in, "
            "Safe Mode: no errors.",
            "Add internal note",
            "Internal note added",
        )
        write(
            ryan_page,
            "Your reply",
            "Hi Kevin, your power strip was unplugged; all good now.",
            "Send reply to requester",
            "Reply sent",
        )
        act(ryan_page, "Resolve", "Ticket resolved.")
        ryan_page.goto("/agent/?view=mine")
        ryan_page.get_by_role("link", name="My monitor keeps flickering").click()
        write(
            ryan_page,
            "Note for agents",
            "Confirmed the flicker; replaced the monitor from IT inventory and tested it.",
            "Add internal note",
            "Internal note added",
        )
        write(
            ryan_page,
            "Your reply",
            "Hi Angela, your monitor has been replaced: no more flicker.",
            "Send reply to requester",
            "Reply sent",
        )
        act(ryan_page, "Resolve", "Ticket resolved.")
        screenshot_of(ryan_page, "monitor-resolved")
    finally:
        ryan_context.close()

    crm, boot, monitor = (
        Ticket.objects.select_related("assignee__user", "sla_plan").get(pk=t.pk)
        for t in office.values()
    )
    assert (crm.status, crm.assignee.user, crm.sla_plan.name) == (
        Status.RESOLVED,
        kevin,
        "Critical",
    )
    assert (boot.status, boot.assignee.user, boot.sla_plan.name) == (
        Status.RESOLVED,
        ryan,
        "High Priority",
    )
    assert (monitor.status, monitor.assignee.user, monitor.sla_plan.name) == (
        Status.RESOLVED,
        ryan,
        "Standard",
    )
    for ticket in (crm, boot, monitor):
        kinds = list(ticket.entries.values_list("kind", flat=True))
        assert kinds == [EntryKind.MESSAGE, EntryKind.NOTE, EntryKind.REPLY]

    page.goto("/agent/?view=done")
    screenshot("queue-done")


def screenshot_of(page, name: str) -> None:
    from tests.support.browser_harness import save_screenshot

    save_screenshot(page, f"test_the_seed_story-{name}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sla_colours_and_accessibility_of_a_busy_queue(page, live_server, screenshot, office):
    kevin = person("Kevin Benavides")
    topics = {t.name: t for t in HelpTopic.objects.all()}
    pam = User.objects.create_user("pam.beesly@theoffice.example", display_name="Pam Beesly")
    critical = SLAPlan.objects.get(name="Critical")  # around the clock: states are certain
    now = timezone.now()

    def arrive(minutes_ago, subject):
        with time_machine.travel(now - dt.timedelta(minutes=minutes_ago), tick=False):
            ticket = ticket_create(
                requester=pam,
                by=pam,
                subject=subject,
                body="Please help.",
                help_topic=topics["Account access"],
            )
            ticket_set_plan(ticket=ticket, plan=critical, by=kevin)
        return ticket

    arrive(40, "Printer on floor 2 jams")  # first response (15 min) missed: red
    arrive(12, "VPN drops every 10 minutes")  # past 75% of it: amber
    arrive(2, "Need a new headset")  # on track
    # A ticket worked for a while; Jim's follow-up went unanswered past 30 minutes.
    jim = person("Jim Halpert")
    with time_machine.travel(now - dt.timedelta(minutes=50), tick=False):
        crm = ticket_create(
            requester=jim,
            by=jim,
            subject="CRM reports are empty",
            body="The weekly sales report in the CRM shows no rows.",
            help_topic=topics["Business applications (CRM)"],
        )
    with time_machine.travel(now - dt.timedelta(minutes=48), tick=False):
        ticket_claim(ticket=crm, by=kevin)
        ticket_set_plan(ticket=crm, plan=critical, by=kevin)
        ticket_add_note(ticket=crm, body="Checking the CRM report server first.", by=kevin)
        ticket_reply(ticket=crm, body="We are on it, Jim.", by=kevin)
    with time_machine.travel(now - dt.timedelta(minutes=35), tick=False):
        ticket_add_message(ticket=crm, body="Any news? Sales is waiting.", by=jim)
    sla_sweep()

    login(page, live_server, kevin)
    page.goto("/agent/")
    expect(page.locator(".sla-breached").first).to_be_visible()
    screenshot("queue-open")
    assert axe_violations(page) == []
    page.goto("/agent/?view=at_risk")
    screenshot("queue-at-risk")
    page.goto("/agent/?priority=2&sort=priority")
    screenshot("queue-filtered")
    page.goto(f"/agent/tickets/{crm.number}/")
    expect(page.locator("[aria-label='SLA clocks'] .sla-breached")).to_be_visible()
    screenshot("ticket-breached")
    assert axe_violations(page) == []
    page.goto("/agent/search/?q=print")
    expect(page.get_by_role("link", name="Printer on floor 2 jams")).to_be_visible()
    screenshot("search")
    assert axe_violations(page) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_collisions_show_writers_and_hold_back_a_blind_reply(
    page, live_server, screenshot, office, browser, monkeypatch
):
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 1)
    kevin, ryan = person("Kevin Benavides"), person("Ryan Howard")
    crm = office["crm"]
    login(page, live_server, kevin)
    page.goto(f"/agent/tickets/{crm.number}/")

    ryan_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    ryan_page = ryan_context.new_page()
    try:
        login(ryan_page, live_server, ryan)
        ryan_page.goto(f"/agent/tickets/{crm.number}/")
        expect(ryan_page.locator("#viewers")).to_contain_text("Kevin Benavides is viewing")
        ryan_page.get_by_label("Your reply").fill("Hi Jim, please restart the CRM client.")
        expect(page.locator("#viewers")).to_contain_text("Ryan Howard is writing", timeout=5000)
        screenshot("kevin-sees-ryan-writing")

        # Jim writes while Ryan is typing: Ryan is told, and his reply is held back.
        ticket_add_message(
            ticket=crm, body="Never mind, it's working again!", by=person("Jim Halpert")
        )
        expect(ryan_page.locator("#viewers")).to_contain_text("wrote 1 new message", timeout=5000)
        ryan_page.get_by_role("button", name="Send reply to requester").click()
        expect(ryan_page.locator("#ticket-body .alert-warning").first).to_contain_text(
            "your reply was not sent"
        )
        expect(ryan_page.get_by_label("Your reply")).to_have_value(
            "Hi Jim, please restart the CRM client."
        )
        expect(ryan_page.locator(".timeline")).to_contain_text("Never mind, it's working again!")
        screenshot_of_test(ryan_page, "collision-held-back")
        assert not crm.entries.filter(kind=EntryKind.REPLY).exists()
        ryan_page.get_by_label("Your reply").fill("Great to hear, Jim. Resolving this ticket.")
        ryan_page.get_by_role("button", name="Send reply to requester").click()
        expect(ryan_page.locator("#ticket-body .alert-success")).to_contain_text("Reply sent")
        assert crm.entries.filter(kind=EntryKind.REPLY).count() == 1
    finally:
        ryan_context.close()


def screenshot_of_test(page, name: str) -> None:
    from tests.support.browser_harness import save_screenshot

    save_screenshot(page, f"test_collisions_show_writers_and_hold_back_a_blind_reply-{name}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bulk_actions_from_the_queue(page, live_server, screenshot, office):
    kevin = person("Kevin Benavides")
    login(page, live_server, kevin)
    page.goto("/agent/?view=unassigned")
    page.get_by_label(f"Select ticket #{office['boot'].number}").check()
    page.get_by_label(f"Select ticket #{office['monitor'].number}").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.get_by_label("With selected").select_option(label="Assign to…")
    page.get_by_label("Agent", exact=True).select_option(label="Ryan Howard")
    screenshot("bulk-before")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#queue-results .alert-success")).to_contain_text("2 tickets updated")
    screenshot("bulk-after")
    page.get_by_label(f"Select ticket #{office['crm'].number}").check()
    page.get_by_label("With selected").select_option(label="Set priority…")
    page.get_by_label("Priority", exact=True).last.select_option(label="Urgent")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#queue-results .alert-success")).to_contain_text("1 ticket updated")
    crm = Ticket.objects.get(pk=office["crm"].pk)
    assert crm.priority == 4
    assert set(
        Ticket.objects.filter(pk__in=[office["boot"].pk, office["monitor"].pk]).values_list(
            "assignee__user__email", flat=True
        )
    ) == {"ryan.howard@theoffice.example"}
