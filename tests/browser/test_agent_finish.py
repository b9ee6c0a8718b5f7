"""The pieces that join the portal and the agent workspace, clicked in Chromium: an agent
logs in and lands in the workspace (the navbar shows the way back to it), replies with a
screenshot that the requester then downloads from the portal, and revokes the requester's
private link, after which the old link opens nothing."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.axe import assert_accessible
from tickets.demo import DEMO_PASSWORD, demo_email
from tickets.models import Attachment, EntryKind

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_replies_with_a_file_and_revokes_the_private_link(
    page, live_server, screenshot, browser, crm, tmp_path
):
    guest = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    jim = guest.new_page()
    old_link = f"/tickets/{crm.number}/access/{crm.access_key}/"
    jim.goto(old_link)
    expect(jim.get_by_role("heading", level=1)).to_have_text("CRM is down")

    # Ryan logs in through the form and lands in his workspace, not on "My tickets".
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(demo_email("Ryan Howard"))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/agent/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Agent workspace")).to_be_visible()
    screenshot("landing-navbar")

    # He replies with a screenshot attached (htmx, multipart).
    page.get_by_role("link", name="CRM is down").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CRM is down")
    page.evaluate("window.__notReloaded = true")
    shot = tmp_path / "crm-error.png"
    shot.write_bytes(PNG)
    page.get_by_label("Your reply", exact=True).fill("Hi Jim, is this the error you see?")
    page.get_by_label("Attach files").set_input_files(str(shot))
    page.get_by_role("button", name="Send reply to requester").click()
    expect(page.locator("#ticket-body .alert-success")).to_contain_text(
        "Reply sent to the requester with 1 attachment."
    )
    assert page.evaluate("window.__notReloaded === true")  # swapped by htmx
    reply = page.locator("article.entry-reply")
    expect(reply.get_by_role("link", name="crm-error.png")).to_be_visible()
    stored = Attachment.objects.get(entry__kind=EntryKind.REPLY, ticket=crm)
    assert Path(stored.file.path).read_bytes() == PNG
    screenshot("reply-with-attachment")

    # A refused file keeps the typed reply and says why.
    bad = tmp_path / "page.html"
    bad.write_bytes(b"<html><script>alert(1)</script></html>")
    page.get_by_label("Your reply", exact=True).fill("And this page")
    page.get_by_label("Attach files").set_input_files(str(bad))
    page.get_by_role("button", name="Send reply to requester").click()
    expect(page.locator("#reply .alert-danger")).to_contain_text(
        "page.html is not a kind of file we accept"
    )
    expect(page.get_by_label("Your reply", exact=True)).to_have_value("And this page")
    screenshot("refused-file")
    page.get_by_label("Your reply", exact=True).fill("")

    # Jim, still on his private link, sees the reply and downloads the file.
    jim.reload()
    expect(jim.get_by_text("Hi Jim, is this the error you see?")).to_be_visible()
    with jim.expect_download() as download:
        jim.get_by_role("link", name="crm-error.png").click()
    assert Path(download.value.path()).read_bytes() == PNG

    # Ryan revokes the link: a confirmation first, then the message.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke private link").click()
    expect(page.locator("#ticket-body .alert-success")).to_contain_text("Private link revoked")
    expect(page.locator(".timeline")).to_contain_text("revoked the requester's private link")
    screenshot("ticket-after-revoke")
    assert_accessible(page)

    # The old link, and Jim's session opened with it, open nothing now.
    assert jim.goto(f"/tickets/{crm.number}/").status == 404
    assert jim.goto(old_link).status == 404
    guest.close()
