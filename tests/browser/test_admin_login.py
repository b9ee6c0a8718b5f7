"""The admin is behind the site's own login and second factor: a superuser who opens
/admin/ logs in on our login page, gives a code from their app, and lands in the admin."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.support.two_factor import code_for, enrolled

EMAIL = "kevin.benavides@theoffice.example"
PASSWORD = "correct-horse-battery-staple"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_superuser_logs_into_the_admin_through_the_login_form(page, screenshot):
    get_user_model().objects.create_superuser(email=EMAIL, password=PASSWORD)

    page.goto("/admin/")
    expect(page).to_have_url("/accounts/login/?next=/admin/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.locator("#site-name")).to_have_text("Help desk administration")
    assert page.url.endswith("/admin/")
    screenshot("admin-index")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_asks_for_the_second_factor(page, settings):
    settings.REQUIRE_STAFF_2FA = True
    admin = get_user_model().objects.create_superuser(email=EMAIL, password=PASSWORD)
    device, _ = enrolled(admin)

    page.goto("/admin/accounts/user/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.locator("#id_code").fill(code_for(device.key, offset=30))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Select user to change")).to_be_visible()
    assert page.url.endswith("/admin/accounts/user/")
