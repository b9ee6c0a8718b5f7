"""Nothing an agent types is lost, clicked in Chromium (issue 9): actions leave the compose
boxes alone, a note or a reply clears only its own box, typing while a request is on its
way survives its answer, and a reload gives the draft back."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tickets.demo import DEMO_PASSWORD, demo_email
from tickets.models import Draft, EntryKind, Priority

REPLY_TEXT = "Hi Jim, the CRM vendor is running a maintenance update; it will be back soon."
NOTE_TEXT = "Called CRM support: maintenance update, inconvenient timing."


@pytest.fixture
def kevin_on_the_ticket(page, live_server, crm):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(demo_email("Kevin Benavides"))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/agent/")
    page.goto(f"/agent/tickets/{crm.number}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("CRM is down")
    page.evaluate("window.__notReloaded = true")
    return page


def reply_box(page):
    return page.get_by_label("Your reply", exact=True)


def note_box(page):
    return page.get_by_label("Note for agents")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_action_leaves_both_boxes_as_they_were(kevin_on_the_ticket, crm, screenshot):
    page = kevin_on_the_ticket
    reply_box(page).fill(REPLY_TEXT)
    note_box(page).fill(NOTE_TEXT)

    page.get_by_label("Priority", exact=True).select_option(label="Urgent")
    page.get_by_role("button", name="Set priority").click()

    expect(page.locator("#ticket-messages .alert-success")).to_contain_text("Priority changed.")
    expect(page.locator("#ticket-header")).to_contain_text("Urgent priority")
    expect(reply_box(page)).to_have_value(REPLY_TEXT)
    expect(note_box(page)).to_have_value(NOTE_TEXT)
    assert page.evaluate("window.__notReloaded === true")
    crm.refresh_from_db()
    assert crm.priority == Priority.URGENT
    screenshot("after-set-priority")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_note_clears_its_own_box_and_leaves_the_reply(kevin_on_the_ticket, crm):
    page = kevin_on_the_ticket
    reply_box(page).fill(REPLY_TEXT)
    note_box(page).fill(NOTE_TEXT)

    page.get_by_role("button", name="Add internal note").click()

    expect(page.locator("article.entry-note")).to_contain_text(NOTE_TEXT)
    expect(note_box(page)).to_have_value("")
    expect(reply_box(page)).to_have_value(REPLY_TEXT)
    assert crm.entries.filter(kind=EntryKind.NOTE).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typing_while_a_note_is_on_its_way_survives_the_answer(kevin_on_the_ticket, crm):
    page = kevin_on_the_ticket
    held = []
    # Hold the note's request until the agent has typed, as a slow server would.
    page.route(f"**/agent/tickets/{crm.number}/note/", lambda route: held.append(route))
    note_box(page).fill(NOTE_TEXT)
    page.get_by_role("button", name="Add internal note").click()
    page.wait_for_function("() => true")  # let the click's request reach the route
    reply_box(page).press_sequentially("Hi Jim, we're on it")
    assert held, "the note's request was never sent"
    held[0].continue_()

    expect(page.locator("article.entry-note")).to_contain_text(NOTE_TEXT)
    expect(note_box(page)).to_have_value("")
    expect(reply_box(page)).to_have_value("Hi Jim, we're on it")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reload_gives_the_draft_back_and_sending_removes_it(
    kevin_on_the_ticket, crm, screenshot
):
    page = kevin_on_the_ticket
    kevin = User.objects.get(email=demo_email("Kevin Benavides"))
    reply_box(page).fill(REPLY_TEXT)
    note_box(page).fill(NOTE_TEXT)
    expect(page.locator("#reply-draft")).to_contain_text("Draft saved at")
    expect(page.locator("#note-draft")).to_contain_text("Draft saved at")

    page.reload()

    expect(reply_box(page)).to_have_value(REPLY_TEXT)
    expect(note_box(page)).to_have_value(NOTE_TEXT)
    expect(page.locator("#reply-draft")).to_contain_text("Draft saved at")
    screenshot("draft-restored")
    assert set(Draft.objects.filter(author=kevin).values_list("box", flat=True)) == {
        "reply",
        "note",
    }

    page.get_by_role("button", name="Send reply to requester").click()
    expect(page.locator("article.entry-reply")).to_contain_text("maintenance update")
    expect(reply_box(page)).to_have_value("")
    expect(page.locator("#reply-draft")).to_have_text("")
    assert list(Draft.objects.filter(author=kevin).values_list("box", flat=True)) == ["note"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard draft").click()
    expect(note_box(page)).to_have_value("")
    assert not Draft.objects.filter(author=kevin).exists()
    page.reload()
    expect(note_box(page)).to_have_value("")
