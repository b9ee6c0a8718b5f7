"""The desk's API keys page in Chromium: an agent allowed to manage keys finds it from the
desk, is told what is wrong with a key's settings, makes the key and sees it once (and
copies it), then revokes it and it stops working."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from api.keys import api_key_create, api_key_revoke
from tests.support.axe import assert_accessible
from tickets.demo import DEMO_PASSWORD, demo_email

pytestmark = pytest.mark.browser


def _ryan_manages_keys() -> User:
    ryan = User.objects.get(email=demo_email("Ryan Howard"))
    ryan.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="api", codename__in=["add_apikey", "change_apikey"]
        )
    )
    kevin = User.objects.get(email=demo_email("Kevin Benavides"))
    api_key_create(
        user=ryan,
        by=kevin,
        name="osTicket cron",
        scopes=["osticket:cron", "osticket:tickets"],
        allowed_networks=["192.0.2.10", "2001:db8::/64"],
        expires_at=timezone.now() + dt.timedelta(days=90),
        requests_per_minute=30,
    )
    old = api_key_create(user=ryan, by=kevin, name="Old monitoring", scopes=["tickets:read"])
    api_key_revoke(key=old.key, by=kevin)
    return ryan


@pytest.mark.django_db(transaction=True)
def test_an_agent_makes_a_key_sees_it_once_and_revokes_it(page, crm, screenshot):
    ryan = _ryan_manages_keys()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(ryan.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/agent/")
    page.get_by_role("navigation", name="Agent workspace").get_by_role(
        "link", name="API keys"
    ).click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.get_by_role("row", name="osTicket cron")).to_contain_text("Active")
    expect(page.get_by_role("row", name="Old monitoring")).to_contain_text("Revoked")
    assert_accessible(page)
    screenshot("list")

    # Settings the rules refuse come back with what was typed and the reason.
    page.get_by_role("link", name="New API key").click()
    page.get_by_label("Name").fill("Monitoring")
    page.get_by_label("Acts as").select_option(label=f"Ryan Howard <{ryan.email}>")
    page.get_by_label("Create tickets (osticket:tickets)").check()
    page.get_by_label("Allowed IP ranges").fill("")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("must list the addresses it is used from")).to_be_visible()
    page.get_by_label("Allowed IP ranges").fill("127.0.0.1\n10.0.0.300")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("'10.0.0.300' is not an IP address or CIDR range.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Monitoring")
    expect(page.get_by_label("Create tickets (osticket:tickets)")).to_be_checked()
    assert_accessible(page)
    screenshot("form-with-errors")

    page.get_by_label("Allowed IP ranges").fill("127.0.0.1\n192.0.2.0/24")
    page.get_by_label("Read tickets (tickets:read)").check()
    page.get_by_label("Expires in (days)").fill("30")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    plaintext = page.get_by_label("API key Monitoring").input_value()
    assert plaintext.startswith("hd_")
    # Before the click: axe would catch the pressed button mid-way through its colour
    # transition.
    assert_accessible(page)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == plaintext
    screenshot("created")

    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert me.status_code == 200 and me.json()["email"] == ryan.email

    # Once: the list (and the way back to the form) never show it again.
    page.get_by_role("link", name="Done: back to the API keys").click()
    row = page.get_by_role("row", name=re.compile(r"^Monitoring "))
    expect(row).to_contain_text("Active")
    assert plaintext not in page.content()
    page.goto("/agent/api-keys/new/")
    assert plaintext not in page.content()

    page.goto("/agent/api-keys/")
    page.get_by_role("link", name="Revoke Monitoring").click()
    expect(page.get_by_role("heading", name="Revoke API key “Monitoring”?")).to_be_visible()
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.get_by_text("API key “Monitoring” is revoked")).to_be_visible()
    expect(row).to_contain_text("Revoked")
    screenshot("revoked")

    refused = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert refused.status_code == 401
