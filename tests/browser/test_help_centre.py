"""The help centre in a real browser: a guest types "monitor flickering" into the
new-ticket form and is offered the article (htmx), opens it, marks it helpful; the home
page, a search, a category and a "No, what was missing?" answer. Every page checked by
axe-core and photographed (test-artifacts/)."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kb.demo import demo_articles
from kb.models import ArticleFeedback, ArticleView, SearchRecord
from tests.browser.test_agent_desk import login, person
from tests.support.axe import assert_accessible
from tickets.demo import demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/kb")


def _keep(path: Path) -> None:
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


@pytest.fixture
def office(db):
    demo_load()
    demo_articles()


def test_a_guest_is_offered_the_monitor_article_while_typing_and_finds_it_helpful(
    page, office, screenshot
):
    page.goto("/tickets/new/")
    page.get_by_label("What do you need help with?").select_option(label="Monitor and peripherals")
    page.get_by_label("Subject").press_sequentially("monitor flickering", delay=20)
    suggestion = page.get_by_role("link", name="My monitor flickers")
    expect(suggestion).to_be_visible()
    _keep(screenshot("suggestions"))
    assert_accessible(page)
    suggestion.click()
    expect(page.get_by_role("heading", name="My monitor flickers", level=1)).to_be_visible()
    _keep(screenshot("article"))
    assert_accessible(page)
    assert ArticleView.objects.get().source == "suggestion"
    assert SearchRecord.objects.filter(source="suggestion").exists()
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_text("glad it helped")).to_be_visible()
    assert ArticleFeedback.objects.get().helpful is True


def test_the_help_centre_pages_search_and_a_no_answer(page, office, screenshot):
    page.goto("/")
    _keep(screenshot("portal-home"))
    assert_accessible(page)
    page.get_by_label("Search the help centre").fill("computer start")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="My computer won't start")).to_be_visible()
    _keep(screenshot("search"))
    assert_accessible(page)
    page.get_by_role("link", name="Submit a ticket").click()
    expect(page.get_by_label("Subject")).to_have_value("computer start")
    page.goto("/help/")
    assert_accessible(page)
    page.get_by_role("link", name="Monitors").first.click()
    expect(page.get_by_role("heading", name="Monitors", level=1)).to_be_visible()
    _keep(screenshot("category"))
    assert_accessible(page)
    page.get_by_role("link", name="My monitor flickers").click()
    page.get_by_role("button", name="No").click()
    page.get_by_label("What was missing?").fill("Nothing about two screens.")
    _keep(screenshot("feedback-no"))
    assert_accessible(page)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("your note goes to the people")).to_be_visible()
    assert ArticleFeedback.objects.get().comment == "Nothing about two screens."


def test_the_desk_knowledge_base_pages(page, live_server, office, screenshot):
    login(page, live_server, person("Ryan Howard"))
    page.goto("/agent/kb/")
    expect(page.get_by_role("link", name="My monitor flickers")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Printer jams")
    page.get_by_label("Department").select_option(label="IT")
    page.get_by_label("Category").select_option(label="Computers and hardware")
    page.get_by_label("Text (Markdown)").fill("Open **tray 2** and pull the paper out.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".kb-article-body strong")).to_have_text("tray 2")
    _keep(screenshot("desk-edit"))
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The article is now Published.")).to_be_visible()
    _keep(screenshot("desk-article"))
    assert_accessible(page)
    page.goto("/agent/kb/figures/")
    _keep(screenshot("desk-figures"))
    assert_accessible(page)


def test_an_agent_inserts_an_article_link_into_a_reply_and_the_ticket_records_it(
    page, live_server, office, screenshot
):
    from tickets.models import HelpTopic
    from tickets.services import ticket_create

    angela = person("Angela Martin")
    ticket = ticket_create(
        requester=angela,
        by=angela,
        subject="Screen flickers again",
        body="It is driving me crazy.",
        help_topic=HelpTopic.objects.get(name="Monitor and peripherals"),
    )
    login(page, live_server, person("Ryan Howard"))
    page.goto(f"/agent/tickets/{ticket.number}/")
    page.get_by_label("Search articles to insert").press_sequentially("monitor", delay=20)
    insert = page.locator("#kb-lookup-results").get_by_role("button", name="Insert link").first
    expect(insert).to_be_visible()
    insert.click()
    expect(page.locator("#id_reply-body")).to_have_value(
        f"My monitor flickers: {settings_site_url()}/help/articles/my-monitor-flickers/"
    )
    _keep(screenshot("reply-lookup"))
    assert_accessible(page)
    page.get_by_role("button", name="Send reply to requester").click()
    expect(page.get_by_role("heading", name="Articles sent")).to_be_visible()
    _keep(screenshot("articles-sent"))


def settings_site_url() -> str:
    from django.conf import settings

    return settings.SITE_URL
