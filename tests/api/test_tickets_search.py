"""Searching the ticket list: `?q=` finds what the desk's search box finds (numbers, an
email address, words as prefixes over subject and thread, part of the subject), only in
the reader's departments, combined with the other filters, in the list's own order with
cursors that walk every match once, in the same number of queries for a page of 1 and of
100; no input makes it fail."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import bearer
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tickets.models import Priority, Status
from tickets.selectors import SEARCH_QUERY_MAX_LENGTH
from tickets.services import (
    ticket_add_note,
    ticket_change_status,
    ticket_reply,
    ticket_set_priority,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def reader(make_key):
    return bearer(make_key(scopes=["tickets:read"])[1])


def found(client, auth, q, **params) -> list[int]:
    response = client.get(TICKETS, {"q": q, **params}, **auth)
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["results"]]


@pytest.fixture
def tickets(desk):
    """Tickets of IT (the reader's) and one of Sales with the same words."""
    monitor = desk.ticket(subject="Monitor flickering", body="The screen flickers all day.")
    crm = desk.ticket(subject="CRM is down", body="Nobody can log in.")
    keyboard = desk.ticket(subject="Wireless keyboard lost", body="Since Monday.")
    theirs = desk.ticket(
        subject="Monitor flickering too",
        body="Same as IT's.",
        help_topic=None,
        department=desk.sales,
    )
    return {"monitor": monitor, "crm": crm, "keyboard": keyboard, "theirs": theirs}


def test_words_as_prefixes_in_the_readers_departments_only(client, reader, tickets):
    assert found(client, reader, "flick") == [tickets["monitor"].number]
    assert found(client, reader, "monit FLICKER") == [tickets["monitor"].number]
    assert found(client, reader, "monitor crm") == []  # every word must match
    assert found(client, reader, "screen") == [tickets["monitor"].number]  # the thread too


def test_replies_and_internal_notes_are_searched(client, desk, reader, tickets):
    ticket_reply(ticket=tickets["crm"], body="Restarted the toner service.", by=desk.agent.user)
    ticket_add_note(
        ticket=tickets["keyboard"], body="Dongle in lost-and-found.", by=desk.agent.user
    )
    assert found(client, reader, "toner") == [tickets["crm"].number]
    assert found(client, reader, "dongle") == [tickets["keyboard"].number]


def test_part_of_a_subject(client, reader, tickets):
    assert found(client, reader, "board") == [tickets["keyboard"].number]
    assert found(client, reader, "reless") == [tickets["keyboard"].number]


def test_a_ticket_number(client, reader, tickets):
    number = tickets["crm"].number
    assert found(client, reader, str(number)) == [number]
    assert found(client, reader, f"#{number}") == [number]
    # Another department's ticket is not found by its number either.
    assert found(client, reader, str(tickets["theirs"].number)) == []


def test_a_requesters_email(client, desk, reader, tickets):
    pam = UserFactory(email="pam@example.com")
    hers = desk.ticket(subject="Paper", requester=pam, by=pam)
    desk.ticket(subject="Paper in Sales", requester=pam, by=pam, help_topic=None,
                department=desk.sales)  # fmt: skip
    assert found(client, reader, "PAM@example.com") == [hers.number]


def test_combined_with_the_other_filters(client, desk, reader, tickets):
    monitor2 = desk.ticket(subject="Second monitor flickers")
    ticket_set_priority(ticket=monitor2, priority=Priority.URGENT, by=desk.agent.user)
    both = {tickets["monitor"].number, monitor2.number}
    assert set(found(client, reader, "flick")) == both
    assert found(client, reader, "flick", priority="urgent") == [monitor2.number]
    ticket_change_status(ticket=tickets["monitor"], action="resolve", by=desk.agent.user)
    assert found(client, reader, "flick", status=Status.RESOLVED) == [tickets["monitor"].number]
    assert found(client, reader, "flick", status=Status.OPEN) == [monitor2.number]
    assert found(client, reader, "flick", department=desk.sales.pk) == []


def test_the_lists_order_and_cursors_walk_every_match_once(client, desk, reader):
    printers = [desk.ticket(subject=f"Printer {i} jams") for i in range(7)]
    for i in range(3):
        desk.ticket(subject=f"Scanner {i}")
    for sort in ("updated", "created", "due", "priority"):
        everything = [
            t["number"]
            for t in client.get(TICKETS, {"sort": sort, "page_size": 100}, **reader).json()[
                "results"
            ]
        ]
        expected = [n for n in everything if n in {p.number for p in printers}]
        seen, url, params = [], TICKETS, {"q": "printer", "sort": sort, "page_size": 3,
                                          "count": "true"}  # fmt: skip
        while url:
            body = client.get(url, params, **reader).json()
            assert body["count"] == 7
            seen += [t["number"] for t in body["results"]]
            url, params = body["next"], {}
        assert seen == expected, sort
    # And back: `previous` from the last page gives the page before it.
    first = client.get(TICKETS, {"q": "printer", "page_size": 3}, **reader).json()
    second = client.get(first["next"], **reader).json()
    back = client.get(second["previous"], **reader).json()
    assert [t["number"] for t in back["results"]] == [t["number"] for t in first["results"]]


def test_the_same_queries_for_a_page_of_1_and_of_100(client, desk, reader):
    for i in range(12):
        desk.ticket(subject=f"Printer {i} jams", body="Toner everywhere.")
    counts = []
    for size in (1, 100):
        params = {"q": "print toner", "page_size": size, "count": "true"}
        client.get(TICKETS, params, **reader)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(TICKETS, params, **reader)
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6, counts


@pytest.mark.parametrize("q", ["", "   ", "\t\n"])
def test_an_empty_search_is_400_naming_q(client, reader, q):
    response = client.get(TICKETS, {"q": q}, **reader)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "q" in response.json()["errors"]


def test_a_search_too_long_is_400_naming_q(client, reader, tickets):
    response = client.get(TICKETS, {"q": "flick " * 200}, **reader)
    assert response.status_code == 400
    assert str(SEARCH_QUERY_MAX_LENGTH) in response.json()["errors"]["q"][0]
    longest = "flick" + " x" * ((SEARCH_QUERY_MAX_LENGTH - 5) // 2)
    assert len(longest) <= SEARCH_QUERY_MAX_LENGTH
    assert client.get(TICKETS, {"q": longest}, **reader).status_code == 200


@pytest.mark.parametrize(
    "q",
    ["!!!", "%", "_", "%_\\", "&|!():*", "'", '"', "<->", "the", "a_b", "1" * 19, "1" * 200,
     "#", "@", "a@", "@b", "ǅ", "😀 printer", "x:*&y", "\\", "--", "/*", "' OR 1=1 --"],
)  # fmt: skip
def test_odd_searches_answer_never_fail(client, reader, tickets, q):
    response = client.get(TICKETS, {"q": q}, **reader)
    assert response.status_code == 200, (q, response.content)


@pytest.mark.parametrize("q", ["!!!", "%", "()", "--"])
def test_nothing_to_search_for_matches_nothing(client, reader, tickets, q):
    body = client.get(TICKETS, {"q": q, "count": "true"}, **reader).json()
    assert (body["results"], body["count"]) == ([], 0)


def test_a_percent_sign_is_a_percent_sign(client, desk, reader, tickets):
    discount = desk.ticket(subject="Discount 100% off")
    assert found(client, reader, "100%") == [discount.number]


def test_a_null_character_is_400(client, reader):
    response = client.get(TICKETS, {"q": "flick\x00"}, **reader)
    assert response.status_code == 400 and "q" in response.json()["errors"]


def test_the_hostile_corpus_as_searches(client, desk, reader):
    ticket = desk.ticket(subject=PAYLOADS[0])
    for payload in PAYLOADS:
        if "\x00" in payload or not payload.strip():
            continue
        response = client.get(TICKETS, {"q": payload[:SEARCH_QUERY_MAX_LENGTH]}, **reader)
        assert response.status_code == 200, (payload, response.content)
    assert ticket.number in found(client, reader, PAYLOADS[0][:SEARCH_QUERY_MAX_LENGTH])


def test_requesters_search_nothing_here(desk, tickets, client_for):
    assert client_for(desk.requester).get(TICKETS, {"q": "flick"}).status_code == 403
