"""A person sees where they are signed in on their profile page and signs a lost phone out."""

import pytest
from playwright.sync_api import expect

from tests.support.axe import assert_accessible
from tests.support.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url("/accounts/login/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_jim_signs_his_phone_out_from_the_profile_page(page, browser, live_server, screenshot):
    jim = UserFactory(email="jim.halpert@theoffice.example", display_name="Jim Halpert")
    jim.set_password(PASSWORD)
    jim.save()
    phone_context = browser.new_context(base_url=live_server.url, user_agent=SAFARI_IPHONE)
    try:
        phone = phone_context.new_page()
        log_in(phone, jim.email)
        log_in(page, jim.email)

        page.goto("/accounts/profile/")
        sessions = page.get_by_role("region", name="Where you are signed in")
        expect(sessions.get_by_text("Safari on iPhone", exact=True)).to_be_visible()
        expect(sessions.get_by_text("This session")).to_be_visible()
        assert_accessible(page)
        screenshot("sessions")

        sessions.get_by_role("button", name="Sign out Safari on iPhone").click()

        expect(page.get_by_text("That session is signed out.")).to_be_visible()
        expect(sessions.get_by_text("Safari on iPhone", exact=True)).to_have_count(0)
        screenshot("phone-signed-out")
        phone.goto("/accounts/profile/")
        expect(phone).to_have_url("/accounts/login/?next=/accounts/profile/")
    finally:
        phone_context.close()
