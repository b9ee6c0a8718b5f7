"""Custom fields' values: one validation for the portal's form, the agent page and the API;
the values a new ticket brings; an agent's change (with its event); the check before
resolving (docs/custom-fields.md, docs/decisions/0038).

Values come in by the field's name (`asset_tag`) as a form or JSON sends them: text as
strings, a number as a number or its text, a date as YYYY-MM-DD, a choice as its id, a
multiple choice as a list of ids, a checkbox as true/false (or a form's "on"), a user as
an email address or an id. `fields_clean` turns them into Python values or raises
FieldErrors with one message per field, which the form shows under each field and the
API answers as a 400 naming each.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User
from tickets import access
from tickets.errors import FieldErrors, InvalidInput
from tickets.events import fields_change
from tickets.fieldvalues import FieldValue, choices_of, values_of_rows
from tickets.models import (
    CHOICE_KINDS,
    TEXT_KINDS,
    CustomField,
    EventKind,
    FieldChoice,
    FieldKind,
    Ticket,
    TicketFieldValue,
)
from tickets.search_index import search_document_add_fields
from tickets.services.common import lock_ticket, record_event, require_action, save_ticket

TEXT_MAX_LENGTH = 255
LONG_TEXT_MAX_LENGTH = 10_000
EMAIL_MAX_LENGTH = 254
# What value_number holds: 20 digits, 6 of them decimals.
NUMBER_LIMIT = decimal.Decimal("1e14")
NUMBER_PLACES = decimal.Decimal("0.000001")
MAX_CHOICES = 100

# What people are told; tests assert these exactly.
FIELD_REQUIRED = "{label} is required."
FIELD_TOO_LONG = "{label} is too long (at most {limit:,} characters)."
FIELD_NOT_TEXT = "{label} must be text."
FIELD_BAD_CHARACTER = "{label} contains a character that cannot be stored."
FIELD_NOT_A_NUMBER = "{label} must be a number, such as 42 or 3.5."
FIELD_NUMBER_TOO_LARGE = "{label} is too large a number."
FIELD_NOT_A_DATE = "{label} must be a date (YYYY-MM-DD)."
FIELD_NOT_A_CHOICE = "Choose one of the options offered for {label}."
FIELD_NOT_AN_EMAIL = "{label} must be an email address, such as name@example.com."
FIELD_NO_SUCH_USER = "{label}: nobody with that address has an account here."
FIELD_NOT_YES_NO = "{label} must be checked or not (true or false)."
FIELD_UNKNOWN = "This ticket's help topic has no such field."
REQUIRED_TO_RESOLVE = "Fill in {labels} before resolving this ticket."

_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"", "off", "false", "0", "no"})


class _Bad(Exception):
    """One field's value cannot be read; the message template says why."""

    def __init__(self, template: str, **extra):
        super().__init__(template)
        self.template = template
        self.extra = extra


# Validation --------------------------------------------------------------------------


def fields_clean(
    *,
    fields: Sequence[CustomField],
    values: Mapping[str, object],
    enforce_required: bool = True,
    partial: bool = False,
) -> dict[int, FieldValue]:
    """The values of `fields` (the ones the person may fill: tickets.access.topic_fields)
    read from `values`, by field id. Raises FieldErrors naming every field that fails.

    `enforce_required`: a field required at intake may not be empty. `partial`: fields not
    in `values` are left out (an edit of some fields); otherwise they count as empty.
    A name in `values` that is not among `fields` (another topic's field, an agents-only
    field sent by a requester) is an error too, never silently dropped.
    """
    by_name = {field.name: field for field in fields}
    errors = {name: FIELD_UNKNOWN for name in values if name not in by_name}
    cleaned = {}
    for field in fields:
        if partial and field.name not in values:
            continue
        try:
            value = _parse(field, values.get(field.name))
            if enforce_required and field.required_at_intake and _empty(value):
                raise _Bad(FIELD_REQUIRED)
        except _Bad as bad:
            errors[field.name] = bad.template.format(label=field.label, **bad.extra)
        else:
            cleaned[field.pk] = FieldValue(field, value)
    if errors:
        raise FieldErrors(errors)
    return cleaned


