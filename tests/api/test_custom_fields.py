"""Custom fields in the API: the ticket's detail reads them, creating a ticket and PATCH
on it write them, checked as the portal's form checks them (400 naming each field), and a
requester's own tickets never show an agents-only one."""

import pytest

from tests.api.conftest import bearer
from tickets.models import EventKind, TicketEvent, TicketFieldValue
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def writer(make_key):
    return bearer(make_key(name="Monitoring", scopes=["tickets:read", "tickets:write"])[1])


def _create(client, hardware, auth, **fields):
    return client.post(
        TICKETS,
        {
            "requester": {"email": "pam@example.com"},
            "subject": "Laptop will not start",
            "body": "Black screen.",
            "help_topic": hardware.topic.pk,
            "fields": fields,
        },
        content_type="application/json",
        **auth,
    )


def test_create_writes_and_the_answer_reads_every_field(client, hardware, writer):
    floor = hardware.floors["Second"]
    response = _create(
        client,
        hardware,
        writer,
        asset_tag="DM-0042",
        office_floor=floor.pk,
        notes_for_it="Spare in the cupboard",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["fields"] == {
        "asset_tag": "DM-0042",
        "office_floor": {"id": floor.pk, "label": "Second"},
        "notes_for_it": "Spare in the cupboard",
        "warranty_until": None,
    }
    number = response.json()["number"]
    read = client.get(f"{TICKETS}{number}/", **writer).json()
    assert read["fields"] == response.json()["fields"]


def test_invalid_fields_are_a_400_naming_each(client, hardware, writer):
    response = _create(client, hardware, writer, office_floor=999999, warranty_until="soon")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {
        "fields": {
            "asset_tag": ["Asset tag is required."],
            "office_floor": ["Choose one of the options offered for Office floor."],
            "warranty_until": ["Warranty until must be a date (YYYY-MM-DD)."],
        }
    }
    assert response["Content-Type"] == "application/problem+json"
    response = _create(client, hardware, writer, asset_tag="A", colour="red")
    assert response.json()["errors"] == {
        "fields": {"colour": ["This ticket's help topic has no such field."]}
    }


def test_patch_changes_the_fields_named_with_an_event(client, desk, hardware, writer):
    ticket = ticket_create(
        requester=desk.requester,
        by=desk.requester,
        subject="Laptop",
        body="Black screen.",
        help_topic=hardware.topic,
        fields={"asset_tag": "DM-0042"},
    )
    url = f"{TICKETS}{ticket.number}/"
    response = client.patch(
        url,
        {"fields": {"warranty_until": "2026-02-01", "office_floor": None}},
        content_type="application/json",
        **writer,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["fields"]["warranty_until"] == "2026-02-01"
    assert response.json()["fields"]["asset_tag"] == "DM-0042"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELDS_CHANGED)
    assert event.data["via"] == "API key Monitoring"
    response = client.patch(
        url, {"fields": {"asset_tag": ""}}, content_type="application/json", **writer
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"fields": {"asset_tag": ["Asset tag is required."]}}
    response = client.patch(url, {"colour": "red"}, content_type="application/json", **writer)
    assert response.status_code == 400


def test_patch_needs_the_write_scope_and_the_department(client, desk, hardware, make_key):
    ticket = ticket_create(
        requester=desk.requester,
        by=desk.requester,
        subject="Laptop",
        body="Black screen.",
        help_topic=hardware.topic,
        fields={"asset_tag": "DM-0042"},
    )
    url = f"{TICKETS}{ticket.number}/"
    body = {"fields": {"asset_tag": "X"}}
    reader = bearer(make_key(scopes=["tickets:read"])[1])
    assert client.patch(url, body, content_type="application/json", **reader).status_code == 403
    sales = bearer(make_key(user=desk.sales_agent.user, scopes=["tickets:write"])[1])
    assert client.patch(url, body, content_type="application/json", **sales).status_code == 404
    assert TicketFieldValue.objects.get(ticket=ticket).value_text == "DM-0042"


def test_a_requesters_own_tickets_never_show_agents_only_fields(client_for, desk, hardware):
    ticket = ticket_create(
        requester=desk.requester,
        by=desk.agent.user,
        subject="Laptop",
        body="Black screen.",
        help_topic=hardware.topic,
        fields={"asset_tag": "DM-0042", "notes_for_it": "Secret board swap"},
    )
    client = client_for(desk.requester)
    mine = client.get("/api/v1/me/tickets/")
    assert mine.status_code == 200
    assert ticket.number in [t["number"] for t in mine.json()]
    assert "Secret" not in mine.content.decode()
    # The agents' endpoints answer a requester with nothing of the ticket.
    assert client.get(f"{TICKETS}{ticket.number}/").status_code in (403, 404)
    response = client.patch(
        f"{TICKETS}{ticket.number}/",
        {"fields": {"notes_for_it": "mine now"}},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert TicketFieldValue.objects.get(ticket=ticket, field=hardware.notes_for_it).value_text == (
        "Secret board swap"
    )
