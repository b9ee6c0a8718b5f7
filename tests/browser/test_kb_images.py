"""Article images in a real browser: the demo's editor uploads a screenshot on the edit
page, inserts its Markdown into the text, previews the article with the image showing;
an SVG named like a PNG is refused with the form's message. Checked by axe-core and
photographed (test-artifacts/)."""

import pytest
from playwright.sync_api import expect

from kb.demo import demo_articles
from kb.models import Article, ArticleImage
from tests.browser.test_agent_desk import login
from tests.kb.test_images import PNG
from tests.support.axe import assert_accessible
from tickets.demo import demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load()
    demo_articles()
    return Article.objects.get(title="My monitor flickers")


def test_an_editor_uploads_an_image_and_inserts_it(page, live_server, article, screenshot):
    login(page, live_server, article.author)
    page.goto(f"/agent/kb/{article.pk}/edit/")
    page.get_by_label("Image", exact=True).set_input_files(
        {"name": "monitor.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Upload image").click()
    expect(page.get_by_text("Image uploaded")).to_be_visible()
    image = ArticleImage.objects.get()
    snippet = page.get_by_label("Markdown for monitor.png")
    expect(snippet).to_have_value(f"![monitor]({image.get_absolute_url()})")
    page.get_by_label("Text (Markdown)").press("End")
    page.get_by_role("button", name="Insert into the text").click()
    assert image.get_absolute_url() in page.get_by_label("Text (Markdown)").input_value()
    screenshot("uploaded")
    assert_accessible(page)
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".kb-article-body img")
    expect(preview).to_have_attribute("src", image.get_absolute_url())
    # The browser fetched it through the access-checked view and decoded it.
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 1
    screenshot("preview")


def test_a_hostile_file_is_refused_with_a_clear_message(page, live_server, article, screenshot):
    login(page, live_server, article.author)
    page.goto(f"/agent/kb/{article.pk}/edit/")
    page.get_by_label("Image", exact=True).set_input_files(
        {
            "name": "cat.png",
            "mimeType": "image/png",
            "buffer": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        }
    )
    page.get_by_role("button", name="Upload image").click()
    expect(
        page.get_by_text(
            "cat.png is not a kind of file we accept. Allowed: PNG, JPEG, GIF or WebP images."
        )
    ).to_be_visible()
    screenshot("refused")
    assert_accessible(page)
    assert not ArticleImage.objects.exists()
