"""HTML that people sent us (mail, soon knowledge-base articles), made safe to show.

nh3 keeps a short list of formatting tags and attributes and drops everything else:
scripts, event handlers, styles, forms, frames, `javascript:` links. Images may only be
inline parts of the same message (`cid:`): a remote image would tell its sender who read
the message, and when. Given the message's images, each `cid:` reference becomes the
address of the stored part, for the viewer's side of the site; one with no stored image
behind it loses its source and shows its alt text.
"""

from collections.abc import Mapping
from functools import partial
from urllib.parse import unquote

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl",
    "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid"}


def _inline_images_only(
    images: Mapping[str, str] | None, tag: str, attribute: str, value: str
) -> str | None:
    if tag != "img" or attribute != "src":
        return value
    if value[:4].lower() != "cid:":
        return None
    if images is None:
        return value  # stored as sent; shown through a mapping
    content_id = value[4:].strip()
    # RFC 2392: the reference is URL-encoded; mail programs write it either way.
    return images.get(content_id) or images.get(unquote(content_id))


def sanitize_html(source: str, *, images: Mapping[str, str] | None = None) -> str:
    """Only formatting survives; safe to put in a page as HTML.

    `images` maps a Content-ID (no brackets) to the URL that shows that part; without it,
    `cid:` references are kept as they are.
    """
    return nh3.clean(
        source or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=partial(_inline_images_only, images),
        link_rel="noopener noreferrer nofollow",
    )


def entry_html(entry, url_of) -> SafeString:
    """A thread entry's HTML for a page: sanitised again however it was stored (defence in
    depth), its `cid:` images pointing at `url_of(attachment)` (the portal's and the
    desk's file views differ). Reads entry.attachments.all(), which pages prefetch."""
    images = {
        attachment.content_id: url_of(attachment)
        for attachment in entry.attachments.all()
        if attachment.content_id and attachment.is_image
    }
    return mark_safe(sanitize_html(entry.body_html, images=images))  # noqa: S308 (nh3 output)  # nosec B308, B703 # nh3's sanitised output
