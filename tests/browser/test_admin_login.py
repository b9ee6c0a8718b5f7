"""The browser harness end to end: a superuser logs into the admin through the real form."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

EMAIL = "kevin.benavides@theoffice.example"
PASSWORD = "correct-horse-battery-staple"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_superuser_logs_into_the_admin_through_the_login_form(page, screenshot):
    get_user_model().objects.create_superuser(email=EMAIL, password=PASSWORD)

    page.goto("/admin/")
    expect(page).to_have_url("/admin/login/?next=/admin/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.locator("#site-name")).to_have_text("Help desk administration")
    assert page.url.endswith("/admin/")
    screenshot("admin-index")