def _empty(value) -> bool:
    return value is None or value == []


def _parse(field: CustomField, raw):
    if raw is None:
        return None
    parse = _PARSERS[field.kind]
    return parse(field, raw)


def _text(raw, *, limit: int) -> str | None:
    if not isinstance(raw, str):
        raise _Bad(FIELD_NOT_TEXT)
    text = raw.strip()
    if "\x00" in text:
        raise _Bad(FIELD_BAD_CHARACTER)
    if len(text) > limit:
        raise _Bad(FIELD_TOO_LONG, limit=limit)
    return text or None


def _parse_text(field, raw):
    return _text(raw, limit=TEXT_MAX_LENGTH)


def _parse_long_text(field, raw):
    return _text(raw, limit=LONG_TEXT_MAX_LENGTH)


def _parse_email(field, raw):
    text = _text(raw, limit=EMAIL_MAX_LENGTH)
    if text is None:
        return None
    try:
        validate_email(text)
    except ValidationError:
        raise _Bad(FIELD_NOT_AN_EMAIL) from None
    return text


def _parse_number(field, raw):
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | decimal.Decimal):
        raise _Bad(FIELD_NOT_A_NUMBER)
    text = str(raw).strip().replace(",", "") if isinstance(raw, str) else str(raw)
    if not text:
        return None
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise _Bad(FIELD_NOT_A_NUMBER) from None
    if not number.is_finite():
        raise _Bad(FIELD_NOT_A_NUMBER)
    if abs(number) >= NUMBER_LIMIT:
        raise _Bad(FIELD_NUMBER_TOO_LARGE)
    return number.quantize(NUMBER_PLACES).normalize() + 0  # + 0: no "-0"


def _parse_date(field, raw):
    if isinstance(raw, datetime.datetime):
        raise _Bad(FIELD_NOT_A_DATE)
    if isinstance(raw, datetime.date):
        return raw
    if not isinstance(raw, str):
        raise _Bad(FIELD_NOT_A_DATE)
    text = raw.strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _Bad(FIELD_NOT_A_DATE) from None


def _choice_id(raw) -> int:
    if isinstance(raw, bool):
        raise _Bad(FIELD_NOT_A_CHOICE)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise _Bad(FIELD_NOT_A_CHOICE)


def _offered(field: CustomField) -> dict[int, FieldChoice]:
    return {choice.pk: choice for choice in choices_of(field) if choice.is_active}


def _parse_choice(field, raw):
    if raw == "":
        return None
    choice = _offered(field).get(_choice_id(raw))
    if choice is None:
        raise _Bad(FIELD_NOT_A_CHOICE)
    return choice


def _parse_multiple_choice(field, raw):
    items = raw if isinstance(raw, list | tuple) else [raw]
    if len(items) > MAX_CHOICES:
        raise _Bad(FIELD_NOT_A_CHOICE)
    offered = _offered(field)
    chosen = []
    for item in items:
        if item == "":
            continue
        choice = offered.get(_choice_id(item))
        if choice is None:
            raise _Bad(FIELD_NOT_A_CHOICE)
        if choice not in chosen:
            chosen.append(choice)
    return sorted(chosen, key=lambda c: (c.position, c.pk)) or None


def _parse_checkbox(field, raw):
    if isinstance(raw, bool):
        return True if raw else None
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return True if raw.strip().lower() in _TRUE else None
    raise _Bad(FIELD_NOT_YES_NO)


def _parse_user(field, raw):
    if isinstance(raw, int) and not isinstance(raw, bool):
        user = User.objects.filter(pk=raw, is_active=True).first()
    else:
        text = _parse_email(field, raw)
        if text is None:
            return None
        user = User.objects.filter(email__iexact=text, is_active=True).first()
    if user is None:
        raise _Bad(FIELD_NO_SUCH_USER)
    return user


_PARSERS = {
    FieldKind.TEXT: _parse_text,
    FieldKind.LONG_TEXT: _parse_long_text,
    FieldKind.NUMBER: _parse_number,
    FieldKind.DATE: _parse_date,
    FieldKind.CHOICE: _parse_choice,
    FieldKind.MULTIPLE_CHOICE: _parse_multiple_choice,
    FieldKind.CHECKBOX: _parse_checkbox,
    FieldKind.USER: _parse_user,
    FieldKind.EMAIL: _parse_email,
}


