"""The navbar's "Available for new tickets" switch (desk.views.availability): a POST form
that works without JavaScript, swapped in place by htmx, for agents only."""

import re

import pytest
from django.test import Client

from accounts.models import AuditEntry, Department
from accounts.services import department_set_auto_assignment
from desk.views.availability import BAD_AVAILABILITY, NO_AGENT_PROFILE
from tests.support.factories import UserFactory
from tests.support.inert import assert_inert

URL = "/agent/availability/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _available(agent) -> bool:
    agent.refresh_from_db()
    return agent.is_available


def _switch(html: str) -> str:
    match = re.search(r'<form class="availability".*?</form>', html, re.S)
    assert match, "no availability switch on the page"
    return match.group(0)


def test_every_desk_page_shows_the_switch_with_its_state(desk, client_for):
    client = client_for(desk.agent.user)

    switch = _switch(client.get("/agent/").content.decode())

    assert 'role="switch"' in switch and 'aria-checked="true"' in switch
    assert "Available for new tickets" in switch and ">On<" in switch
    assert 'name="available" value="0"' in switch  # pressing it turns it off
    assert 'name="csrfmiddlewaretoken"' in switch
    assert 'name="next" value="/agent/"' in switch
    reports = _switch(client.get("/agent/reports/").content.decode())
    assert 'name="next" value="/agent/reports/"' in reports


def test_without_javascript_the_post_changes_it_and_goes_back_to_the_page(desk, client_for):
    client = client_for(desk.agent.user)
    ticket = desk.ticket()
    page = f"/agent/tickets/{ticket.number}/"

    response = client.post(URL, {"available": "0", "next": page})

    assert (response.status_code, response["Location"]) == (302, page)
    assert _available(desk.agent) is False
    switch = _switch(client.get(page).content.decode())
    assert 'aria-checked="false"' in switch and ">Off<" in switch
    assert 'name="available" value="1"' in switch
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.AGENT_AVAILABILITY_CHANGED)
    assert (entry.actor, entry.target_id, entry.data["available"]) == (
        desk.agent.user,
        str(desk.agent.user_id),
        False,
    )

    client.post(URL, {"available": "1", "next": page})
    assert _available(desk.agent) is True
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.AGENT_AVAILABILITY_CHANGED).count() == 2


def test_htmx_gets_the_switch_back_in_its_new_state(desk, client_for):
    client = client_for(desk.agent.user)

    response = client.post(URL, {"available": "0", "next": "/agent/search/?q=crm"}, **HTMX)

    assert response.status_code == 200
    switch = _switch(response.content.decode())
    assert 'aria-checked="false"' in switch
    assert 'name="next" value="/agent/search/?q=crm"' in switch
    assert _available(desk.agent) is False


def test_setting_the_state_it_already_has_changes_and_records_nothing(desk, client_for):
    client_for(desk.agent.user).post(URL, {"available": "1"})

    assert _available(desk.agent) is True
    assert not AuditEntry.objects.filter(kind=AuditEntry.Kind.AGENT_AVAILABILITY_CHANGED)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/portal/"])
def test_it_only_goes_back_to_pages_of_the_agent_workspace(desk, client_for, next_url):
    response = client_for(desk.agent.user).post(URL, {"available": "0", "next": next_url})

    assert response["Location"] == "/agent/"


@pytest.mark.parametrize("value", [None, "", "yes", "2", "<script>alert(1)</script>"])
def test_a_bad_value_is_a_clear_message_and_changes_nothing(desk, client_for, value):
    client = client_for(desk.agent.user)
    data = {} if value is None else {"available": value}

    response = client.post(URL, data, follow=True)

    assert response.status_code == 200
    assert BAD_AVAILABILITY in response.content.decode()
    assert_inert(response.content.decode())
    htmx = client.post(URL, data, **HTMX)
    assert (htmx.status_code, htmx.content.decode()) == (400, BAD_AVAILABILITY)
    assert _available(desk.agent) is True


def test_get_does_not_change_anything(desk, client_for):
    client = client_for(desk.agent.user)

    assert client.get(URL, {"available": "0"}).status_code == 405
    assert _available(desk.agent) is True


def test_a_post_without_the_csrf_token_is_refused(desk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.agent.user)

    assert client.post(URL, {"available": "0"}).status_code == 403
    assert _available(desk.agent) is True


def test_only_agents_have_the_switch(desk, client_for):
    # Anonymous: to the login page. An end user, and a staff user without an agent role: 403.
    response = client_for(None).post(URL, {"available": "0"})
    assert response.status_code == 302 and "login" in response["Location"]
    for user in (desk.requester, UserFactory(is_staff=True)):
        assert client_for(user).post(URL, {"available": "0"}).status_code == 403
    # An inactive agent is no agent.
    desk.agent.is_active = False
    desk.agent.save()
    assert client_for(desk.agent.user).post(URL, {"available": "0"}).status_code == 403
    assert _available(desk.agent) is True


def test_a_superuser_without_an_agent_profile_sees_no_switch_and_cannot_post(db, client_for):
    client = client_for(UserFactory(is_superuser=True, is_staff=True))

    assert 'class="availability"' not in client.get("/agent/").content.decode()
    response = client.post(URL, {"available": "0"})
    assert response.status_code == 403
    assert NO_AGENT_PROFILE in response.content.decode()


def _round_robin(department):
    department_set_auto_assignment(
        department=department, policy=Department.AutoAssignment.ROUND_ROBIN
    )
    department.refresh_from_db()  # the help topic's department, as intake reads it


def test_an_unavailable_agent_gets_no_auto_assigned_tickets(desk, client_for):
    _round_robin(desk.it)
    client_for(desk.manager.user).post(URL, {"available": "0"})

    tickets = [desk.ticket(subject=f"Ticket {i}") for i in range(2)]

    for ticket in tickets:
        ticket.refresh_from_db()
    assert [t.assignee for t in tickets] == [desk.agent, desk.agent]


def test_the_ticket_page_says_the_ticket_was_auto_assigned(desk, client_for):
    _round_robin(desk.it)
    ticket = desk.ticket()

    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()

    assert "auto-assigned the ticket to Kevin Benavides (round-robin)" in html
