"""Two-factor in Chromium: an agent's first login sets up an authenticator app (the test
reads the key from the page and computes the codes, as the app would), lands in the desk;
the next login asks for a code and trusts the browser; the one after asks for nothing."""

import re
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from accounts.services import agent_create, department_create, user_create
from tests.support.axe import assert_accessible
from tests.support.two_factor import code_for, enrolled

EMAIL = "ryan.howard@theoffice.example"
PASSWORD = "correct-horse-battery-staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent(settings):
    settings.REQUIRE_STAFF_2FA = True
    it = department_create(name="IT")
    user = user_create(email=EMAIL, password=PASSWORD, display_name="Ryan Howard")
    agent_create(user=user, departments={it: "agent"})
    return user


def log_in(page):
    page.goto("/agent/")
    expect(page).to_have_url("/accounts/login/?next=/agent/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def test_an_agent_enrols_then_logs_in_with_a_code_and_trusts_the_browser(page, agent, screenshot):
    log_in(page)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next=/agent/$"))
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_alt_text(re.compile("QR code"))).to_be_visible()
    # Anywhere else, before the second factor: back to enrolment.
    page.goto("/agent/")
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    assert_accessible(page)
    screenshot("enrol")

    key = b32decode(page.locator("#totp-secret").inner_text().replace(" ", "")).hex()
    page.get_by_label("Code from your app").fill(code_for(key))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    assert_accessible(page)
    screenshot("recovery-codes")
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page).to_have_url("/agent/")
    expect(page.locator("#main h1")).to_be_visible()
    page.goto("/accounts/profile/")
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    # Required for agents: it cannot be turned off here.
    expect(page.get_by_role("button", name="Turn off two-factor authentication")).to_have_count(0)
    screenshot("profile")
    log_out(page)

    log_in(page)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page)
    screenshot("code-step")
    # The app's next code: the one typed at enrolment is never taken twice.
    page.locator("#id_code").fill(code_for(key, offset=30))
    page.get_by_label("Trust this browser for 30 days").check()
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url("/agent/")
    expect(page.locator("#main h1")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "trusted_browser")
    assert cookie["httpOnly"]
    log_out(page)

    log_in(page)  # a trusted browser: no code asked
    expect(page).to_have_url("/agent/")
    expect(page.locator("#main h1")).to_be_visible()


def test_a_wrong_code_says_so(page, agent, screenshot):
    enrolled(agent)
    log_in(page)
    page.locator("#id_code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    screenshot("wrong-code")