def field_rows(ticket: Ticket, value: FieldValue) -> list[TicketFieldValue]:
    """A value's rows, unsaved (none when it is empty): for intake, an edit and imports."""
    field, v = value.field, value.value
    if value.is_empty:
        return []
    if field.kind == FieldKind.MULTIPLE_CHOICE:
        return [TicketFieldValue(ticket=ticket, field=field, choice=choice) for choice in v]
    row = TicketFieldValue(ticket=ticket, field=field)
    if field.kind == FieldKind.CHOICE:
        row.choice = v
    elif field.kind == FieldKind.NUMBER:
        row.value_number = v
    elif field.kind == FieldKind.DATE:
        row.value_date = v
    elif field.kind == FieldKind.CHECKBOX:
        row.value_bool = True
    elif field.kind == FieldKind.USER:
        row.value_user = v
    else:
        row.value_text = v
    return [row]


def _searchable(values: Iterable[FieldValue]) -> list[str]:
    """The words of values that search finds: text, email and the choices' labels."""
    return [
        value.text
        for value in values
        if not value.is_empty and (value.field.kind in TEXT_KINDS + CHOICE_KINDS)
    ]


# Writing ---------------------------------------------------------------------------------


def fields_store_new(*, ticket: Ticket, values: Mapping[int, FieldValue]) -> None:
    """A new ticket's values, in its creating transaction (tickets/services/intake.py)."""
    rows = [row for value in values.values() for row in field_rows(ticket, value)]
    if rows:
        TicketFieldValue.objects.bulk_create(rows)
    search_document_add_fields(ticket_id=ticket.pk, texts=_searchable(values.values()))


def ticket_set_fields(*, ticket: Ticket, values: Mapping[str, object], by) -> Ticket:
    """An agent changes some of the ticket's custom fields (those named in `values`).

    One `fields_changed` event lists each field that changed, with its old and new value;
    nothing changed, no event. Text joins the ticket's search words.
    """
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("fields", by=by, ticket=ticket)
        fields = access.ticket_fields(ticket, for_requester=False)
        cleaned = fields_clean(fields=fields, values=values, partial=True)
        rows = TicketFieldValue.objects.filter(ticket=ticket, field_id__in=cleaned).select_related(
            "choice", "value_user"
        )
        old = values_of_rows([value.field for value in cleaned.values()], rows)
        changed = [value for pk, value in cleaned.items() if old[pk].text != value.text]
        if not changed:
            return ticket
        TicketFieldValue.objects.filter(
            ticket=ticket, field_id__in=[value.field.pk for value in changed]
        ).delete()
        TicketFieldValue.objects.bulk_create(
            [row for value in changed for row in field_rows(ticket, value)]
        )
        record_event(
            ticket,
            EventKind.FIELDS_CHANGED,
            by,
            fields_change([(old[value.field.pk], value) for value in changed]),
        )
        search_document_add_fields(ticket_id=ticket.pk, texts=_searchable(changed))
        save_ticket(ticket)
    return ticket


# Resolving -------------------------------------------------------------------------------


def fields_missing_to_resolve(ticket: Ticket) -> list[CustomField]:
    """The ticket's fields required to resolve that are empty, in the topic's order."""
    required = [
        field
        for field in access.topic_fields(ticket.help_topic_id, for_requester=False)
        if field.required_to_resolve
    ]
    if not required:
        return []
    filled = set(
        TicketFieldValue.objects.filter(ticket=ticket, field__in=required)
        .exclude(field__kind=FieldKind.CHECKBOX, value_bool=False)
        .values_list("field_id", flat=True)
    )
    return [field for field in required if field.pk not in filled]


def fields_require_to_resolve(ticket: Ticket) -> None:
    """Refuse to resolve while a field required to resolve is empty (the lifecycle)."""
    missing = fields_missing_to_resolve(ticket)
    if missing:
        labels = [f"“{field.label}”" for field in missing]
        text = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        raise InvalidInput(REQUIRED_TO_RESOLVE.format(labels=text))
