"""The file-upload field of every form that takes attachments, and its help text.

Files are checked by content in the ticket services (tickets/attachments.py); the field
only gathers them.
"""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, as Django's documentation shows."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def attachments_help_text() -> str:
    # "10 MB", not filesizeformat's "10.0 MB".
    size = filesizeformat(settings.ATTACHMENT_MAX_BYTES).replace(".0\xa0", "\xa0")
    return (
        f"Optional: up to {settings.ATTACHMENT_MAX_COUNT} files of {size} each: screenshots, "
        "PDFs, text or log files, office documents."
    )
