"""Custom fields in the domain: one validation for every kind, values at intake (never
blocking mail), an agent's change with its event, required to resolve, choices as rows,
search and the queue's filter and sort by a choice."""

import datetime
import decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import SYSTEM
from tests.support.custom_fields import make_field
from tests.support.factories import HelpTopicFactory
from tests.support.hostile import PAYLOADS
from tickets import access
from tickets.errors import FieldErrors, InvalidInput, NotPermitted, TransitionNotAllowed
from tickets.fieldvalues import field_value_json
from tickets.models import (
    CustomField,
    EventKind,
    FieldAudience,
    FieldChoice,
    FieldKind,
    Status,
    TicketEvent,
    TicketFieldValue,
)
from tickets.selectors import (
    QueueFilters,
    ticket_fields_for_agent,
    ticket_fields_for_requester,
    ticket_list_for_agent,
    ticket_search_for_agent,
)
from tickets.services import (
    fields_clean,
    ticket_close,
    ticket_create,
    ticket_resolve,
    ticket_set_fields,
)
from tickets.services.fields import (
    FIELD_NO_SUCH_USER,
    FIELD_NOT_A_CHOICE,
    FIELD_NOT_A_DATE,
    FIELD_NOT_A_NUMBER,
    FIELD_NOT_AN_EMAIL,
    FIELD_NOT_TEXT,
    FIELD_NOT_YES_NO,
    FIELD_REQUIRED,
    FIELD_TOO_LONG,
    FIELD_UNKNOWN,
)

pytestmark = pytest.mark.django_db


def _field(kind, *, name="f", **values):
    topic = HelpTopicFactory()
    values.setdefault("audience", FieldAudience.AGENTS if kind == FieldKind.USER else "everyone")
    field = make_field(topic, 1, name=name, label="The field", kind=kind, **values)
    if kind in (FieldKind.CHOICE, FieldKind.MULTIPLE_CHOICE):
        for i, label in enumerate(["Red", "Green", "Blue"]):
            FieldChoice.objects.create(field=field, label=label, position=i)
        FieldChoice.objects.create(field=field, label="Old", position=9, is_active=False)
    return access.topic_fields(topic.pk, for_requester=False)[0]


def _clean(field, raw):
    return fields_clean(fields=[field], values={"f": raw})[field.pk].value


def _error(field, raw) -> str:
    with pytest.raises(FieldErrors) as caught:
        fields_clean(fields=[field], values={"f": raw})
    return caught.value.errors["f"]


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (FieldKind.TEXT, "  DM-0042 ", "DM-0042"),
        (FieldKind.TEXT, "", None),
        (FieldKind.LONG_TEXT, "line one\nline two", "line one\nline two"),
        (FieldKind.NUMBER, "3.50", decimal.Decimal("3.5")),
        (FieldKind.NUMBER, 42, decimal.Decimal("42")),
        (FieldKind.NUMBER, "1,200", decimal.Decimal("1200")),
        (FieldKind.NUMBER, "", None),
        (FieldKind.DATE, "2025-03-14", datetime.date(2025, 3, 14)),
        (FieldKind.DATE, "", None),
        (FieldKind.CHECKBOX, True, True),
        (FieldKind.CHECKBOX, "on", True),
        (FieldKind.CHECKBOX, False, None),
        (FieldKind.CHECKBOX, "", None),
        (FieldKind.EMAIL, " pam@example.com ", "pam@example.com"),
        (FieldKind.EMAIL, "", None),
    ],
)
def test_every_kind_reads_what_the_form_and_the_api_send(kind, raw, expected):
    assert _clean(_field(kind), raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (FieldKind.TEXT, "x" * 256, FIELD_TOO_LONG.format(label="The field", limit=255)),
        (FieldKind.TEXT, 12, FIELD_NOT_TEXT.format(label="The field")),
        (FieldKind.TEXT, "a\x00b", "The field contains a character that cannot be stored."),
        (
            FieldKind.LONG_TEXT,
            "x" * 10_001,
            FIELD_TOO_LONG.format(label="The field", limit=10_000),
        ),
        (FieldKind.NUMBER, "twelve", FIELD_NOT_A_NUMBER.format(label="The field")),
        (FieldKind.NUMBER, "NaN", FIELD_NOT_A_NUMBER.format(label="The field")),
        (FieldKind.NUMBER, True, FIELD_NOT_A_NUMBER.format(label="The field")),
        (FieldKind.NUMBER, "1e20", "The field is too large a number."),
        (FieldKind.DATE, "14/03/2025", FIELD_NOT_A_DATE.format(label="The field")),
        (FieldKind.DATE, 20250314, FIELD_NOT_A_DATE.format(label="The field")),
        (FieldKind.CHECKBOX, "maybe", FIELD_NOT_YES_NO.format(label="The field")),
        (FieldKind.EMAIL, "not an address", FIELD_NOT_AN_EMAIL.format(label="The field")),
        (FieldKind.USER, "nobody@example.com", FIELD_NO_SUCH_USER.format(label="The field")),
        (FieldKind.USER, 987654, FIELD_NO_SUCH_USER.format(label="The field")),
    ],
)
def test_every_kind_refuses_what_it_cannot_read_with_a_clear_message(kind, raw, message):
    assert _error(_field(kind), raw) == message


