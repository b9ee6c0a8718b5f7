"""A colleague copied on Jim's ticket signs in, finds it among her tickets and answers it."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import SYSTEM
from tickets.demo import DEMO_PASSWORD, demo_email
from tickets.services import ticket_add_collaborator, ticket_reply


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_collaborator_follows_and_answers_in_the_portal(page, live_server, crm, screenshot):
    angela = User.objects.get(email=demo_email("Angela Martin"))
    ticket_add_collaborator(ticket=crm, user=angela, by=SYSTEM)
    ryan = User.objects.get(email=demo_email("Ryan Howard"))
    ticket_reply(ticket=crm, body="Restarting the CRM server now.", by=ryan)

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(angela.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/tickets/")
    page.get_by_role("link", name="CRM is down").click()
    expect(page.get_by_text("you follow it")).to_be_visible()
    expect(page.get_by_text("Restarting the CRM server now.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as solved")).to_have_count(0)

    page.get_by_label("Your reply").fill("Accounting cannot reach it either.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was added.")).to_be_visible()
    expect(page.get_by_text("Accounting cannot reach it either.")).to_be_visible()
    screenshot("collaborator")
    assert crm.entries.order_by("-id").first().author == angela
