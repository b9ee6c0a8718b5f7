"""Revoking the requester's private link from the agent's ticket page.

Who may not use it is covered with every other action in test_permissions.py.
"""

import pytest
from django.test import Client

from tickets.models import EventKind, Notification, TicketEvent

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ticket(desk):
    return desk.ticket()


def revoke_url(ticket) -> str:
    return f"/agent/tickets/{ticket.number}/revoke-link/"


def test_the_ticket_page_offers_the_revoke_action(desk, ticket, client_for):
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f'action="{revoke_url(ticket)}"' in html
    assert "Revoke private link</button>" in html
    assert "hx-confirm=" in html


@pytest.mark.parametrize("htmx", [False, True], ids=["full-page", "htmx"])
def test_revoking_ends_the_old_link_and_its_sessions(desk, ticket, client_for, htmx):
    old_link = f"/tickets/{ticket.number}/access/{ticket.access_key}/"
    guest = Client()
    assert guest.get(old_link).status_code == 302
    assert guest.get(f"/tickets/{ticket.number}/").status_code == 200

    response = client_for(desk.agent.user).post(
        revoke_url(ticket), follow=True, **(HTMX if htmx else {})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Private link revoked: the old link no longer opens the ticket" in html
    assert "revoked the requester&#x27;s private link" in html  # in the timeline
    # The session opened with the old link and the link itself are dead.
    assert guest.get(f"/tickets/{ticket.number}/").status_code == 404
    assert Client().get(old_link).status_code == 404
    # The new link works, and the requester is emailed it.
    ticket.refresh_from_db()
    assert Client().get(f"/tickets/{ticket.number}/access/{ticket.access_key}/").status_code == 302
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACCESS_LINK_REVOKED)
    assert event.actor == desk.agent.user
    assert Notification.objects.filter(
        ticket=ticket, kind=Notification.Kind.REQUESTER_NEW_LINK, recipient=desk.requester
    ).exists()
