"""Collisions: who else is viewing or writing, and the warning when a message arrives."""

import pytest
import time_machine
from django.utils import timezone

from desk import presence
from tickets.services import ticket_add_message

pytestmark = pytest.mark.postgres


def heartbeat(client, ticket, writing="0", seen=""):
    response = client.post(
        f"/agent/tickets/{ticket.number}/presence/",
        {"writing": writing, "seen": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_agents_see_who_else_is_viewing_and_writing(desk, client_for):
    ticket = desk.ticket()
    kevin, ryan = client_for(desk.manager.user), client_for(desk.agent.user)
    assert "Also here" not in heartbeat(kevin, ticket)
    ryan.get(f"/agent/tickets/{ticket.number}/")  # opening the page counts as viewing
    assert "Ryan Howard is viewing" in heartbeat(kevin, ticket)
    heartbeat(ryan, ticket, writing="1")
    assert "Ryan Howard is writing" in heartbeat(kevin, ticket)
    assert "Kevin Benavides is viewing" in heartbeat(ryan, ticket, writing="1")


def test_agents_who_left_disappear(desk, client_for):
    ticket = desk.ticket()
    kevin = client_for(desk.manager.user)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        presence.presence_touch(ticket_id=ticket.pk, user=desk.agent.user, writing=True)
        assert "Ryan Howard" in heartbeat(kevin, ticket)
        traveller.shift(presence.STALE_SECONDS + 1)
        assert "Ryan Howard" not in heartbeat(kevin, ticket)


def test_heartbeat_warns_of_a_new_message(desk, client_for):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    seen = ticket.entries.latest("id").pk
    assert "new message" not in heartbeat(client, ticket, seen=seen)
    ticket_add_message(ticket=ticket, body="Hello?", by=desk.requester)
    assert "Jim Halpert wrote 1 new message since you opened this page" in heartbeat(
        client, ticket, seen=seen
    )
