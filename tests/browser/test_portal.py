"""The portal in a real browser: a guest's ticket from the form to a reply through the
emailed link, a guest who signs up and finds their tickets, and every page checked by
axe-core and photographed (test-artifacts/)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from tests.support.axe import assert_accessible
from tickets.demo import demo_load
from tickets.models import Attachment, EntryKind, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRM_TOPIC = "Business applications (CRM)"
CRM_BODY = (
    "The CRM system is down and nobody in Sales can work. If we can't make any sales, "
    "The Office is at risk of going bankrupt. Please help!"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def link_in(message, pattern: str) -> str:
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def submit_crm_ticket_as_guest(page, *, name, email, attach=True):
    page.goto("/")
    page.get_by_role("link", name="Submit a new ticket").click()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("What do you need help with?").select_option(label=CRM_TOPIC)
    page.get_by_label("Subject").fill("CRM is down")
    page.get_by_label("Description").fill(CRM_BODY)
    if attach:
        page.get_by_label("Attachments").set_input_files(
            [{"name": "crm-error.png", "mimeType": "image/png", "buffer": PNG}]
        )
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()


def test_guest_submits_the_crm_ticket_follows_the_emailed_link_and_replies(page, screenshot):
    demo_load()
    mail.outbox.clear()

    submit_crm_ticket_as_guest(page, name="Pam Beesly", email="pam.beesly@dundermifflin.example")
    ticket = Ticket.objects.get(requester__email="pam.beesly@dundermifflin.example")
    expect(page.get_by_text(f"#{ticket.number}", exact=True)).to_be_visible()
    screenshot("confirmation")
    assert_accessible(page)
    assert Attachment.objects.get(ticket=ticket).content_type == "image/png"

    [acknowledgement] = [m for m in mail.outbox if "We received your request" in m.subject]
    assert acknowledgement.to == ["pam.beesly@dundermifflin.example"]
    link = link_in(acknowledgement, r"https?://\S+/tickets/\d+/access/\S+/")

    page.goto(path_of(link))
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.number}/$"))  # key left the URL
    expect(page.get_by_role("heading", name="CRM is down")).to_be_visible()
    expect(page.get_by_text("crm-error.png")).to_be_visible()
    screenshot("ticket-as-guest")
    assert_accessible(page)

    page.get_by_label("Your reply").fill("It is still down this morning.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was added.")).to_be_visible()
    expect(page.get_by_text("It is still down this morning.")).to_be_visible()
    assert list(ticket.entries.values_list("kind", flat=True)) == [EntryKind.MESSAGE] * 2
    screenshot("ticket-after-reply")

    page.get_by_role("button", name="Mark as solved").click()
    expect(page.get_by_text("The ticket is marked as solved.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_guest_signs_up_confirms_and_sees_the_tickets_sent_before(page, screenshot):
    demo_load()
    submit_crm_ticket_as_guest(
        page, name="Pam Beesly", email="pam.beesly@dundermifflin.example", attach=False
    )
    mail.outbox.clear()

    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Your name").fill("Pam Beesly")
    page.get_by_label("Email address").fill("Pam.Beesly@dundermifflin.example")
    page.get_by_role("button", name="Send me a confirmation link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot("signup-done")
    assert_accessible(page)

    [confirmation] = mail.outbox
    link = link_in(confirmation, r"https?://\S+/accounts/confirm/\S+/")
    page.goto(path_of(link))
    screenshot("signup-confirm")
    assert_accessible(page)
    page.get_by_label("Choose a password").fill("beesly-art-school-2005")
    page.get_by_label("Type it again").fill("beesly-art-school-2005")
    page.get_by_role("button", name="Confirm and log in").click()

    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_role("link", name="CRM is down")).to_be_visible()
    screenshot("my-tickets")
    assert_accessible(page)
    user = User.objects.get(email="pam.beesly@dundermifflin.example")
    assert user.email_confirmed_at is not None and user.has_usable_password()

    page.get_by_role("link", name="CRM is down").click()
    expect(page.get_by_role("heading", name="CRM is down")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def test_every_portal_page_is_accessible_and_looks_finished(page, screenshot):
    """A tour of each page, keyboard first where it matters; screenshots for a person."""
    demo_load()
    minor = {}

    def check(name):
        screenshot(name)
        minor[name] = [v["id"] for v in assert_accessible(page)]

    page.goto("/")
    # The skip link is the first thing the keyboard reaches.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    check("home")

    page.goto("/tickets/new/")
    check("form")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_text("Please check the form")).to_be_visible()
    check("form-with-errors")

    page.goto("/accounts/login/")
    check("login")
    page.get_by_label("Email address").fill("jim.halpert@theoffice.example")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    check("login-with-errors")

    page.goto("/accounts/signup/")
    check("signup")
    page.goto("/accounts/password-reset/")
    check("password-reset")

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("jim.halpert@theoffice.example")
    page.get_by_label("Password").fill("demo")
    page.get_by_label("Password").press("Enter")  # by keyboard
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    check("ticket-list")
    page.get_by_role("link", name="CRM is down").click()
    expect(page.get_by_role("heading", name="CRM is down")).to_be_visible()
    # The internal note of the seed story is not on the page; the reply is.
    expect(page.get_by_text("maintenance update", exact=False).first).to_be_visible()
    assert "Suspect the CRM software" not in page.content()
    check("ticket")

    page.goto("/accounts/profile/")
    check("profile")
    page.get_by_label("Display name").fill("Jim")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_text("your time zone (Europe/London)")).to_be_visible()

    page.goto("/tickets/999999/")
    check("not-found")
    print("axe-core minor/moderate findings per page:", minor)


def test_a_guest_submits_a_ticket_with_the_keyboard_alone(page, screenshot):
    demo_load()
    page.goto("/tickets/new/")

    def tab_to(element_id: str) -> None:
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    tab_to("id_name")
    page.keyboard.type("Pam Beesly")
    tab_to("id_email")
    page.keyboard.type("pam@example.com")
    tab_to("id_help_topic")
    page.keyboard.press("ArrowDown")  # the first topic
    tab_to("id_subject")
    page.keyboard.type("Scanner jams")
    tab_to("id_body")
    page.keyboard.type("The scanner by reception jams on every page.")
    # The honeypot is never reached: the next stop after the files is the button.
    tab_to("id_attachments")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Submit ticket"
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    assert Ticket.objects.get(requester__email="pam@example.com").subject == "Scanner jams"


def test_requester_emails_look_right(page, screenshot):
    """Not a check a machine can make: the HTML emails, photographed for a person."""
    from tickets.outbox import render_notification
    from tickets.services import ticket_reply, ticket_submit

    demo_load()
    from tickets.models import HelpTopic, Notification

    topic = HelpTopic.objects.get(name=CRM_TOPIC)
    cast_ticket = ticket_submit(
        name="Pam Beesly",
        email="pam@example.com",
        help_topic=topic,
        subject="CRM is down",
        body=CRM_BODY,
    )
    agent = User.objects.get(email="kevin.benavides@theoffice.example")
    ticket_reply(ticket=cast_ticket, body="Hi Pam,\n\nThe vendor is updating it.", by=agent)
    for notification in Notification.objects.filter(ticket=cast_ticket).exclude(
        recipient__agent__isnull=False
    ):
        html = render_notification(notification).alternatives[0][0]
        page.set_content(html)
        screenshot(f"email-{notification.kind}")
        assert_accessible(page)