def test_choices_by_id_and_never_a_switched_off_or_foreign_one():
    field = _field(FieldKind.CHOICE)
    red, green, _blue, old = field.choice_list
    assert _clean(field, red.pk) == red
    assert _clean(field, str(green.pk)) == green
    assert _clean(field, "") is None
    other = _field(FieldKind.CHOICE, name="other").choice_list[0]
    for bad in (old.pk, other.pk, "Red", 1.5, [red.pk]):
        assert _error(field, bad) == FIELD_NOT_A_CHOICE.format(label="The field")


def test_multiple_choice_is_a_list_of_ids_in_the_admins_order():
    field = _field(FieldKind.MULTIPLE_CHOICE)
    red, _green, blue, old = field.choice_list
    assert _clean(field, [blue.pk, str(red.pk), red.pk]) == [red, blue]
    assert _clean(field, []) is None
    assert _error(field, [red.pk, old.pk]) == FIELD_NOT_A_CHOICE.format(label="The field")


def test_a_user_by_email_or_id_and_only_for_agents(desk):
    field = _field(FieldKind.USER)
    assert _clean(field, desk.requester.email.upper()) == desk.requester
    assert _clean(field, desk.requester.pk) == desk.requester
    bad = CustomField(name="approver", label="Approver", kind=FieldKind.USER)
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "for agents only" in str(caught.value)


def test_required_names_the_field_and_unknown_names_are_refused():
    field = _field(FieldKind.TEXT, required_at_intake=True)
    with pytest.raises(FieldErrors) as caught:
        fields_clean(fields=[field], values={"f": "  ", "nope": "x"})
    assert caught.value.errors == {
        "f": FIELD_REQUIRED.format(label="The field"),
        "nope": FIELD_UNKNOWN,
    }
    # An edit of other fields does not need it; not enforced, it may be empty.
    assert fields_clean(fields=[field], values={}, partial=True) == {}
    assert fields_clean(fields=[field], values={}, enforce_required=False)[field.pk].value is None


# Intake ------------------------------------------------------------------------------------


def test_intake_stores_typed_values_and_requires_what_it_must(desk, hardware):
    with pytest.raises(FieldErrors) as caught:
        ticket_create(
            requester=desk.requester,
            by=desk.requester,
            subject="Laptop broken",
            body="Screen is black.",
            help_topic=hardware.topic,
            fields={},
        )
    assert caught.value.errors == {"asset_tag": "Asset tag is required."}
    ticket = ticket_create(
        requester=desk.requester,
        by=desk.requester,
        subject="Laptop broken",
        body="Screen is black.",
        help_topic=hardware.topic,
        fields={"asset_tag": "DM-0042", "office_floor": hardware.floors["Second"].pk},
    )
    rows = TicketFieldValue.objects.filter(ticket=ticket).order_by("field__name")
    assert [(r.field.name, r.value_text, r.choice_id) for r in rows] == [
        ("asset_tag", "DM-0042", None),
        ("office_floor", "", hardware.floors["Second"].pk),
    ]


