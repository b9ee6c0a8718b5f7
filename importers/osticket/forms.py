"""osTicket's forms into our custom fields, and the tickets' values (decision 0047).

A field of a form attached to a help topic (`ost_help_topic_form`) becomes a custom field
on that topic; the ticket form's own fields (type T) are on every ticket in osTicket, so
here they are on every imported topic. Skipped, and said in the summary:

- the fields we import as the ticket's own columns: the ticket form's subject, message
  and priority (`ost_ticket__cdata`, the thread, the ticket's priority);
- the user form (type U: name, email, phone... of the person, imported as the user) and
  the organization form (O: imported as the organization's notes), which are not about a
  ticket;
- fields that hold nothing: section breaks (`break`), instructions (`info`), the thread.

Types: text (by its validator: email, number, or text), memo (long text), datetime (date),
choices (choice, or multiple choice when `multiselect`), a custom list (`list-N`, its
items as choices), bool (checkbox), phone (text). Any other type, a plugin's say, becomes
text with a warning, never a failure. Flags: enabled -> active, shown to the client ->
requesters and agents (else agents only), required (for the client, or for agents on an
agents-only field) -> required at intake, required to close -> required to resolve.

Values (`ost_form_entry` of object type T, `ost_form_entry_values`) are read into the
shape our one validation takes (tickets.services.fields_clean, field by field, so one bad
value is a warning and the rest still come), then written by
tickets.services.ticket_fields_import. They are mapped per ticket with a fingerprint of
its values, so a re-run writes only the tickets whose values changed there.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict

from django.db import transaction

from accounts.roles import SYSTEM
from importers import services
from importers.models import ImportedObject
from mail.parsing import html_to_text
from tickets import services as ticket_services
from tickets.errors import FieldErrors
from tickets.models import CustomField, FieldAudience, FieldKind, Ticket

Kind = ImportedObject.Kind

# osTicket's DynamicFormField flags (include/class.dynamic_forms.php).
FLAG_ENABLED = 0x00001
FLAG_CLOSE_REQUIRED = 0x00004
FLAG_CLIENT_VIEW = 0x00100
FLAG_CLIENT_REQUIRED = 0x00400
FLAG_AGENT_REQUIRED = 0x04000

TICKET_FORM, CUSTOM_FORM = "T", "G"
CORE_FIELDS = ("subject", "message", "priority")  # of the ticket form: the ticket's own
HOLD_NOTHING = {"break", "info", "thread"}
TYPES = {
    "text": FieldKind.TEXT,
    "memo": FieldKind.LONG_TEXT,
    "datetime": FieldKind.DATE,
    "bool": FieldKind.CHECKBOX,
    "phone": FieldKind.TEXT,
    "choices": FieldKind.CHOICE,
}
VALIDATORS = {"email": FieldKind.EMAIL, "number": FieldKind.NUMBER}
SKIPPED_NOTE = (
    "form fields: osTicket's core fields are imported as the ticket's own and skipped here "
    "(the ticket form's subject, message and priority), as are the user and organization "
    "forms' fields (imported with the person and the organization) and section breaks"
)


class FormSteps:
    def form_fields(self) -> None:
        self._form_fields = {}  # osTicket field id -> (our kind, {osTicket key: label})
        if not (self.source.has_table("form") and self.source.has_table("form_field")):
            return
        forms = {row["id"]: row for row in self.source.rows("form")}
        placed = self._form_places(forms)
        lists = defaultdict(list)
        if self.source.has_table("list_items"):
            for row in self.source.rows("list_items", order="list_id, sort, id"):
                lists[row["list_id"]].append(row)
        rows = self._form_field_rows(forms)

        def read(row):
            kind, keys = self._field_kind(row, lists)
            self._form_fields[int(row["id"])] = (kind, keys)
            flags = int(row["flags"] if row["flags"] is not None else FLAG_ENABLED)
            for_clients = bool(flags & FLAG_CLIENT_VIEW)
            required = flags & (FLAG_CLIENT_REQUIRED if for_clients else FLAG_AGENT_REQUIRED)
            topics = {}
            for topic_source, form_place in placed[row["form_id"]].items():
                topic_id = self._target(Kind.TOPIC, topic_source)
                if topic_id:
                    topics[topic_id] = min(form_place * 100 + int(row["sort"] or 0), 32767)
            name = (
                str(row["name"] or "").strip() or str(row["label"] or "") or f"field_{row['id']}"
            )
            return {
                "name": name,
                "label": " ".join(str(row["label"] or "").split())[:100] or name,
                "kind": str(kind),
                "help_text": html_to_text(str(row["hint"] or "")).strip()[:255],
                "audience": str(FieldAudience.EVERYONE if for_clients else FieldAudience.AGENTS),
                "required_at_intake": bool(required),
                "required_to_resolve": bool(flags & FLAG_CLOSE_REQUIRED),
                "is_active": bool(flags & FLAG_ENABLED),
                "choices": list(dict.fromkeys(keys.values())),
                "topics": sorted(topics.items()),
            }

        def write(existing_id, fields):
            return services.custom_field_import(
                existing_id=existing_id,
                **{**fields, "topics": [tuple(pair) for pair in fields["topics"]]},
            ).pk

        self._each(Kind.FORM_FIELD, rows, read, write, note=lambda row: str(row["label"]))

    def _form_places(self, forms) -> dict[int, dict[int, int]]:
        """form id -> {osTicket topic id: the form's place on the topic}."""
        placed = defaultdict(dict)
        if self.source.has_table("help_topic_form"):
            for row in self.source.rows("help_topic_form", order="topic_id, sort, id"):
                placed[row["form_id"]].setdefault(row["topic_id"], int(row["sort"] or 0))
        topic_ids = [
            row["topic_id"] for row in self.source.query("SELECT topic_id FROM {help_topic}")
        ]
        for form in forms.values():
            if form["type"] == TICKET_FORM:  # on every ticket in osTicket
                for topic_id in topic_ids:
                    placed[form["id"]].setdefault(topic_id, 0)
        return placed

    def _form_field_rows(self, forms) -> list[dict]:
        """The fields that become custom fields; the others are counted as skipped."""
        rows, skipped = [], 0
        for row in self.source.rows("form_field", order="form_id, sort, id"):
            form = forms.get(row["form_id"])
            kind = form["type"] if form else None
            core = kind == TICKET_FORM and str(row["name"] or "") in CORE_FIELDS
            if kind not in (TICKET_FORM, CUSTOM_FORM) or core or row["type"] in HOLD_NOTHING:
                skipped += 1
                continue
            rows.append(row)
        if skipped:
            self.report.add(Kind.FORM_FIELD, "skipped", skipped)
            self.report.warnings.append(SKIPPED_NOTE)
        return rows

    def _field_kind(self, row, lists) -> tuple[str, dict[str, str]]:
        """Our kind for an osTicket field, and its choices (osTicket's key -> label)."""
        field_type = str(row["type"] or "text")
        config = _json(row.get("configuration"))
        if field_type == "text":
            return VALIDATORS.get(str(config.get("validator") or ""), FieldKind.TEXT), {}
        if field_type == "choices":
            keys = {}
            for line in str(config.get("choices") or "").splitlines():
                key, _sep, label = line.partition(":")
                label = " ".join((label if _sep else key).split())[:100]
                if key.strip() and label:
                    keys[key.strip()] = label
            multiple = bool(config.get("multiselect"))
            return (FieldKind.MULTIPLE_CHOICE if multiple else FieldKind.CHOICE), keys
        if field_type.startswith("list-") and field_type[5:].isdigit():
            items = lists.get(int(field_type[5:]), [])
            keys = {str(item["id"]): " ".join(str(item["value"]).split())[:100] for item in items}
            multiple = bool(config.get("multiselect"))
            return (FieldKind.MULTIPLE_CHOICE if multiple else FieldKind.CHOICE), keys
        if field_type in TYPES:
            return TYPES[field_type], {}
        self.report.warnings.append(
            f"form field {row['id']} ({row['label']!r}): osTicket's type {field_type!r} is "
            "not one we know; imported as text"
        )
        return FieldKind.TEXT, {}

    # -- the tickets' values ----------------------------------------------------------

    def field_values(self) -> None:
        fields_meta = getattr(self, "_form_fields", {})
        if not fields_meta or not (
            self.source.has_table("form_entry") and self.source.has_table("form_entry_values")
        ):
            return
        ours, fields = self._imported_fields(fields_meta)
        if not ours:
            return
        by_ticket = self._values_by_ticket(ours)
        known = services.mapped(Kind.FIELD_VALUES)
        pending = []
        for ticket_source, values in by_ticket.items():
            ticket_id = self._target(Kind.TICKET, ticket_source)
            if ticket_id is None:
                continue  # the ticket was skipped, and said so
            fp = services.fingerprint(sorted(values.items()))
            old = known.get(ticket_source)
            if old is not None and old.fingerprint == fp:
                self.report.add(Kind.FIELD_VALUES, "unchanged")
                continue
            typed = self._typed_values(ticket_source, values, ours, fields, fields_meta)
            pending.append((ticket_source, ticket_id, typed, fp, old is not None))
        replacing = list(fields)
        for start in range(0, len(pending), self.batch):
            chunk = pending[start : start + self.batch]
            try:
                self._write_values(chunk, replacing)
            except Exception:  # the batch again, ticket by ticket: one never stops the rest
                for one in chunk:
                    try:
                        self._write_values([one], replacing)
                    except Exception as exc:
                        self.report.error(
                            Kind.FIELD_VALUES, one[0], f"{exc.__class__.__name__}: {exc}"[:300]
                        )

    def _typed_values(self, ticket_source, values, ours, fields, fields_meta) -> list:
        typed = []
        for source_field, raw in values.items():
            field = fields.get(ours[source_field])
            if field is None:
                continue
            value = self._field_value(ticket_source, field, fields_meta[source_field], raw)
            if value is not None:
                typed.append(value)
        return typed

    def _imported_fields(self, fields_meta):
        """osTicket field id -> our field id, and our fields (with their choices)."""
        ours = {
            source: target.target_id
            for source, target in services.mapped(Kind.FORM_FIELD).items()
            if source in fields_meta and target.target_id
        }
        fields = {
            field.pk: field
            for field in CustomField.objects.filter(pk__in=list(ours.values())).prefetch_related(
                "choices"
            )
        }
        for field in fields.values():
            field.choice_list = list(field.choices.all())
        return ours, fields

    def _values_by_ticket(self, ours) -> dict[int, dict[int, object]]:
        """osTicket ticket id -> {osTicket field id: stored value}, of the imported fields."""
        by_ticket = defaultdict(dict)
        for row in self.source.query(
            "SELECT e.object_id, v.field_id, v.value FROM {form_entry} e "
            "JOIN {form_entry_values} v ON v.entry_id = e.id "
            "WHERE e.object_type = 'T' AND v.field_id IN %s ORDER BY e.object_id, e.id",
            [list(ours)],
        ):
            if row["object_id"] is not None:
                by_ticket[int(row["object_id"])][int(row["field_id"])] = row["value"]
        return by_ticket

    def _write_values(self, chunk, replacing) -> None:
        with transaction.atomic():
            for _source, ticket_id, typed, _fp, _old in chunk:
                ticket_services.ticket_fields_import(
                    ticket=Ticket(pk=ticket_id), values=typed, replacing=replacing, by=SYSTEM
                )
            for source_id, ticket_id, _typed, fp, _old in chunk:
                services.map_record(Kind.FIELD_VALUES, source_id, ticket_id, fp)
        for *_rest, was_mapped in chunk:
            self.report.add(Kind.FIELD_VALUES, "updated" if was_mapped else "created")

    def _field_value(self, ticket_source, field, meta, raw):
        """osTicket's stored value in the shape fields_clean reads; None when empty or bad
        (a bad one is a warning naming the ticket and the field)."""
        kind, keys = meta
        text = "" if raw is None else str(raw)
        if kind in (FieldKind.CHOICE, FieldKind.MULTIPLE_CHOICE):
            labels = _choice_labels(text, keys)
            ids = [c.pk for c in field.choice_list if c.label in labels]
            shaped = ids if kind == FieldKind.MULTIPLE_CHOICE else (ids[0] if ids else None)
            if labels and not ids:
                self.report.warnings.append(
                    f"ticket {ticket_source}: {field.label}: {text[:60]!r} is not one of its "
                    "choices; left empty"
                )
                return None
        elif kind == FieldKind.CHECKBOX:
            shaped = text.strip().lower() in ("1", "true", "on", "yes")
        elif kind == FieldKind.DATE:
            shaped = _date(text)
        else:
            shaped = text
        if shaped in (None, "", []):
            return None
        try:
            cleaned = ticket_services.fields_clean(
                fields=[field], values={field.name: shaped}, enforce_required=False
            )
        except FieldErrors as exc:
            for message in exc.errors.values():
                self.report.warnings.append(f"ticket {ticket_source}: {message}; left empty")
            return None
        value = cleaned.get(field.pk)
        return value if value is not None and not value.is_empty else None


def _json(value) -> dict:
    try:
        parsed = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _choice_labels(text: str, keys: dict[str, str]) -> list[str]:
    """osTicket keeps a choice as JSON {key: label} (1.10+) or as the bare key (older)."""
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return [keys.get(str(k), " ".join(str(v).split())) for k, v in parsed.items()]
    if isinstance(parsed, list):
        return [keys.get(str(k), str(k)) for k in parsed]
    return [keys.get(part.strip(), part.strip()) for part in text.split(",") if part.strip()]


def _date(text: str) -> str | None:
    """A datetime field's value as YYYY-MM-DD: osTicket writes 'Y-m-d H:i:s', or a Unix
    time in older versions."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return datetime.datetime.fromtimestamp(int(text), datetime.UTC).date().isoformat()
    return text[:10]
