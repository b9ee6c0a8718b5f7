"""The topic's questions on the portal's new-ticket form: swapped in by htmx, or shown
after a submit without JavaScript, checked with clear errors that keep what was typed,
stored through the intake service; agents-only fields never reach a requester; hostile
labels, help text and values stay text."""

import pytest

from portal.forms import MORE_QUESTIONS
from tests.portal.test_intake_views import URL, token_from
from tests.support.custom_fields import make_field
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import FieldKind, Ticket, TicketFieldValue
from tickets.services import ticket_set_fields

pytestmark = pytest.mark.django_db

FIELDS_URL = "/tickets/new/fields/"


def _data(client, hardware, **overrides):
    data = {
        "name": "Pam Beesly",
        "email": "pam@example.com",
        "help_topic": hardware.topic.pk,
        "fields_topic": hardware.topic.pk,
        "subject": "Laptop will not start",
        "body": "Black screen.",
        "website": "",
        "intake_token": token_from(client.get(URL)),
        "cf_asset_tag": "DM-0042",
        "cf_office_floor": hardware.floors["First"].pk,
    }
    data.update(overrides)
    return data


def test_htmx_swaps_in_the_topics_requester_fields(client, hardware):
    html = client.get(FIELDS_URL, {"help_topic": hardware.topic.pk}).content.decode()
    assert 'id="topic-fields"' in html
    assert 'name="cf_asset_tag"' in html and "Asset tag" in html
    assert "The sticker under the laptop." in html
    assert 'name="cf_office_floor"' in html and ">Second</option>" in html
    assert f'name="fields_topic" value="{hardware.topic.pk}"' in html
    # Agents-only fields are never on the requesters' form.
    assert "cf_notes_for_it" not in html and "Warranty" not in html
    # Another topic, or none: an empty block to swap in.
    for topic in ("", "999999", "abc"):
        html = client.get(FIELDS_URL, {"help_topic": topic}).content.decode()
        assert 'id="topic-fields"' in html and "cf_" not in html


def test_the_topic_select_asks_htmx_for_the_fields(client, hardware):
    html = client.get(URL).content.decode()
    assert f'hx-get="{FIELDS_URL}"' in html and 'hx-target="#topic-fields"' in html
    # A link may choose the topic: its questions come with the page.
    html = client.get(URL, {"help_topic": hardware.topic.pk}).content.decode()
    assert 'name="cf_asset_tag"' in html


def test_submitted_with_the_fields_the_ticket_holds_them(client, hardware):
    response = client.post(URL, _data(client, hardware))
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Laptop will not start")
    values = {
        row.field.name: row.value_text or row.choice.label
        for row in TicketFieldValue.objects.filter(ticket=ticket).select_related("field", "choice")
    }
    assert values == {"asset_tag": "DM-0042", "office_floor": "First"}


def test_without_javascript_the_form_comes_back_with_the_topics_questions(client, hardware):
    """The topic was chosen, but the form showed no questions (no htmx): nothing is lost."""
    data = _data(client, hardware, fields_topic="")
    del data["cf_asset_tag"], data["cf_office_floor"]
    response = client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert not Ticket.objects.filter(subject="Laptop will not start").exists()
    assert MORE_QUESTIONS in html
    assert 'name="cf_asset_tag"' in html
    assert "Asset tag is required." not in html  # not yet: they had not seen it
    assert 'value="Laptop will not start"' in html and "Black screen." in html
    assert f'name="fields_topic" value="{hardware.topic.pk}"' in html
    # Answered and sent again: the ticket, with its value.
    response = client.post(URL, {**data, "fields_topic": hardware.topic.pk, "cf_asset_tag": "X1"})
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Laptop will not start")
    assert TicketFieldValue.objects.get(ticket=ticket).value_text == "X1"


def test_errors_are_under_each_field_and_keep_what_was_typed(client, hardware):
    response = client.post(
        URL, _data(client, hardware, cf_asset_tag="   ", cf_office_floor="424242")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Asset tag is required." in html
    assert "Choose one of the options offered for Office floor." in html
    assert 'value="Laptop will not start"' in html
    assert not Ticket.objects.filter(subject="Laptop will not start").exists()
    response = client.post(URL, _data(client, hardware, cf_asset_tag="x" * 300))
    html = response.content.decode()
    assert "Asset tag is too long (at most 255 characters)." in html
    assert "x" * 300 in html  # what was typed, kept


def test_a_requester_cannot_post_an_agents_only_field(client, hardware):
    client.post(URL, _data(client, hardware, cf_notes_for_it="sneaky"))
    ticket = Ticket.objects.get(subject="Laptop will not start")
    assert not TicketFieldValue.objects.filter(ticket=ticket, field=hardware.notes_for_it)


def test_the_signed_in_form_asks_the_same(client_for, desk, hardware):
    client = client_for(desk.requester)
    data = _data(client, hardware)
    del data["name"], data["email"]
    assert client.post(URL, data).status_code == 302
    ticket = Ticket.objects.get(subject="Laptop will not start")
    assert ticket.requester == desk.requester
    assert TicketFieldValue.objects.filter(ticket=ticket).count() == 2


def test_the_requesters_ticket_page_shows_their_fields_never_agents_only(
    client_for, desk, hardware
):
    client = client_for(desk.requester)
    data = _data(client, hardware)
    del data["name"], data["email"]
    client.post(URL, data)
    ticket = Ticket.objects.get(subject="Laptop will not start")
    ticket_set_fields(
        ticket=ticket,
        values={"notes_for_it": "Secret: replace the board", "warranty_until": "2026-01-01"},
        by=desk.agent.user,
    )
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "<dt>Asset tag</dt>" in html and "DM-0042" in html and "First" in html
    assert "Secret" not in html and "Notes for IT" not in html and "Warranty" not in html


def test_hostile_labels_help_text_and_values_stay_text(client_for, desk, hardware):
    client = client_for(desk.requester)
    for i, payload in enumerate(PAYLOADS[:25]):
        make_field(
            hardware.topic,
            10 + i,
            name=f"hostile_{i}",
            label=payload[:100],
            help_text=payload[:255],
            kind=FieldKind.TEXT,
        )
    html = client.get(FIELDS_URL, {"help_topic": hardware.topic.pk}).content.decode()
    assert_inert(html, where="in the topic's fields")
    data = _data(client, hardware)
    del data["name"], data["email"]
    data.update({f"cf_hostile_{i}": p for i, p in enumerate(PAYLOADS[:25])})
    data["cf_asset_tag"] = PAYLOADS[0][:255]
    response = client.post(URL, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get(subject="Laptop will not start")
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert_inert(html, where="on the requester's ticket page")
    agent = client_for(desk.agent.user)
    html = agent.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert_inert(html, where="on the agent's ticket page")