def test_a_requester_cannot_fill_an_agents_only_field_an_agent_can(desk, hardware):
    base = {
        "requester": desk.requester,
        "subject": "Laptop broken",
        "body": "Screen is black.",
        "help_topic": hardware.topic,
    }
    with pytest.raises(FieldErrors) as caught:
        ticket_create(**base, by=desk.requester, fields={"asset_tag": "A", "notes_for_it": "x"})
    assert caught.value.errors == {"notes_for_it": FIELD_UNKNOWN}
    ticket = ticket_create(
        **base, by=desk.agent.user, fields={"asset_tag": "A", "notes_for_it": "Spare in stock"}
    )
    values = {v.field.name: v.text for v in ticket_fields_for_agent(ticket=ticket)}
    assert values == {
        "asset_tag": "A",
        "office_floor": "",
        "notes_for_it": "Spare in stock",
        "warranty_until": "",
    }
    # The requester's view never holds an agents-only field, filled or not.
    assert [v.field.name for v in ticket_fields_for_requester(ticket=ticket)] == ["asset_tag"]


def test_mail_is_never_refused_for_a_missing_field(desk, hardware):
    """The mail channel (and osTicket's API) pass no fields: nothing required, none stored."""
    ticket = ticket_create(
        requester=desk.requester,
        by=SYSTEM,
        subject="Laptop broken",
        body="By email",
        help_topic=hardware.topic,
        source="email",
    )
    assert ticket.pk and not TicketFieldValue.objects.filter(ticket=ticket).exists()


# An agent's change -------------------------------------------------------------------------


def _hardware_ticket(desk, hardware, **fields):
    return ticket_create(
        requester=desk.requester,
        by=desk.requester,
        subject="Laptop broken",
        body="Screen is black.",
        help_topic=hardware.topic,
        fields={"asset_tag": "DM-0042", **fields},
    )


def test_an_agent_changes_fields_with_one_event_of_old_and_new(desk, hardware):
    ticket = _hardware_ticket(desk, hardware, office_floor=hardware.floors["Ground"].pk)
    ticket_set_fields(
        ticket=ticket,
        values={
            "asset_tag": "DM-0043",
            "office_floor": hardware.floors["First"].pk,
            "warranty_until": "2026-01-31",
        },
        by=desk.agent.user,
    )
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELDS_CHANGED)
    assert event.actor == desk.agent.user
    floor = hardware.office_floor
    assert event.data["changes"] == [
        {
            "field": {"id": hardware.asset_tag.pk, "name": "Asset tag", "key": "asset_tag"},
            "from": "DM-0042",
            "to": "DM-0043",
        },
        {
            "field": {"id": floor.pk, "name": "Office floor", "key": "office_floor"},
            "from": "Ground",
            "to": "First",
            "from_choices": [{"id": hardware.floors["Ground"].pk, "name": "Ground"}],
            "to_choices": [{"id": hardware.floors["First"].pk, "name": "First"}],
        },
        {
            "field": {
                "id": hardware.warranty_until.pk,
                "name": "Warranty until",
                "key": "warranty_until",
            },
            "from": None,
            "to": "2026-01-31",
        },
    ]
    # The same values again: nothing changed, no event.
    ticket_set_fields(ticket=ticket, values={"asset_tag": "DM-0043"}, by=desk.agent.user)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FIELDS_CHANGED).count() == 1
    # Clearing one is a change too; a required-at-intake one cannot be cleared.
    ticket_set_fields(ticket=ticket, values={"office_floor": None}, by=desk.agent.user)
    last = TicketEvent.objects.filter(kind=EventKind.FIELDS_CHANGED).latest("id")
    assert last.data["changes"][0]["to"] is None
    with pytest.raises(FieldErrors):
        ticket_set_fields(ticket=ticket, values={"asset_tag": ""}, by=desk.agent.user)


def test_only_agents_of_the_department_change_fields_and_not_once_closed(desk, hardware):
    ticket = _hardware_ticket(desk, hardware)
    for outsider in (desk.requester, desk.sales_agent.user, None):
        with pytest.raises(NotPermitted):
            ticket_set_fields(ticket=ticket, values={"asset_tag": "X"}, by=outsider)
    ticket_close(ticket=ticket, by=desk.agent.user)
    with pytest.raises(TransitionNotAllowed):
        ticket_set_fields(ticket=ticket, values={"asset_tag": "X"}, by=desk.agent.user)
    assert TicketFieldValue.objects.get(ticket=ticket).value_text == "DM-0042"


