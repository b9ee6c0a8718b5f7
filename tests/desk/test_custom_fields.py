"""Custom fields in the agent workspace: the ticket page shows and edits them (an event
with old and new values), errors keep what was typed, resolving waits for the fields it
needs, and the queue filters and sorts by a choice field."""

import pytest

from tickets.models import EventKind, Status, TicketEvent, TicketFieldValue
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def _ticket(desk, hardware, **fields):
    return ticket_create(
        requester=desk.requester,
        by=desk.requester,
        subject="Laptop will not start",
        body="Black screen.",
        help_topic=hardware.topic,
        fields={"asset_tag": "DM-0042", **fields},
    )


def test_the_ticket_page_shows_every_field_to_agents(client_for, desk, hardware):
    ticket = _ticket(desk, hardware, office_floor=hardware.floors["Second"].pk)
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert 'id="ticket-fields"' in html
    assert 'name="cf_asset_tag"' in html and 'value="DM-0042"' in html
    assert f'<option value="{hardware.floors["Second"].pk}" selected>Second</option>' in html
    assert 'name="cf_notes_for_it"' in html and 'name="cf_warranty_until"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_an_agent_edits_the_fields_and_the_timeline_says_so(client_for, desk, hardware, htmx):
    ticket = _ticket(desk, hardware)
    client = client_for(desk.agent.user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(
        f"/agent/tickets/{ticket.number}/fields/",
        {
            "cf_asset_tag": "DM-0043",
            "cf_office_floor": hardware.floors["Ground"].pk,
            "cf_warranty_until": "2026-02-01",
        },
        **headers,
    )
    assert response.status_code == (200 if htmx else 302)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELDS_CHANGED)
    assert [(c["field"]["key"], c["from"], c["to"]) for c in event.data["changes"]] == [
        ("asset_tag", "DM-0042", "DM-0043"),
        ("office_floor", None, "Ground"),
        ("warranty_until", None, "2026-02-01"),
    ]
    html = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "changed Asset tag from DM-0042 to DM-0043; Office floor to Ground" in html
    if htmx:
        assert 'id="ticket-aside" hx-swap-oob="true"' in response.content.decode()


def test_errors_keep_what_was_typed_and_change_nothing(client_for, desk, hardware):
    ticket = _ticket(desk, hardware)
    response = client_for(desk.agent.user).post(
        f"/agent/tickets/{ticket.number}/fields/",
        {"cf_asset_tag": "DM-0099", "cf_warranty_until": "next tuesday"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Warranty until must be a date (YYYY-MM-DD)." in html
    assert 'value="next tuesday"' in html and 'value="DM-0099"' in html
    assert TicketFieldValue.objects.get(ticket=ticket).value_text == "DM-0042"
    assert not TicketEvent.objects.filter(kind=EventKind.FIELDS_CHANGED).exists()


def test_only_agents_of_the_department_edit(client_for, desk, hardware):
    ticket = _ticket(desk, hardware)
    url = f"/agent/tickets/{ticket.number}/fields/"
    assert client_for(desk.sales_agent.user).post(url, {"cf_asset_tag": "X"}).status_code == 404
    assert client_for(desk.requester).post(url, {"cf_asset_tag": "X"}).status_code in (302, 403)
    assert TicketFieldValue.objects.get(ticket=ticket).value_text == "DM-0042"


def test_resolve_is_refused_with_a_clear_message_until_filled(client_for, desk, hardware):
    ticket = _ticket(desk, hardware)
    client = client_for(desk.agent.user)
    response = client.post(f"/agent/tickets/{ticket.number}/resolve/", follow=True)
    assert "Fill in “Warranty until” before resolving this ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    client.post(
        f"/agent/tickets/{ticket.number}/fields/",
        {"cf_asset_tag": "DM-0042", "cf_warranty_until": "2026-02-01"},
    )
    client.post(f"/agent/tickets/{ticket.number}/resolve/")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_queue_filters_and_sorts_by_a_choice_field(client_for, desk, hardware):
    floors = hardware.floors
    second = _ticket(desk, hardware, office_floor=floors["Second"].pk)
    ground = _ticket(desk, hardware, office_floor=floors["Ground"].pk)
    client = client_for(desk.agent.user)
    html = client.get("/agent/").content.decode()
    value = f"{hardware.office_floor.pk}:{floors['Second'].pk}"
    assert f'<option value="{value}">Office floor: Second</option>' in html
    assert f'<option value="field:{hardware.office_floor.pk}">Office floor</option>' in html
    html = client.get("/agent/", {"field_choice": value}).content.decode()
    assert f"/agent/tickets/{second.number}/" in html
    assert f"/agent/tickets/{ground.number}/" not in html
    html = client.get("/agent/", {"sort": f"field:{hardware.office_floor.pk}"}).content.decode()
    assert html.index(f"/agent/tickets/{ground.number}/") < html.index(
        f"/agent/tickets/{second.number}/"
    )
    # A damaged value is dropped, not a crash.
    assert client.get("/agent/", {"field_choice": "1:x", "sort": "field:x"}).status_code == 200


def test_a_desk_without_choice_fields_shows_no_such_filter(client_for, desk):
    html = client_for(desk.agent.user).get("/agent/").content.decode()
    assert 'name="field_choice"' not in html
