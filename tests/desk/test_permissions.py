"""Every agent view and action, htmx endpoints included, refuses who may not use it.

Anonymous visitors are sent to log in (htmx requests get 401 with HX-Redirect), end users
are refused (403), and an agent of another department gets 404 for the ticket, exactly as
for a ticket that does not exist, with nothing changed.
"""

import pytest

from tests.support.factories import UserFactory
from tickets.models import (
    Attachment,
    Draft,
    EntryKind,
    Priority,
    Status,
    ThreadEntry,
    TicketEvent,
)
from tickets.services import ticket_claim

HTMX = {"HTTP_HX_REQUEST": "true"}


def ticket_posts(desk, ticket) -> list[tuple[str, dict]]:
    n = ticket.number
    return [
        (f"/agent/tickets/{n}/reply/", {"reply-body": "hello"}),
        (f"/agent/tickets/{n}/note/", {"note-body": "secret"}),
        (f"/agent/tickets/{n}/presence/", {"writing": "1", "seen": "0"}),
        (f"/agent/tickets/{n}/claim/", {}),
        (f"/agent/tickets/{n}/assign/", {"agent": desk.agent.pk}),
        (f"/agent/tickets/{n}/transfer/", {"department": desk.sales.pk}),
        (f"/agent/tickets/{n}/priority/", {"priority": Priority.URGENT}),
        (f"/agent/tickets/{n}/plan/", {"plan": desk.critical.pk}),
        (f"/agent/tickets/{n}/pending/", {}),
        (f"/agent/tickets/{n}/open/", {}),
        (f"/agent/tickets/{n}/resolve/", {}),
        (f"/agent/tickets/{n}/close/", {}),
        (f"/agent/tickets/{n}/reopen/", {}),
        (f"/agent/tickets/{n}/revoke-link/", {}),
        (f"/agent/tickets/{n}/draft/reply/", {"reply-body": "typed"}),
        (f"/agent/tickets/{n}/draft/note/", {"note-body": "typed"}),
        (f"/agent/tickets/{n}/draft/reply/discard/", {}),
        (f"/agent/tickets/{n}/add-collaborator/", {"email": "pam@example.com"}),
        (f"/agent/tickets/{n}/remove-collaborator/", {"user": desk.requester.pk}),
        (f"/agent/tickets/{n}/resume-mail/", {"user": desk.requester.pk}),
        ("/agent/bulk/", {"tickets": [n], "action": "claim"}),
    ]


def ticket_gets(ticket, attachment) -> list[str]:
    return [
        "/agent/",
        "/agent/?view=mine",
        "/agent/search/?q=crm",
        f"/agent/tickets/{ticket.number}/",
        f"/agent/attachments/{attachment.pk}/",
    ]


@pytest.fixture
def ticket(desk):
    return desk.ticket()


@pytest.fixture
def attachment(ticket, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.base import ContentFile

    entry = ThreadEntry.objects.get(ticket=ticket, kind=EntryKind.MESSAGE)
    item = Attachment(
        ticket=ticket,
        entry=entry,
        token="t" * 32,
        filename="screenshot.png",
        content_type="image/png",
        size=4,
        sha256="a" * 64,
    )
    item.file.save("x", ContentFile(b"\x89PNG"), save=False)
    item.save()
    return item


def snapshot(ticket):
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.priority,
        ticket.assignee_id,
        ticket.department_id,
        ticket.sla_plan_id,
        ticket.access_key,
        Attachment.objects.filter(ticket=ticket).count(),
        ThreadEntry.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        Draft.objects.filter(ticket=ticket).count(),
        ticket.collaborators.count(),
    )


def test_anonymous_visitors_are_sent_to_log_in(desk, ticket, attachment, client_for):
    client = client_for(None)
    before = snapshot(ticket)
    for url in ticket_gets(ticket, attachment):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url
        htmx = client.get(url, **HTMX)
        assert htmx.status_code == 401, url
        assert "login" in htmx["HX-Redirect"]
    for url, data in ticket_posts(desk, ticket):
        assert client.post(url, data).status_code == 302, url
        assert client.post(url, data, **HTMX).status_code == 401, url
    assert snapshot(ticket) == before


