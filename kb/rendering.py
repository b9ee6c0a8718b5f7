"""An article's Markdown, made into HTML that is safe to put in a page.

Markdown lets raw HTML through by design, so its output is only ever shown after nh3 has
kept the formatting and dropped the rest: scripts, event handlers, styles, forms, frames,
and every link or image whose scheme is not http(s) or mailto (`javascript:` links lose
their href). Images may only be the articles' own images (kb.models.ArticleImage, served
under IMAGE_URL_PREFIX with the reader's access checked): a remote image would tell a third
party who read the article, and when; a data: or javascript: source is never an image of
ours (decision 0045).
"""

import html
import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from kb.models import IMAGE_URL_PREFIX

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre",
    "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXCERPT_LENGTH = 240
_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")
# An article image's address, nothing more: no query, no fragment, no other path.
_OWN_IMAGE_RE = re.compile(re.escape(IMAGE_URL_PREFIX) + r"[0-9a-f]{32}/")


def _own_images_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _OWN_IMAGE_RE.fullmatch(value) else None
    return value


def render_markdown(source: str) -> str:
    """The article's HTML: Markdown rendered, then sanitised by nh3."""
    rendered = markdown.markdown(
        source or "", extensions=["extra", "sane_lists"], output_format="html"
    )
    return clean_html(rendered)


def clean_html(rendered: str) -> str:
    """Only formatting survives; safe to put in a page as HTML."""
    return nh3.clean(
        rendered or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_own_images_only,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(rendered_html: str) -> str:
    """The words of sanitised HTML, for search snippets and the excerpt."""
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", rendered_html))).strip()


def excerpt_of(rendered_html: str, *, length: int = EXCERPT_LENGTH) -> str:
    text = plain_text(rendered_html)
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


def article_html(article) -> SafeString:
    """The article's stored rendering for a page, sanitised again on the way out (defence
    in depth: a row written around the services is still made safe)."""
    return mark_safe(clean_html(article.body_html))  # noqa: S308  # nosec B308, B703 # nh3's output
