"""Reading tickets through the API: only the key's departments (404 for others, whatever
the number), filters that mean what they say (unknown ones refused), cursors, and the same
number of queries for a page of 1 and of 100."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import bearer
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tickets.models import Priority
from tickets.services import ticket_add_note, ticket_reply, ticket_set_priority

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def reader(make_key):
    return bearer(make_key(scopes=["tickets:read"])[1])


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["results"]]


def test_only_tickets_of_the_keys_departments(client, desk, reader):
    ours = desk.ticket(subject="CRM is down")
    theirs = desk.ticket(subject="Sales thing", help_topic=None, department=desk.sales)
    assert numbers(client.get(TICKETS, **reader)) == [ours.number]
    assert client.get(f"{TICKETS}{theirs.number}/", **reader).status_code == 404
    assert client.get(f"{TICKETS}99999999/", **reader).status_code == 404
    assert client.get(f"{TICKETS}{ours.number}/", **reader).status_code == 200


def test_a_ticket_with_its_clocks_and_on_request_its_thread_and_events(client, desk, reader):
    ticket = desk.ticket(subject=PAYLOADS[0], body=PAYLOADS[1])
    ticket_reply(ticket=ticket, body="On it.", by=desk.agent.user)
    ticket_add_note(ticket=ticket, body="Between us.", by=desk.agent.user)
    plain = client.get(f"{TICKETS}{ticket.number}/", **reader).json()
    assert plain["subject"] == PAYLOADS[0]  # exactly as stored: JSON strings, not HTML
    assert plain["requester"]["email"] == desk.requester.email
    assert {c["kind"] for c in plain["clocks"]} >= {"resolution"}
    assert "thread" not in plain and "events" not in plain

    full = client.get(f"{TICKETS}{ticket.number}/?include=thread,events", **reader).json()
    assert [e["kind"] for e in full["thread"]] == ["message", "reply", "note"]
    assert full["thread"][0]["body"] == PAYLOADS[1]
    assert "created" in {e["kind"] for e in full["events"]}


def test_filters(client, desk, reader):
    low = desk.ticket(subject="low")
    high = desk.ticket(subject="high")
    ticket_set_priority(ticket=high, priority=Priority.URGENT, by=desk.agent.user)
    other = UserFactory()
    theirs = desk.ticket(subject="other", requester=other, by=other)
    assert numbers(client.get(f"{TICKETS}?priority=urgent", **reader)) == [high.number]
    assert numbers(client.get(f"{TICKETS}?requester={other.pk}", **reader)) == [theirs.number]
    assert set(numbers(client.get(f"{TICKETS}?assignee=none", **reader))) == {
        low.number,
        high.number,
        theirs.number,
    }
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert numbers(client.get(TICKETS, {"updated_since": later}, **reader)) == []
    assert numbers(client.get(f"{TICKETS}?status=closed", **reader)) == []


@pytest.mark.parametrize(
    "query",
    [
        "statuss=open",
        "status=nope",
        "priority=9",
        "department=abc",
        "department=99999999999999999999",
        "assignee=x",
        "page_size=1000",
        "updated_since=yesterday",
        "sort=__class__",
    ],
)
def test_bad_and_unknown_parameters_are_400_naming_them(client, reader, query):
    response = client.get(f"{TICKETS}?{query}", **reader)
    assert response.status_code == 400
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert query.split("=")[0] in problem["errors"]


def test_a_garbled_cursor_is_the_first_page(client, desk, reader):
    ticket = desk.ticket()
    assert numbers(client.get(f"{TICKETS}?cursor=garbage!!", **reader)) == [ticket.number]


def test_cursors_walk_every_ticket_once(client, desk, reader):
    made = {desk.ticket(subject=f"t{i}").number for i in range(7)}
    seen, url = [], f"{TICKETS}?page_size=3&count=true"
    while url:
        body = client.get(url, **reader).json()
        assert body["count"] == 7
        seen += [t["number"] for t in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(made) and len(seen) == 7


def test_the_same_queries_for_a_page_of_1_and_of_100(client, desk, reader):
    for i in range(12):
        desk.ticket(subject=f"t{i}")
    counts = []
    for size in (1, 100):
        client.get(f"{TICKETS}?page_size={size}", **reader)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{TICKETS}?page_size={size}", **reader).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6, counts


def test_requesters_and_keys_without_the_scope_read_nothing(client, desk, make_key, client_for):
    ticket = desk.ticket()
    requester = client_for(desk.requester)
    assert requester.get(TICKETS).status_code == 403
    assert requester.get(f"{TICKETS}{ticket.number}/").status_code == 404
    _key, narrow = make_key(scopes=["departments:read"])
    assert client.get(TICKETS, **bearer(narrow)).status_code == 403


def test_an_agent_signed_in_reads_as_on_the_pages(desk, client_for):
    ticket = desk.ticket()
    assert numbers(client_for(desk.agent.user).get(TICKETS)) == [ticket.number]
    assert numbers(client_for(desk.sales_agent.user).get(TICKETS)) == []


def test_the_written_out_list_fields_match_the_declared_ones(desk):
    # TicketSerializer writes its fields out by hand for speed; the declared fields are the
    # schema. Both must say the same, for a ticket with every optional field set and unset.
    from rest_framework import serializers

    from api.serializers import TicketSerializer
    from tickets.services import ticket_assign, ticket_resolve

    bare = desk.ticket(subject="Nothing set", help_topic=None, department=desk.it)
    full = desk.ticket(subject="Everything set")
    ticket_assign(ticket=full, agent=desk.agent, by=desk.manager.user)
    ticket_resolve(ticket=full, by=desk.agent.user)
    context = {"now": timezone.now()}
    for ticket in (bare, full):
        ticket.refresh_from_db()
        fast = TicketSerializer(ticket, context=context)
        declared = serializers.Serializer.to_representation(fast, ticket)
        assert fast.data == declared
    assert TicketSerializer(full, context=context).data["assignee"] is not None
    assert TicketSerializer(full, context=context).data["resolved_at"] is not None
