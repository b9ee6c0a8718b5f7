"""Tags and time spent in a real browser: Kevin Benavides tags Jim's CRM ticket on its
page (htmx), finds it by the tag in the search box and the queue's filter, logs time on
his own and with a note, and sees the totals. Pages checked by axe-core and photographed."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_agent_desk import login, person
from tests.support.axe import assert_accessible
from tickets.demo import demo_load
from tickets.models import Ticket, TimeEntry
from tickets.services import ticket_add_tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/tags")


def _keep(path: Path) -> None:
    """A copy for looking at by hand, outside the repository (when the folder exists)."""
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def test_an_agent_tags_a_ticket_finds_it_and_logs_time(page, live_server, screenshot):
    demo_load()
    ticket = Ticket.objects.filter(subject__icontains="CRM").order_by("created_at").first()
    login(page, live_server, person("Kevin Benavides"))
    page.goto(f"/agent/tickets/{ticket.number}/")
    tags = page.locator("#ticket-tags")
    tags.get_by_label("Add a tag").fill("crm-outage")
    tags.get_by_role("button", name="Add tag").click()
    expect(page.locator("#ticket-tags").get_by_role("link", name="crm-outage")).to_be_visible()
    expect(page.get_by_text("tagged the ticket crm-outage")).to_be_visible()

    time = page.locator("#ticket-time")
    time.get_by_label("Minutes").fill("25")
    time.get_by_label("What on (optional)").fill("Restarted the CRM server")
    time.get_by_role("button", name="Log time").click()
    expect(page.locator("#time-total")).to_have_text("25 min")

    note = page.locator("#note-form")
    note.get_by_label("Note for agents").fill("Vendor says it was a certificate.")
    note.get_by_label("Time spent (minutes, optional)").fill("40")
    note.get_by_role("button", name="Add internal note").click()
    expect(page.locator("#time-total")).to_have_text("1 h 5 min")
    expect(page.get_by_text("logged 40 min spent on a note")).to_be_visible()
    _keep(screenshot("ticket"))
    assert_accessible(page)
    assert sorted(TimeEntry.objects.values_list("minutes", flat=True)) == [25, 40]

    page.goto("/agent/search/?q=outage")
    expect(page.get_by_role("link", name=ticket.subject).first).to_be_visible()
    _keep(screenshot("search"))

    page.goto("/agent/?view=all")
    page.get_by_label("Tag", exact=True).select_option(label="crm-outage")
    expect(page.get_by_role("link", name=ticket.subject)).to_be_visible()
    _keep(screenshot("queue"))
    assert_accessible(page)


def test_the_queue_shows_tags_as_chips_that_filter(page, live_server, screenshot):
    demo_load()
    kevin = person("Kevin Benavides")
    crm = Ticket.objects.filter(subject__icontains="CRM").order_by("created_at").first()
    others = Ticket.objects.exclude(pk=crm.pk).order_by("created_at")[:2]
    outage = ticket_add_tag(ticket=crm, name="crm-outage", by=kevin)
    ticket_add_tag(ticket=crm, name="Sales floor", by=kevin)
    for other in others:
        ticket_add_tag(ticket=other, name="hardware", by=kevin)
    login(page, live_server, kevin)

    page.goto("/agent/?view=all")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=crm.subject))
    expect(row.get_by_role("link", name="crm-outage")).to_be_visible()
    expect(row.get_by_role("link", name="Sales floor")).to_be_visible()
    # Every column, the last update included, fits a 1280-pixel window without scrolling
    # the table sideways (the Tags column once pushed "Updated" out of view).
    overflow = page.evaluate(
        "() => { const box = document.querySelector('#queue-results .table-responsive');"
        " return box.scrollWidth - box.clientWidth; }"
    )
    assert overflow <= 0, f"the queue table is {overflow} px wider than its box"
    path = screenshot("queue-tags")
    if SHOTS.parent.is_dir():
        (SHOTS.parent / "queue-tags").mkdir(exist_ok=True)
        shutil.copy(path, SHOTS.parent / "queue-tags" / path.name)
    assert_accessible(page)

    row.get_by_role("link", name="crm-outage").click()
    expect(page).to_have_url(f"{live_server.url}/agent/?view=all&tag={outage.pk}")
    expect(page.get_by_label("Tag", exact=True)).to_have_value(str(outage.pk))
    rows = page.locator("#queue-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name=crm.subject)).to_be_visible()
