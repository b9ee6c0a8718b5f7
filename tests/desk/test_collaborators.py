"""Collaborators on the agent's ticket page: listed, added by address, removed, and the
sender of a message from outside the ticket added in one click."""

import pytest

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tickets.services import ticket_add_external_message

pytestmark = pytest.mark.postgres
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_add_by_address_and_remove(desk, client_for):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    html = client.post(
        f"/agent/tickets/{ticket.number}/add-collaborator/", {"email": "Pam@Example.com"}, **HTMX
    ).content.decode()
    assert "Collaborator added" in html and "pam@example.com" in html
    [pam] = [c.user for c in ticket.collaborators.all()]

    html = client.post(
        f"/agent/tickets/{ticket.number}/remove-collaborator/", {"user": pam.pk}, **HTMX
    ).content.decode()
    assert "Collaborator removed." in html
    assert not ticket.collaborators.exists()


def test_a_bad_address_is_a_clear_error(desk, client_for):
    ticket = desk.ticket()
    response = client_for(desk.agent.user).post(
        f"/agent/tickets/{ticket.number}/add-collaborator/",
        {"email": "not an address"},
        follow=True,
    )
    assert "Enter a valid email address" in response.content.decode()
    assert not ticket.collaborators.exists()


def test_the_sender_of_an_outside_message_is_added_in_one_click(desk, client_for):
    ticket = desk.ticket()
    dwight = UserFactory(email="dwight@example.com", display_name="Dwight Schrute")
    ticket_add_external_message(
        ticket=ticket, body="Jim's monitor is mine.", author=dwight, by=SYSTEM
    )
    client = client_for(desk.agent.user)
    html = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "From a non-participant" in html and "Add Dwight Schrute to the ticket" in html

    client.post(f"/agent/tickets/{ticket.number}/add-collaborator/", {"user": dwight.pk})
    assert list(ticket.collaborators.values_list("user", flat=True)) == [dwight.pk]
