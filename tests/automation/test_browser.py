"""In Chromium: an admin writes the printer rule in the admin and looks at its dry run; a
requester's printer ticket from the portal lands in IT at high priority, and the agent's
timeline names the rule."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser_harness import save_screenshot
from tests.support.factories import HelpTopicFactory
from tickets.models import Priority, Ticket

EMAIL = "kevin.benavides@theoffice.example"
PASSWORD = "correct-horse-battery-staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_printer_rule_from_the_admin_to_the_timeline(
    page, screenshot, desk, settings, tmp_path, live_server
):
    settings.MEDIA_ROOT = tmp_path
    HelpTopicFactory(name="Orders", department=desk.sales)
    get_user_model().objects.create_superuser(email=EMAIL, password=PASSWORD)
    log_in(page, EMAIL, PASSWORD)

    page.goto("/admin/automation/rule/add/")
    page.locator("#id_name").fill("Route printer tickets")
    page.locator("#id_order").fill("10")
    page.locator("#id_trigger").select_option("ticket_created")
    page.locator("#id_conditions-0-field").select_option("subject")
    page.locator("#id_conditions-0-operator").select_option("contains")
    page.locator("#id_conditions-0-value").fill("printer")
    page.locator("#id_actions-0-kind").select_option("transfer")
    page.locator("#id_actions-0-department").select_option(label="IT")
    page.get_by_text("Add another Action").click()
    page.locator("#id_actions-1-order").fill("1")
    page.locator("#id_actions-1-kind").select_option("set_priority")
    page.locator("#id_actions-1-priority").select_option(label="High")
    screenshot("rule-form")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    screenshot("rule-saved")

    page.get_by_role("link", name="Tickets it would match now").click()
    expect(page.locator("#dry-run-none")).to_have_text("No ticket matches now.")

    # A requester writes about a printer through the portal, to Sales.
    portal = page.context.browser.new_context(base_url=live_server.url).new_page()
    portal.goto("/tickets/new/")
    portal.get_by_label("Your name").fill("Pam Beesly")
    portal.get_by_label("Email address").fill("pam@example.com")
    portal.get_by_label("What do you need help with?").select_option(label="Orders")
    portal.get_by_label("Subject").fill("The printer on floor 2 prints blank pages")
    portal.get_by_label("Description").fill("Every page comes out blank.")
    portal.locator("form button[type=submit]").last.click()
    expect(portal.get_by_text(re.compile(r"#\d+")).first).to_be_visible()

    ticket = Ticket.objects.get()
    assert ticket.department == desk.it and ticket.priority == Priority.HIGH

    page.goto("/admin/automation/rule/")
    page.get_by_role("link", name="Tickets it would match now").click()
    expect(page.locator("#dry-run-tickets")).to_contain_text(ticket.subject)
    assert_accessible(page)
    screenshot("dry-run")

    desk.agent.user.set_password(PASSWORD)
    desk.agent.user.save()
    agent = page.context.browser.new_context(base_url=live_server.url).new_page()
    log_in(agent, desk.agent.user.email, PASSWORD)
    agent.goto(f"/agent/tickets/{ticket.number}/")
    timeline = agent.locator("#ticket-timeline")
    expect(timeline).to_contain_text(
        "transferred the ticket from Sales to IT by rule 'Route printer tickets'"
    )
    expect(timeline).to_contain_text(
        "changed the priority from Normal to High by rule 'Route printer tickets'"
    )
    save_screenshot(agent, "automation-printer-timeline")