def test_end_users_never_reach_the_agent_workspace(desk, ticket, attachment, client_for):
    # The requester of the very ticket, and a stranger with a staff flag but no agent role.
    before = snapshot(ticket)
    for user in (desk.requester, UserFactory(is_staff=True)):
        client = client_for(user)
        for url in ticket_gets(ticket, attachment):
            assert client.get(url).status_code == 403, url
            assert client.get(url, **HTMX).status_code == 403, url
        for url, data in ticket_posts(desk, ticket):
            assert client.post(url, data).status_code == 403, url
            assert client.post(url, data, **HTMX).status_code == 403, url
    assert snapshot(ticket) == before


def test_an_inactive_agent_is_refused(desk, ticket, client_for):
    desk.agent.is_active = False
    desk.agent.save()
    assert client_for(desk.agent.user).get("/agent/").status_code == 403


def test_an_agent_of_another_department_sees_and_changes_nothing(
    desk, ticket, attachment, client_for
):
    client = client_for(desk.sales_agent.user)
    before = snapshot(ticket)

    queue = client.get("/agent/")
    assert queue.status_code == 200
    assert ticket.subject.encode() not in queue.content
    search = client.get(f"/agent/search/?q={ticket.number}")
    assert f"/agent/tickets/{ticket.number}/".encode() not in search.content
    assert client.get(f"/agent/search/?q={desk.requester.email}").status_code == 200
    assert client.get(f"/agent/tickets/{ticket.number}/").status_code == 404
    assert client.get(f"/agent/tickets/{ticket.number}/", **HTMX).status_code == 404
    assert client.get(f"/agent/attachments/{attachment.pk}/").status_code == 404
    for url, data in ticket_posts(desk, ticket):
        if url == "/agent/bulk/":
            response = client.post(url, data, follow=True)
            assert "No such ticket" in response.content.decode()
        else:
            assert client.post(url, data).status_code == 404, url
            assert client.post(url, data, **HTMX).status_code == 404, url
    assert snapshot(ticket) == before


def test_a_missing_ticket_looks_like_a_forbidden_one(desk, client_for):
    client = client_for(desk.agent.user)
    assert client.get("/agent/tickets/999999/").status_code == 404
    assert client.post("/agent/tickets/999999/claim/").status_code == 404
    assert client.post("/agent/tickets/999999/presence/").status_code == 404


def test_only_managers_assign(desk, ticket, client_for):
    agent_client = client_for(desk.agent.user)
    response = agent_client.post(
        f"/agent/tickets/{ticket.number}/assign/", {"agent": desk.agent.pk}, follow=True
    )
    assert "Only a manager" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    # The assign control is not even offered to a plain agent.
    page = agent_client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert 'id="assign-agent"' not in page

    manager_client = client_for(desk.manager.user)
    page = manager_client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert 'id="assign-agent"' in page
    manager_client.post(f"/agent/tickets/{ticket.number}/assign/", {"agent": desk.agent.pk})
    ticket.refresh_from_db()
    assert ticket.assignee_id == desk.agent.pk


def test_a_manager_cannot_assign_to_an_agent_of_another_department(desk, ticket, client_for):
    client = client_for(desk.manager.user)
    response = client.post(
        f"/agent/tickets/{ticket.number}/assign/", {"agent": desk.sales_agent.pk}, follow=True
    )
    assert "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_superusers_work_every_department(desk, client_for):
    sales_ticket = desk.ticket(help_topic=None, department=desk.sales)
    admin = UserFactory(superuser=True)
    client = client_for(admin)
    assert sales_ticket.subject.encode() in client.get("/agent/").content
    assert client.get(f"/agent/tickets/{sales_ticket.number}/").status_code == 200
    client.post(f"/agent/tickets/{sales_ticket.number}/priority/", {"priority": 4})
    sales_ticket.refresh_from_db()
    assert sales_ticket.priority == 4


def test_get_requests_change_nothing_and_actions_need_post(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    before = snapshot(ticket)
    for url, _data in ticket_posts(desk, ticket):
        assert client.get(url).status_code == 405, url
    assert snapshot(ticket) == before


def test_unknown_actions_are_404(desk, ticket, client_for):
    assert (
        client_for(desk.agent.user).post(f"/agent/tickets/{ticket.number}/delete/").status_code
        == 404
    )


def test_closed_tickets_take_no_work(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    ticket_claim(ticket=ticket, by=desk.agent.user)
    client.post(f"/agent/tickets/{ticket.number}/close/")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    response = client.post(
        f"/agent/tickets/{ticket.number}/reply/", {"reply-body": "hi"}, follow=True
    )
    assert "is closed" in response.content.decode()
    assert not ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).exists()
