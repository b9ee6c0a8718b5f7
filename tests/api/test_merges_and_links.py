"""Merging and links through the API: actions on the ticket resource, with the pages'
services, scopes and messages; the ticket's `merged_into`, `links` and `merged_tickets`."""

import datetime

import pytest
import time_machine

from tests.api.conftest import bearer
from tests.support.hostile import PAYLOADS
from tickets.models import EventKind, Status, TicketMerge
from tickets.services import ticket_merge, ticket_transfer

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def writer(make_key):
    return bearer(make_key(name="Monitoring", scopes=["tickets:read", "tickets:write"])[1])


def post(client, path, data, auth):
    return client.post(path, data, content_type="application/json", **auth)


def test_merge_read_and_undo(client, desk, writer):
    target = desk.ticket()
    sources = [desk.ticket(requester=desk.other_requester), desk.ticket(subject=PAYLOADS[2])]

    response = post(
        client,
        f"{TICKETS}{target.number}/actions/merge/",
        {"sources": [s.number for s in sources]},
        writer,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["ticket"] for m in body["merged_tickets"]] == [s.number for s in sources]
    assert body["merged_into"] is None
    event = target.events.filter(kind=EventKind.TICKET_MERGED).first()
    assert event.data["via"] == "API key Monitoring"

    source = client.get(f"{TICKETS}{sources[0].number}/", **writer).json()
    assert source["merged_into"] == target.number
    assert source["status"] == "closed"

    response = post(client, f"{TICKETS}{sources[0].number}/actions/undo-merge/", {}, writer)
    assert response.status_code == 200, response.content
    assert response.json()["merged_into"] is None
    assert response.json()["status"] == "open"


def test_refusals_are_problems_naming_why(client, desk, writer, make_key):
    target, source = desk.ticket(), desk.ticket()
    elsewhere = desk.ticket()
    ticket_transfer(ticket=elsewhere, department=desk.sales, by=desk.agent.user)
    merge = f"{TICKETS}{target.number}/actions/merge/"

    response = post(client, merge, {"sources": [target.number]}, writer)
    assert response.status_code == 400
    assert response.json()["detail"] == "A ticket cannot be merged into itself."
    response = post(client, merge, {"sources": [elsewhere.number]}, writer)
    assert response.status_code == 400
    assert "in your departments" in str(response.json())
    assert post(client, merge, {"sources": []}, writer).status_code == 400
    assert post(client, merge, {"sources": ["x"]}, writer).status_code == 400
    assert post(client, merge, {"into": 3}, writer).status_code == 400

    reader = bearer(make_key(scopes=["tickets:read"])[1])
    assert post(client, merge, {"sources": [source.number]}, reader).status_code == 403
    assert not TicketMerge.objects.exists()

    response = post(client, f"{TICKETS}{source.number}/actions/undo-merge/", {}, writer)
    assert response.status_code == 400
    assert (
        response.json()["detail"] == f"Ticket #{source.number} is not merged into another ticket."
    )


def test_undo_after_seven_days_is_refused(client, desk, writer):
    target, source = desk.ticket(), desk.ticket()
    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=8)):
        response = post(client, f"{TICKETS}{source.number}/actions/undo-merge/", {}, writer)
    assert response.status_code == 400
    assert "more than 7 days old" in response.json()["detail"]
    source.refresh_from_db()
    assert source.status == Status.CLOSED


def test_links_through_the_api(client, desk, writer):
    parent, child = desk.ticket(), desk.ticket()
    response = post(
        client,
        f"{TICKETS}{child.number}/actions/link/",
        {"ticket": parent.number, "kind": "child_of"},
        writer,
    )
    assert response.status_code == 200, response.content
    assert response.json()["links"] == [{"kind": "child_of", "ticket": parent.number}]
    body = client.get(f"{TICKETS}{parent.number}/", **writer).json()
    assert body["links"] == [{"kind": "parent_of", "ticket": child.number}]

    response = post(
        client,
        f"{TICKETS}{child.number}/actions/link/",
        {"ticket": parent.number, "kind": "sibling"},
        writer,
    )
    assert response.status_code == 400

    post(client, f"{TICKETS}{parent.number}/actions/resolve/", {}, writer)
    response = post(client, f"{TICKETS}{parent.number}/actions/resolve-children/", {}, writer)
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.status == Status.RESOLVED

    response = post(
        client, f"{TICKETS}{parent.number}/actions/unlink/", {"ticket": child.number}, writer
    )
    assert response.status_code == 200
    assert response.json()["links"] == []
