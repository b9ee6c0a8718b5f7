"""The Content-Security-Policy holds in Chromium on the pages the other browser tests do
not walk: the Django admin's lists and forms (every browser test fails on any violation,
tests/support/browser_harness.py), and the policy does block what it must."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from mail.demo import demo_mailboxes
from tickets.demo import DEMO_PASSWORD, demo_email
from tickets.models import Notification, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_MODELS = [
    "tickets/ticket",
    "tickets/helptopic",
    "tickets/cannedresponse",
    "accounts/user",
    "accounts/department",
    "accounts/agent",
    "sla/slaplan",
    "sla/businesscalendar",
    "mail/mailbox",
    "mail/inboundmessage",
]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_admin_lists_and_forms_break_no_rule(page, crm, screenshot):
    demo_mailboxes()
    log_in(page, demo_email("Kevin Benavides"))
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    for model in ADMIN_MODELS:
        page.goto(f"/admin/{model}/")
        expect(page.locator("#changelist, #content-main").first).to_be_visible()
        if page.locator(".object-tools a.addlink").count():  # the model can be added
            page.goto(f"/admin/{model}/add/")
            expect(page.locator("#content-main")).to_be_visible()
    page.goto(f"/admin/tickets/ticket/{Ticket.objects.get(pk=crm.pk).pk}/change/")
    expect(page.locator("#content-main")).to_be_visible()
    page.goto("/admin/accounts/user/")
    page.locator("#nav-filter").fill("mail")  # the sidebar's filter: the admin's own script
    expect(page.locator("#nav-sidebar").get_by_role("link", name="Mailboxes")).to_be_visible()
    expect(page.locator("#nav-sidebar").get_by_role("link", name="Users")).to_be_hidden()
    page.locator("#searchbar").fill("jim")
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 user", exact=True)).to_be_visible()
    screenshot("admin-users")


@pytest.mark.csp_violations_expected
def test_script_injected_into_a_page_is_refused(page, crm):
    """What escaping would let through is stopped by the policy: the browser refuses an
    inline script and reports it (the harness's listener hears the report)."""
    log_in(page, demo_email("Jim Halpert"))
    page.goto(reverse("portal:ticket", kwargs={"number": crm.number}))
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__ran = true";
            document.body.append(s);
        }"""
    )
    assert page.evaluate("() => window.__ran === true") is False
    page.wait_for_function("() => true")  # let the violation event be delivered
    assert any("script-src" in v for v in page.csp_violations), page.csp_violations


def test_the_emails_html_preview_renders_in_its_own_frame(page, crm, screenshot):
    """Email HTML is styled inline, as mail clients need; the admin shows it in a sandboxed
    frame with a policy of its own, so the page's policy holds and the email looks right."""
    acknowledgement = Notification.objects.filter(ticket=crm).order_by("id").first()
    log_in(page, demo_email("Kevin Benavides"))
    page.goto(f"/admin/tickets/notification/{acknowledgement.pk}/change/")
    frame = page.frame_locator("iframe.email-preview")
    expect(frame.get_by_text("CRM is down", exact=False).first).to_be_visible()
    # The inline styles applied inside the frame (its policy allows them, ours does not).
    marker = frame.get_by_text("Please type your reply above this line")
    assert marker.evaluate("p => getComputedStyle(p).fontSize") == "12px"
    screenshot("email-preview")
