"""Custom fields in a real browser: picking the Hardware topic on the new-ticket form
brings its questions (htmx), the ticket holds the answers, and the agent edits them on
the ticket page. Every page checked by axe-core and photographed."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_agent_desk import login, person
from tests.support.axe import assert_accessible
from tickets.demo import HARDWARE_TOPIC, demo_load
from tickets.models import EventKind, Ticket, TicketEvent, TicketFieldValue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/fields")


def _keep(path: Path) -> None:
    """A copy for looking at by hand, outside the repository (when the folder exists)."""
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def test_the_hardware_topic_asks_for_the_asset_tag(page, live_server, screenshot):
    demo_load()
    login(page, live_server, person("Angela Martin"))
    page.goto("/tickets/new/")
    expect(page.get_by_label("Asset tag")).to_have_count(0)
    page.get_by_label("What do you need help with?").select_option(label=HARDWARE_TOPIC)
    expect(page.get_by_label("Asset tag")).to_be_visible()
    expect(page.get_by_text("The number on the silver sticker under the laptop")).to_be_visible()
    page.get_by_label("Asset tag").fill("DM-0007")
    page.get_by_label("Office floor").select_option(label="2nd floor (accounting)")
    page.get_by_label("Subject").fill("Keyboard missing keys")
    page.get_by_label("Description").fill("The E key came off.")
    _keep(screenshot("form"))
    assert_accessible(page)
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    ticket = Ticket.objects.get(subject="Keyboard missing keys")
    assert TicketFieldValue.objects.get(ticket=ticket, field__name="asset_tag").value_text == (
        "DM-0007"
    )

    page.goto(f"/tickets/{ticket.number}/")
    expect(page.get_by_text("DM-0007")).to_be_visible()
    _keep(screenshot("portal-ticket"))

    page.context.clear_cookies()
    login(page, live_server, person("Ryan Howard"))
    page.goto(f"/agent/tickets/{ticket.number}/")
    details = page.locator("#ticket-fields")
    expect(details.get_by_label("Asset tag")).to_have_value("DM-0007")
    details.get_by_label("Asset tag").fill("DM-0008")
    details.get_by_role("button", name="Save fields").click()
    expect(page.get_by_text("changed Asset tag from DM-0007 to DM-0008")).to_be_visible()
    _keep(screenshot("agent-ticket"))
    assert_accessible(page)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FIELDS_CHANGED).count() == 1

    page.goto("/agent/")
    page.get_by_label("Custom field").select_option(label="Office floor: 2nd floor (accounting)")
    expect(page.get_by_role("link", name="Keyboard missing keys")).to_be_visible()
    _keep(screenshot("queue-filter"))
