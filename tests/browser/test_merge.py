"""Kevin Benavides merges two more CRM tickets into Jim's from the ticket page, sees the
threads in one timeline, undoes one merge and sees that ticket apart again."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.test_agent_desk import axe_violations, login
from tickets.demo import demo_email
from tickets.models import HelpTopic, Status, Ticket
from tickets.services import ticket_create


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_merge_from_the_ticket_page_and_undo(page, live_server, crm, screenshot):
    kevin = User.objects.get(email=demo_email("Kevin Benavides"))
    angela = User.objects.get(email=demo_email("Angela Martin"))
    topic = HelpTopic.objects.get(name="Business applications (CRM)")
    other = ticket_create(
        requester=angela,
        by=angela,
        subject="CRM will not load",
        body="Accounting cannot open the CRM either.",
        help_topic=topic,
    )
    login(page, live_server, kevin)

    page.goto(f"/agent/tickets/{other.number}/")
    page.get_by_label("Merge this ticket into").fill(str(crm.number))
    page.get_by_role("button", name="Merge…").click()
    expect(page.get_by_role("heading", name=f"Merge 1 ticket into #{crm.number}")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"Merge into #{crm.number}").click()

    expect(page).to_have_url(f"{live_server.url}/agent/tickets/{crm.number}/")
    expect(page.get_by_text(f"Merged #{other.number} into #{crm.number}")).to_be_visible()
    timeline = page.locator("#ticket-timeline")
    expect(timeline.get_by_text("Accounting cannot open the CRM either.")).to_be_visible()
    expect(timeline.get_by_text(f"from #{other.number}", exact=True)).to_be_visible()
    expect(timeline.get_by_text("nobody in Sales can work")).to_be_visible()
    assert axe_violations(page) == []
    screenshot("merged")

    # The merged ticket's page leads here.
    page.goto(f"/agent/tickets/{other.number}/")
    expect(page).to_have_url(f"{live_server.url}/agent/tickets/{crm.number}/")
    expect(
        page.get_by_text(f"Ticket #{other.number} was merged into #{crm.number}")
    ).to_be_visible()

    page.get_by_role("button", name=f"Undo the merge of #{other.number}").click()
    expect(page).to_have_url(f"{live_server.url}/agent/tickets/{other.number}/")
    expect(page.get_by_text("Merge undone")).to_be_visible()
    expect(page.locator("#ticket-timeline").get_by_text("Accounting cannot open")).to_be_visible()
    screenshot("undone")

    page.goto(f"/agent/tickets/{crm.number}/")
    expect(page.locator("#ticket-timeline").get_by_text("Accounting cannot open")).to_have_count(0)
    other.refresh_from_db()
    assert other.status == Status.OPEN and other.merged_into_id is None
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 0
