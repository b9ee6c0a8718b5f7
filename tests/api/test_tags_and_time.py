"""Tags and time spent in the API: the list filters by tag, the detail shows the tags and
the time spent, actions add and remove tags, time entries are read (tickets:read) and
logged (tickets:write), replies and notes carry minutes, and bad input is a 400."""

import pytest

from tests.api.conftest import bearer
from tickets.models import EventKind, TicketEvent, TimeEntry
from tickets.selectors import ticket_tags
from tickets.services import ticket_add_tag, ticket_log_time

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def reader(make_key):
    return bearer(make_key(name="Dashboard", scopes=["tickets:read"])[1])


@pytest.fixture
def writer(make_key):
    return bearer(
        make_key(
            name="Monitoring",
            scopes=["tickets:read", "tickets:write", "replies:write", "notes:write"],
        )[1]
    )


def test_the_list_filters_by_tag_in_any_case(client, desk, reader):
    tagged, _plain = desk.ticket(), desk.ticket()
    ticket_add_tag(ticket=tagged, name="VPN", by=desk.agent.user)
    response = client.get(TICKETS, {"tag": "vpn"}, **reader)
    assert response.status_code == 200
    assert [t["number"] for t in response.json()["results"]] == [tagged.number]
    response = client.get(TICKETS, {"tag": "nothing"}, **reader)
    assert response.json()["results"] == []


def test_the_detail_shows_tags_and_time_spent(client, desk, reader):
    ticket = desk.ticket()
    ticket_add_tag(ticket=ticket, name="printer", by=desk.agent.user)
    ticket_add_tag(ticket=ticket, name="Floor 2", by=desk.agent.user)
    ticket_log_time(ticket=ticket, minutes=30, by=desk.agent.user)
    ticket_log_time(ticket=ticket, minutes=45, by=desk.manager.user)
    body = client.get(f"{TICKETS}{ticket.number}/", **reader).json()
    assert body["tags"] == ["Floor 2", "printer"]
    assert body["time_spent"]["total_minutes"] == 75
    assert [(a["agent"]["id"], a["minutes"]) for a in body["time_spent"]["by_agent"]] == [
        (desk.manager.user.pk, 45),
        (desk.agent.user.pk, 30),
    ]


def test_actions_add_and_remove_tags(client, desk, writer):
    ticket = desk.ticket()
    url = f"{TICKETS}{ticket.number}/actions/"
    response = client.post(
        url + "add-tag/", {"tag": "Outage"}, content_type="application/json", **writer
    )
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == ["Outage"]
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAG_ADDED)
    assert event.data["via"] == "API key Monitoring"
    response = client.post(
        url + "remove-tag/", {"tag": "outage"}, content_type="application/json", **writer
    )
    assert response.status_code == 200
    assert response.json()["tags"] == []
    response = client.post(
        url + "add-tag/", {"tag": "a\nb"}, content_type="application/json", **writer
    )
    assert response.status_code == 400
    assert "control characters" in response.json()["detail"]
    response = client.post(url + "add-tag/", {}, content_type="application/json", **writer)
    assert response.status_code == 400
    assert ticket_tags(ticket=ticket) == []


def test_time_entries_are_read_and_logged(client, desk, reader, writer):
    ticket = desk.ticket()
    url = f"{TICKETS}{ticket.number}/time-entries/"
    response = client.post(
        url,
        {"minutes": 25, "note": "Called the vendor"},
        content_type="application/json",
        **writer,
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["minutes"], created["note"], created["agent"]["id"]) == (
        25,
        "Called the vendor",
        desk.agent.user.pk,
    )
    assert created["entry_id"] is None
    listed = client.get(url, **reader).json()
    assert [e["id"] for e in listed] == [created["id"]]
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TIME_LOGGED)
    assert event.data["via"] == "API key Monitoring"


def test_logging_time_needs_the_write_scope(client, desk, reader):
    ticket = desk.ticket()
    response = client.post(
        f"{TICKETS}{ticket.number}/time-entries/",
        {"minutes": 25},
        content_type="application/json",
        **reader,
    )
    assert response.status_code == 403
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"minutes": 0}, {"minutes": 1441}, {"minutes": "x"}, {"minutes": 5, "x": 1}]
)
def test_bad_time_entries_are_400(client, desk, writer, body):
    ticket = desk.ticket()
    response = client.post(
        f"{TICKETS}{ticket.number}/time-entries/",
        body,
        content_type="application/json",
        **writer,
    )
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()


def test_another_departments_ticket_is_not_found(client, desk, writer):
    ticket = desk.ticket(department=desk.sales)
    url = f"{TICKETS}{ticket.number}/time-entries/"
    assert client.get(url, **writer).status_code == 404
    response = client.post(url, {"minutes": 5}, content_type="application/json", **writer)
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["replies", "notes"])
def test_replies_and_notes_carry_minutes(client, desk, writer, kind):
    ticket = desk.ticket()
    response = client.post(
        f"{TICKETS}{ticket.number}/{kind}/",
        {"body": "Done.", "minutes": 15},
        content_type="application/json",
        **writer,
    )
    assert response.status_code == 201, response.json()
    entry = TimeEntry.objects.get(ticket=ticket)
    assert entry.minutes == 15 and entry.entry_id == response.json()["id"]
