"""Template filters of the portal."""

from django import template
from django.urls import reverse

from kb.rendering import article_html
from web.html import entry_html

register = template.Library()


@register.filter
def requester_entry_html(entry, ticket) -> str:
    """The entry's HTML, safe, with its inline images from the portal's file view."""
    return entry_html(
        entry,
        lambda attachment: reverse(
            "portal:attachment_inline", args=[ticket.number, attachment.token]
        ),
    )


@register.filter
def kb_article_html(article) -> str:
    """A knowledge base article's body, sanitised HTML."""
    return article_html(article)
