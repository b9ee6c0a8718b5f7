"""Template filters shared by the portal and the desk."""

from django import template
from django.utils.safestring import mark_safe

from web.html import sanitize_html

register = template.Library()


@register.filter
def sanitized(value: str) -> str:
    """HTML from outside, sanitised here again however it was stored (defence in depth)."""
    return mark_safe(sanitize_html(value))  # noqa: S308 (nh3 output, see web/html.py)
