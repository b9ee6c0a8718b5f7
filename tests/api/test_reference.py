"""The API's other reads: reference data, people, the event feed, a requester's own
tickets; each bounded by scopes and by the departments the reader works."""

import pytest

from tests.api.conftest import bearer
from tickets.models import EventKind
from tickets.services import ticket_add_note, ticket_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(make_key):
    return bearer(
        make_key(
            scopes=["tickets:read", "users:read", "users:write", "departments:read", "sla:read"]
        )[1]
    )


def test_help_topics_and_plans(client, desk, everything):
    topics = client.get("/api/v1/help-topics/", **everything).json()
    assert [t["name"] for t in topics] == [desk.topic.name]
    assert topics[0]["department"]["name"] == "IT"
    plans = client.get("/api/v1/sla-plans/", **everything).json()
    assert {"Standard", "Critical"} <= {p["name"] for p in plans}


def test_agents_of_the_readers_departments(client, desk, everything):
    agents = client.get("/api/v1/agents/", **everything).json()
    names = {a["user"]["name"] for a in agents}
    assert "Ryan Howard" in names and "Dwight Schrute" not in names  # Sales


def test_people_by_cursor_and_by_email_and_a_new_guest(client, desk, everything):
    first = client.get("/api/v1/users/?limit=2", **everything).json()
    assert len(first["results"]) == 2
    rest = client.get(f"/api/v1/users/?after={first['next_after']}", **everything).json()
    seen = [u["id"] for u in first["results"] + rest["results"]]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    found = client.get(f"/api/v1/users/?email={desk.requester.email.upper()}", **everything)
    assert [u["id"] for u in found.json()["results"]] == [desk.requester.pk]
    made = client.post(
        "/api/v1/users/", {"email": "new@example.com", "name": "New"},
        content_type="application/json", **everything,
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["is_guest"] is True
    one = client.get(f"/api/v1/users/{made.json()['id']}/", **everything)
    assert one.json()["email"] == "new@example.com"
    for missing in ("999999999", "99999999999999999999999"):
        assert client.get(f"/api/v1/users/{missing}/", **everything).status_code == 404


def test_the_event_feed_follows_every_change_once(client, desk, everything):
    ticket = desk.ticket()
    desk.ticket(help_topic=None, department=desk.sales)  # not ours
    ticket_claim(ticket=ticket, by=desk.agent.user)
    ticket_add_note(ticket=ticket, body="x", by=desk.agent.user)
    page = client.get("/api/v1/events/?limit=1", **everything).json()
    kinds = [e["kind"] for e in page["results"]]
    after = page["next_after"]
    while after is not None:
        page = client.get(f"/api/v1/events/?after={after}&limit=1", **everything).json()
        kinds += [e["kind"] for e in page["results"]]
        after = page["next_after"]
    assert kinds == [EventKind.CREATED, EventKind.CLAIMED]
    assert {e["ticket"] for e in page["results"]} <= {ticket.number}


def test_requesters_see_their_own_tickets_only_and_no_agent_lists(desk, client_for):
    mine = desk.ticket(subject="Mine")
    desk.ticket(subject="Theirs", requester=desk.agent.user, by=desk.agent.user)
    client = client_for(desk.requester)
    own = client.get("/api/v1/me/tickets/").json()
    assert [t["subject"] for t in own] == ["Mine"] and "requester" not in own[0]
    assert own[0]["number"] == mine.number
    for path in ("/api/v1/users/", "/api/v1/agents/", "/api/v1/events/", "/api/v1/tickets/"):
        assert client.get(path).status_code == 403, path


def test_scopes(client, make_key):
    narrow = bearer(make_key(scopes=["tickets:read"])[1])
    for path in (
        "/api/v1/help-topics/",
        "/api/v1/sla-plans/",
        "/api/v1/users/",
        "/api/v1/agents/",
    ):
        assert client.get(path, **narrow).status_code == 403, path
    reader = bearer(make_key(scopes=["users:read"])[1])
    made = client.post("/api/v1/users/", {"email": "x@example.com"},
                       content_type="application/json", **reader)  # fmt: skip
    assert made.status_code == 403
