"""Forms of the requester's portal: a new ticket, a reply. Files are checked by content."""

import secrets

from django import forms

from tickets.attachments import attachments_validate
from tickets.errors import InvalidInput
from tickets.models import HelpTopic
from tickets.services import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH
from web.uploads import MultipleFileField, attachments_help_text


class AttachmentsMixin:
    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        try:
            attachments_validate(files)
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from None
        for upload in files:
            upload.seek(0)
        return files


class TicketForm(AttachmentsMixin, forms.Form):
    name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We'll email you a private link to follow this request.",
    )
    help_topic = forms.ModelChoiceField(
        label="What do you need help with?",
        queryset=HelpTopic.objects.none(),
        empty_label="Choose a topic…",
    )
    subject = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX_LENGTH,
        help_text="A few words, e.g. “CRM is down”.",
    )
    body = forms.CharField(
        label="Description",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="What happened, what you expected, and any error message you saw.",
    )
    attachments = MultipleFileField(
        label="Attachments",
        required=False,
    )
    # A honeypot: hidden from people (and from screen readers), filled in by bots.
    website = forms.CharField(required=False, label="Leave this empty")
    intake_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Whole rows with department and plan: the service reads them all on submit.
        self.fields["help_topic"].queryset = HelpTopic.objects.filter(
            is_active=True
        ).select_related("department__default_sla_plan", "sla_plan")
        if not self.is_bound:
            # One token per rendering of the form: a resubmission of this same form finds
            # the ticket it already created.
            self.initial["intake_token"] = secrets.token_urlsafe(24)
        self.fields["attachments"].help_text = attachments_help_text()
        if user is not None and user.is_authenticated:
            del self.fields["name"]
            del self.fields["email"]

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class ReplyForm(AttachmentsMixin, forms.Form):
    body = forms.CharField(
        label="Your reply",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(label="Attachments", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help_text()
