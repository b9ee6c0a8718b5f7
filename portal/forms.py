"""Forms of the requester's portal: a new ticket, a reply. Files are checked by content."""

import secrets

from django import forms
from django.urls import reverse_lazy

from tickets.attachments import attachments_validate
from tickets.errors import InvalidInput
from tickets.models import HelpTopic, SatisfactionRating
from tickets.services import (
    BODY_MAX_LENGTH,
    CHOOSE_RATING,
    COMMENT_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
)
from web.custom_fields import add_fields, bound_custom_fields, clean_custom_fields
from web.uploads import MultipleFileField, attachments_help_text

# Said when the topic chosen asks questions the form did not show yet (no JavaScript, or
# the topic changed before the fields came): nothing is lost, the form comes back.
MORE_QUESTIONS = (
    "The help topic you chose asks a few more questions. Answer them below, then submit "
    "the ticket again."
)


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
        # The topic's own questions follow it when it changes (portal/views.py,
        # ticket_new_fields); without JavaScript, after a submit.
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("portal:ticket_new_fields"),
                "hx-target": "#topic-fields",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        ),
    )
    subject = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX_LENGTH,
        help_text="A few words, e.g. “CRM is down”.",
        # Help-centre articles for these words and the chosen topic, while typing
        # (portal/help.py, help_suggest); without JavaScript, a link to the help centre.
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("portal:help_suggest"),
                "hx-trigger": "keyup changed delay:400ms, change",
                "hx-include": "[name='help_topic']",
                "hx-target": "#kb-suggestions",
                "hx-swap": "innerHTML",
                "aria-controls": "kb-suggestions",
                "autocomplete": "off",
            }
        ),
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
    # The topic whose questions the form showed when it was sent.
    fields_topic = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args, user=None, custom_fields=(), fields_topic=None, **kwargs):
        """`custom_fields`: the chosen topic's questions (tickets.selectors.
        intake_fields_for_portal), asked after the topic; `fields_topic` the topic they
        are of. A submission whose form had not shown them yet comes back with them."""
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
        self.fields_topic_id = fields_topic
        self.fields_were_shown = not self.is_bound or (
            self.data.get("fields_topic", "") == str(fields_topic or "")
        )
        # Questions the requester never saw are not "required" yet.
        add_fields(self, custom_fields, enforce_required=self.fields_were_shown)
        self.custom_values: dict = {}

    def clean(self):
        data = super().clean()
        if not self.custom_fields:
            return data
        if not self.fields_were_shown:
            raise forms.ValidationError(MORE_QUESTIONS)
        self.custom_values = clean_custom_fields(self)
        return data

    @property
    def topic_fields(self) -> list:
        return bound_custom_fields(self)

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


class SurveyForm(forms.Form):
    """The requester's confirmation of a rating: the email's link chose one, this POST
    records it (a link scanner's GET never does)."""

    rating = forms.ChoiceField(
        label="How did we do?",
        choices=SatisfactionRating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_RATING, "invalid_choice": CHOOSE_RATING},
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Agents working on your request read this.",
    )
