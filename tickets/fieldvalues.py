"""A custom field's value as the pages, the API, events and search read it: one reading of
the typed value rows (tickets.models.TicketFieldValue) for every caller, below the
services and the selectors that both need it (docs/decisions/0038)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tickets.models import CustomField, FieldChoice, FieldKind, TicketFieldValue


@dataclass(frozen=True)
class FieldValue:
    """A field and its Python value: None when empty; str, Decimal, date, True, a
    FieldChoice, a list of FieldChoice or a User, as its kind says."""

    field: CustomField
    value: object

    @property
    def is_empty(self) -> bool:
        return self.value is None or self.value == []

    @property
    def text(self) -> str:
        return field_value_text(self.field, self.value)


def choices_of(field: CustomField) -> list[FieldChoice]:
    choices = getattr(field, "choice_list", None)
    if choices is None:  # a field not loaded by tickets.access.topic_fields
        choices = field.choice_list = list(field.choices.order_by("position", "id"))
    return choices


# Reading values --------------------------------------------------------------------------


def field_value_text(field: CustomField, value) -> str:
    """A value as people read it (the page, the event, the search document)."""
    if value is None or value == []:
        return ""
    if field.kind == FieldKind.MULTIPLE_CHOICE:
        return ", ".join(choice.label for choice in value)
    if field.kind == FieldKind.CHECKBOX:
        return "Yes"
    if field.kind == FieldKind.NUMBER:
        return f"{value:f}"
    if field.kind == FieldKind.DATE:
        return value.isoformat()
    if field.kind == FieldKind.USER:
        return f"{value} <{value.email}>" if str(value) != value.email else value.email
    return str(value)


def values_of_rows(
    fields: Iterable[CustomField], rows: Iterable[TicketFieldValue]
) -> dict[int, FieldValue]:
    """The values the rows hold, by field id (every field given, empty ones too). Rows
    come with their choice and user loaded."""
    fields = {field.pk: field for field in fields}
    found: dict[int, object] = {}
    for row in rows:
        field = fields.get(row.field_id)
        if field is None:
            continue
        if field.kind == FieldKind.MULTIPLE_CHOICE:
            found.setdefault(field.pk, []).append(row.choice)
        else:
            found[field.pk] = _row_value(field, row)
    for value in found.values():
        if isinstance(value, list):
            value.sort(key=lambda c: (c.position, c.pk))
    return {pk: FieldValue(field, found.get(pk)) for pk, field in fields.items()}


def _row_value(field: CustomField, row: TicketFieldValue):
    if field.kind == FieldKind.CHOICE:
        return row.choice
    if field.kind == FieldKind.NUMBER:
        return row.value_number.normalize() + 0 if row.value_number is not None else None
    if field.kind == FieldKind.DATE:
        return row.value_date
    if field.kind == FieldKind.CHECKBOX:
        return True if row.value_bool else None
    if field.kind == FieldKind.USER:
        return row.value_user
    return row.value_text or None


def field_value_json(value: FieldValue):
    """A value as the API writes it: text, a number, YYYY-MM-DD, true/false, a choice as
    {"id", "label"} (a list of them for a multiple choice), a user as {"id", "email",
    "name"}; null when empty (false for an unchecked checkbox)."""
    field, v = value.field, value.value
    if field.kind == FieldKind.CHECKBOX:
        return bool(v)
    if v is None or v == []:
        return [] if field.kind == FieldKind.MULTIPLE_CHOICE else None
    if field.kind == FieldKind.MULTIPLE_CHOICE:
        return [{"id": choice.pk, "label": choice.label} for choice in v]
    if field.kind == FieldKind.CHOICE:
        return {"id": v.pk, "label": v.label}
    if field.kind == FieldKind.NUMBER:
        return int(v) if v == v.to_integral_value() else float(v)
    if field.kind == FieldKind.DATE:
        return v.isoformat()
    if field.kind == FieldKind.USER:
        return {"id": v.pk, "email": v.email, "name": str(v)}
    return v
