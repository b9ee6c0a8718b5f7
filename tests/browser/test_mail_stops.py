"""A bounced address on the agent's ticket page, in Chromium: the notice beside Jim, and
"Send mail again" clearing it in place."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import SYSTEM
from tests.browser.test_agent_desk import axe_violations, login
from tests.support.browser_harness import ARTIFACTS_DIR
from tickets.demo import demo_email
from tickets.models import MailSuppression
from tickets.services import DeliveryFailure, ticket_record_bounce

DIAGNOSTIC = "550 5.1.1 Recipient address rejected: User unknown"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_agent_sees_the_bounce_and_sends_mail_again(page, live_server, crm, screenshot):
    ticket_record_bounce(
        ticket=crm,
        failures=[DeliveryFailure(crm.requester.email, True, "5.1.1", DIAGNOSTIC)],
        by=SYSTEM,
    )
    login(page, live_server, User.objects.get(email=demo_email("Kevin Benavides")))

    page.goto(f"/agent/tickets/{crm.number}/")

    aside = page.locator("#ticket-aside")
    notice = aside.get_by_role("status").filter(has_text="Mail to this address bounces")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("5.1.1: 550 5.1.1 Recipient address rejected")
    expect(page.get_by_text(f"Mail to {crm.requester.email} bounced")).to_be_visible()
    assert axe_violations(page) == []
    screenshot("page")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    aside.screenshot(path=ARTIFACTS_DIR / "mail-stops-aside.png")

    notice.get_by_role("button", name="Send mail again").click()

    expect(page.get_by_text("Mail to that address is sent again.")).to_be_visible()
    expect(aside.get_by_text("Mail to this address bounces")).to_have_count(0)
    assert not MailSuppression.objects.get().is_active
    aside.screenshot(path=ARTIFACTS_DIR / "mail-stops-aside-cleared.png")