def test_renaming_a_choice_keeps_every_tickets_value(desk, hardware):
    ticket = _hardware_ticket(desk, hardware, office_floor=hardware.floors["Second"].pk)
    FieldChoice.objects.filter(pk=hardware.floors["Second"].pk).update(label="2nd floor")
    values = {v.field.name: field_value_json(v) for v in ticket_fields_for_agent(ticket=ticket)}
    assert values["office_floor"] == {"id": hardware.floors["Second"].pk, "label": "2nd floor"}


# Resolving ---------------------------------------------------------------------------------


def test_resolving_is_refused_while_a_field_required_to_resolve_is_empty(desk, hardware):
    ticket = _hardware_ticket(desk, hardware)
    with pytest.raises(InvalidInput) as caught:
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    assert caught.value.message == "Fill in “Warranty until” before resolving this ticket."
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    ticket_set_fields(ticket=ticket, values={"warranty_until": "2026-01-31"}, by=desk.agent.user)
    assert ticket_resolve(ticket=ticket, by=desk.agent.user).status == Status.RESOLVED


def test_the_requester_marking_it_solved_is_not_held_back(desk, hardware):
    ticket = _hardware_ticket(desk, hardware)
    assert ticket_resolve(ticket=ticket, by=desk.requester).status == Status.RESOLVED


def test_closing_is_not_resolving(desk, hardware):
    """Spam and duplicates are closed with the fields empty."""
    ticket = _hardware_ticket(desk, hardware)
    assert ticket_close(ticket=ticket, by=desk.agent.user).status == Status.CLOSED


# Search and the queue -----------------------------------------------------------------------


@pytest.mark.postgres
def test_search_finds_the_fields_text_and_choice_labels(desk, hardware):
    ticket = _hardware_ticket(desk, hardware, office_floor=hardware.floors["Second"].pk)
    found = ticket_search_for_agent(user=desk.agent.user, query="DM-0042")
    assert [r.ticket.pk for r in found.results] == [ticket.pk]
    ticket_set_fields(ticket=ticket, values={"asset_tag": "ZX-Spectrum"}, by=desk.agent.user)
    found = ticket_search_for_agent(user=desk.agent.user, query="spectrum")
    assert [r.ticket.pk for r in found.results] == [ticket.pk]
    found = ticket_search_for_agent(user=desk.agent.user, query="second")
    assert [r.ticket.pk for r in found.results] == [ticket.pk]


def test_the_queue_filters_and_sorts_by_a_choice(desk, hardware):
    floors = hardware.floors
    second = _hardware_ticket(desk, hardware, office_floor=floors["Second"].pk)
    ground = _hardware_ticket(desk, hardware, office_floor=floors["Ground"].pk)
    first = _hardware_ticket(desk, hardware, office_floor=floors["First"].pk)
    none = _hardware_ticket(desk, hardware)
    field_id = hardware.office_floor.pk
    page = ticket_list_for_agent(
        user=desk.agent.user,
        filters=QueueFilters(field_choice=(field_id, floors["Second"].pk)),
    )
    assert [t.pk for t in page.tickets] == [second.pk]
    assert page.count == 1
    page = ticket_list_for_agent(user=desk.agent.user, sort=f"field:{field_id}", page_size=2)
    assert [t.pk for t in page.tickets] == [ground.pk, first.pk]
    page = ticket_list_for_agent(
        user=desk.agent.user, sort=f"field:{field_id}", page_size=2, after=page.next_cursor
    )
    assert [t.pk for t in page.tickets] == [second.pk, none.pk]


def test_hostile_text_is_stored_exactly(desk, hardware):
    for payload in PAYLOADS[:40]:
        ticket = _hardware_ticket(desk, hardware)
        ticket_set_fields(
            ticket=ticket,
            values={"asset_tag": payload[:255], "notes_for_it": payload},
            by=desk.agent.user,
        )
        values = {v.field.name: v.value for v in ticket_fields_for_agent(ticket=ticket)}
        assert values["asset_tag"] == payload[:255].strip()
        assert values["notes_for_it"] == payload.strip()
