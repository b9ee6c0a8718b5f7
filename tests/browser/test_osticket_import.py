"""An osTicket shop moves in: the import, then an imported agent signs in with the password
they had, opens a ticket by its old number, sees its thread with its files, and replies."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.support.mariadb import osticket_database  # noqa: F401
from tickets.models import Ticket


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_imported_agent_answers_an_old_ticket(
    page, live_server, request, settings, tmp_path, screenshot
):
    osticket = request.getfixturevalue("osticket_database")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "accounts.hashers.OsTicketBcryptPasswordHasher",
    ]
    call_command("import_osticket", "--database-url", osticket.url, verbosity=0)

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("ryan.howard@dundermifflin.example")
    page.get_by_label("Password").fill("Beets-Bears-1")  # his osTicket password
    page.get_by_role("button", name="Log in").click()
    page.goto("/agent/tickets/100123/")
    expect(page.get_by_role("heading", name="CRM is down — Café ☕")).to_be_visible()
    expect(page.get_by_text("«ça ne marche pas» 日本語").first).to_be_visible()
    expect(page.get_by_text("Server room again.").first).to_be_visible()
    expect(page.get_by_role("link", name="notes ünïcödé.txt")).to_be_visible()
    screenshot("imported-ticket")

    page.get_by_label("Your reply").fill("Back up since 10:15.")
    page.get_by_role("button", name="Send reply to requester").click()
    expect(page.get_by_text("Back up since 10:15.")).to_be_visible()
    screenshot("replied")
    assert Ticket.objects.get(number=100123).entries.order_by("-id").first().kind == "reply"
