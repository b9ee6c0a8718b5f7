"""Custom fields as form fields, shared by the portal's intake form and the agent page.

Each field of a help topic becomes a Django form field named `cf_<name>` of the widget its
kind wants; the values are then checked by the one validation of the domain
(tickets.services.fields_clean, also the API's), whose messages land under each field.
Django's own checks are kept to what the widget needs, with the domain's wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django import forms
from django.utils.html import conditional_escape

from tickets.errors import FieldErrors
from tickets.fieldvalues import FieldValue
from tickets.models import CustomField, FieldKind
from tickets.services import fields_clean
from tickets.services.fields import (
    EMAIL_MAX_LENGTH,
    FIELD_NOT_A_CHOICE,
    FIELD_REQUIRED,
    LONG_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)

PREFIX = "cf_"


def form_name(field: CustomField) -> str:
    return f"{PREFIX}{field.name}"


def _choices(field: CustomField, current=None) -> list[tuple[str, str]]:
    """Active choices, and the one a ticket already holds even if switched off since."""
    held = current if isinstance(current, list) else [current] if current else []
    held_ids = {choice.pk for choice in held}
    return [
        (str(choice.pk), choice.label)
        for choice in getattr(field, "choice_list", [])
        if choice.is_active or choice.pk in held_ids
    ]


def _form_field(field: CustomField, *, required: bool, current=None) -> forms.Field:
    messages = {
        "required": FIELD_REQUIRED.format(label=field.label),
        "invalid_choice": FIELD_NOT_A_CHOICE.format(label=field.label),
    }
    common = {
        "label": field.label,
        "required": required,
        # Plain text, whatever an admin typed: Django and crispy show help text unescaped.
        "help_text": conditional_escape(field.help_text),
        "error_messages": messages,
    }
    kind = field.kind
    if kind == FieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "Choose…"), *_choices(field, current)], **common)
    if kind == FieldKind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=_choices(field, current), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    widgets = {
        FieldKind.TEXT: forms.TextInput(attrs={"maxlength": TEXT_MAX_LENGTH}),
        FieldKind.LONG_TEXT: forms.Textarea(attrs={"rows": 4, "maxlength": LONG_TEXT_MAX_LENGTH}),
        FieldKind.NUMBER: forms.TextInput(attrs={"inputmode": "decimal"}),
        FieldKind.DATE: forms.DateInput(attrs={"type": "date"}),
        FieldKind.EMAIL: forms.EmailInput(attrs={"maxlength": EMAIL_MAX_LENGTH}),
        FieldKind.USER: forms.EmailInput(
            attrs={"maxlength": EMAIL_MAX_LENGTH, "placeholder": "name@example.com"}
        ),
    }
    # strip=False: the domain strips, and counts what was typed.
    return forms.CharField(widget=widgets[kind], strip=False, **common)


def _initial(value: FieldValue):
    v, kind = value.value, value.field.kind
    if v is None:
        return None
    if kind == FieldKind.MULTIPLE_CHOICE:
        return [str(choice.pk) for choice in v]
    if kind == FieldKind.CHOICE:
        return str(v.pk)
    if kind == FieldKind.USER:
        return v.email
    if kind == FieldKind.CHECKBOX:
        return True
    return value.text


def add_fields(
    form: forms.Form,
    fields: Sequence[CustomField],
    *,
    values: Iterable[FieldValue] = (),
    enforce_required: bool = True,
) -> None:
    """Add the custom fields to `form` (after its own), with a ticket's `values` as initial."""
    current = {value.field.pk: value for value in values}
    form.custom_fields = list(fields)
    form.custom_fields_required = enforce_required
    for field in fields:
        value = current.get(field.pk)
        form.fields[form_name(field)] = _form_field(
            field,
            required=enforce_required and field.required_at_intake,
            current=value.value if value else None,
        )
        if value is not None and not value.is_empty:
            form.initial[form_name(field)] = _initial(value)


def raw_values(form: forms.Form) -> dict[str, object]:
    """What the form's custom fields hold, by field name, as the domain reads them."""
    return {
        field.name: form.cleaned_data[form_name(field)]
        for field in form.custom_fields
        if form_name(field) in form.cleaned_data
    }


def clean_custom_fields(form: forms.Form, *, only_changed: bool = False) -> dict[str, object]:
    """Check the custom fields with the domain's validation; errors go under each field.
    Call from the form's clean(). Answers the values, by name, for the service.

    `only_changed`: just the fields the person changed (an edit: a value held from before,
    such as a choice since switched off, is not checked again)."""
    fields = [f for f in form.custom_fields if form_name(f) not in form.errors]
    if only_changed:
        fields = [f for f in fields if form_name(f) in form.changed_data]
    names = {f.name for f in fields}
    values = {k: v for k, v in raw_values(form).items() if k in names}
    try:
        fields_clean(
            fields=fields,
            values=values,
            enforce_required=form.custom_fields_required,
            partial=only_changed,
        )
    except FieldErrors as errors:
        add_field_errors(form, errors)
    return values


def add_field_errors(form: forms.Form, errors: FieldErrors) -> None:
    """A service's FieldErrors under the form's fields (or above the form for a field the
    form does not show)."""
    shown = {field.name for field in form.custom_fields}
    for name, message in errors.errors.items():
        form.add_error(PREFIX + name if name in shown else None, message)


def bound_custom_fields(form: forms.Form) -> list[forms.BoundField]:
    """The form's custom fields, bound, in order: what the templates render."""
    return [form[form_name(field)] for field in getattr(form, "custom_fields", [])]
