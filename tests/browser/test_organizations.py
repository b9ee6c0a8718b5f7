"""Organizations in a real browser: the demo's The Office on Angela's new ticket's page,
with her colleagues' open tickets, and "see all" opening the queue filtered by it. Both
pages checked by axe-core and photographed."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.test_agent_desk import login, person
from tests.support.axe import assert_accessible
from tickets.demo import demo_email, demo_load
from tickets.models import HelpTopic
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_requesters_organization_and_its_open_tickets(page, live_server, screenshot):
    demo_load()
    topic = HelpTopic.objects.get(name="Account access")
    opened = {}
    for name, subject in [
        ("Angela Martin", "Cannot log in to payroll"),
        ("Jim Halpert", "Dwight moved my desk into the kitchen"),
    ]:
        requester = User.objects.get(email=demo_email(name))
        opened[name] = ticket_create(
            requester=requester, by=requester, subject=subject, body="Help.", help_topic=topic
        )

    login(page, live_server, person("Ryan Howard"))
    page.goto(f"/agent/tickets/{opened['Angela Martin'].number}/")
    part = page.locator(".requester-organization")
    expect(part).to_contain_text("The Office › Accounting")
    expect(part).to_contain_text("1 other open ticket")
    expect(part.get_by_role("link", name="Dwight moved my desk")).to_be_visible()
    screenshot("ticket-page")
    assert_accessible(page)

    part.get_by_role("link", name="See all of The Office's open tickets").click()
    expect(page.get_by_label("Organization")).to_have_value(
        str(opened["Angela Martin"].requester.organization_id)
    )
    expect(page.get_by_role("link", name="Cannot log in to payroll")).to_be_visible()
    expect(page.get_by_role("link", name="Dwight moved my desk into the kitchen")).to_be_visible()
    screenshot("queue")
    assert_accessible(page)
