"""The API as a newcomer meets it, in Chromium: an admin makes a key and copies it from the
page shown once, and the API's docs (Swagger UI from our own static files) render under
the site's Content-Security-Policy."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from tickets.demo import DEMO_PASSWORD, demo_email

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_an_admin_makes_a_key_and_it_works(page, crm, screenshot):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(demo_email("Kevin Benavides"))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/api/apikey/add/")
    page.get_by_label("Name").fill("Monitoring")
    page.get_by_label("User").select_option(label="Ryan Howard")
    page.get_by_label("Read tickets", exact=True).check()
    page.get_by_label("Read departments and help topics").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    plaintext = page.get_by_label("API key Monitoring").input_value()
    screenshot("key-created")

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.json()["email"] == demo_email("Ryan Howard")


@pytest.mark.django_db(transaction=True)
def test_the_docs_render_under_the_policy(page, screenshot):
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("/api/v1/departments/").first).to_be_visible()
    screenshot("api-docs")
