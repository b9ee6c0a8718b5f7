import pytest

from kb.rendering import render_markdown
from kb.services import article_create
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_hostile_corpus_is_inert_in_markdown(payload):
    assert_inert(render_markdown(payload), where=f"for {payload!r}")
    assert_inert(render_markdown(f"# {payload}\n\n[{payload}]({payload})"), where="in a link")


def test_javascript_links_lose_their_address():
    html = render_markdown("[click](javascript:alert(1)) and <a href='JaVaScRiPt:alert(1)'>x</a>")
    assert "javascript" not in html.lower()
    assert "click" in html


OWN_IMAGE = "/help/images/" + "0123456789abcdef" * 2 + "/"


def test_remote_images_are_dropped_and_own_files_kept():
    html = render_markdown(f"![tracker](https://tracker.example/p.png) ![ok]({OWN_IMAGE})")
    assert "tracker.example" not in html
    assert f'src="{OWN_IMAGE}"' in html


@pytest.mark.parametrize(
    "source",
    [
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "//evil.example/help/images/" + "0" * 32 + "/",
        "https://evil.example" + OWN_IMAGE,
        "/tickets/1/attachments/2/",
        "/help/images/../../admin/",
        OWN_IMAGE + "?x=1",
        OWN_IMAGE.upper(),
    ],
)
def test_images_are_only_our_article_images(source):
    html = render_markdown(f"![x]({source}) <img src='{source}'>")
    assert "src=" not in html, html


def test_formatting_survives():
    html = render_markdown("**bold**\n\n- one\n- two\n\n`code`\n\n[site](https://example.com)")
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
    assert "<code>code</code>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_a_hostile_article_is_stored_sanitised(kb, desk):
    article = article_create(
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)><script>alert(1)</script>",
        category=kb.hardware,
        department=desk.it,
        by=desk.agent.user,
    )
    assert_inert(article.body_html)
    assert "<script" not in article.body_html
