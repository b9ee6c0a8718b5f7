"""Tasks in the API: a nested resource of tickets with the scopes tasks:read and
tasks:write, the same rules as the desk, and the resolve action's confirmation."""

import pytest

from tests.api.conftest import bearer
from tickets.models import EventKind, Status, Task, TaskStatus
from tickets.services import OPEN_TASKS, task_create

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def ticket(desk):
    return desk.ticket()


@pytest.fixture
def reader(make_key):
    return bearer(make_key(name="Reader", scopes=["tasks:read"])[1])


@pytest.fixture
def writer(make_key):
    return bearer(make_key(name="Planner", scopes=["tasks:read", "tasks:write"])[1])


def _tasks(ticket) -> str:
    return f"/api/v1/tickets/{ticket.number}/tasks/"


def test_create_list_read_update_complete_reopen_delete(client, desk, ticket, writer):
    response = client.post(
        _tasks(ticket),
        {
            "title": "Move the desk",
            "description": "Second floor.",
            "department": desk.sales.pk,
            "assignee": desk.sales_agent.pk,
            "due_at": "2026-12-04T09:00:00+01:00",
        },
        content_type=JSON,
        **writer,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    task = Task.objects.get()
    assert body == {
        "id": task.pk,
        "ticket": ticket.number,
        "title": "Move the desk",
        "description": "Second floor.",
        "status": "open",
        "department": {"id": desk.sales.pk, "name": "Sales"},
        "assignee": {"id": desk.sales_agent.pk, "name": "Dwight Schrute"},
        "due_at": body["due_at"],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "completed_at": None,
        "completed_by": None,
    }
    assert task.due_at.isoformat() == "2026-12-04T08:00:00+00:00"
    event = ticket.events.get(kind=EventKind.TASK_CREATED)
    assert event.data["via"] == "API key Planner"

    listed = client.get(_tasks(ticket), **writer).json()["results"]
    assert [t["id"] for t in listed] == [task.pk]
    one = f"{_tasks(ticket)}{task.pk}/"
    assert client.get(one, **writer).json()["title"] == "Move the desk"

    response = client.patch(
        one, {"title": "Move two desks", "assignee": None}, content_type=JSON, **writer
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["assignee"]) == ("Move two desks", None)

    response = client.post(f"{one}complete/", **writer)
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert response.json()["completed_by"]["id"] == desk.agent.user.pk
    again = client.post(f"{one}complete/", **writer)
    assert again.status_code == 400 and "already done" in again.json()["detail"]
    assert client.post(f"{one}reopen/", **writer).json()["status"] == "open"

    assert client.delete(one, **writer).status_code == 204
    assert not Task.objects.exists()
    assert client.get(one, **writer).status_code == 404


def test_reading_needs_tasks_read_and_writing_tasks_write(client, desk, ticket, make_key, reader):
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    tickets_only = bearer(make_key(name="Tickets", scopes=["tickets:read", "tickets:write"])[1])

    assert client.get(_tasks(ticket), **tickets_only).status_code == 403
    assert client.get(_tasks(ticket), **reader).status_code == 200
    refused = client.post(_tasks(ticket), {"title": "x"}, content_type=JSON, **reader)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API key lacks the tasks:write scope."
    assert client.post(f"{_tasks(ticket)}{task.pk}/complete/", **reader).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_bad_input_is_a_400_naming_the_field(client, desk, ticket, writer):
    cases = [
        ({"title": ""}, "The title cannot be empty."),
        ({"title": "x", "assignee": desk.sales_agent.pk}, "Dwight Schrute does not work in IT."),
    ]
    for body, detail in cases:
        response = client.post(_tasks(ticket), body, content_type=JSON, **writer)
        assert (response.status_code, response.json()["detail"]) == (400, detail)
    for body, field in [
        ({"title": "x", "department": 999999}, "department"),
        ({"title": "x", "assignee": 999999}, "assignee"),
        ({"title": "x", "due_at": "tomorrow"}, "due_at"),
        ({"title": "x", "colour": "red"}, "colour"),
        ({}, "title"),
    ]:
        response = client.post(_tasks(ticket), body, content_type=JSON, **writer)
        assert response.status_code == 400 and field in response.json()["errors"], body
    assert not Task.objects.exists()


def test_another_departments_ticket_is_a_404(client, desk, make_key):
    sales = desk.ticket(subject="Sales laptop", help_topic=None, department=desk.sales)
    task = task_create(ticket=sales, title="Check", by=desk.sales_agent.user)
    auth = bearer(make_key(name="IT", scopes=["tasks:read", "tasks:write"])[1])

    assert client.get(_tasks(sales), **auth).status_code == 404
    assert client.post(_tasks(sales), {"title": "x"}, content_type=JSON, **auth).status_code == 404
    assert client.post(f"{_tasks(sales)}{task.pk}/complete/", **auth).status_code == 404


def test_the_assignee_completes_their_task_on_another_departments_ticket(client, desk, make_key):
    sales = desk.ticket(subject="Sales laptop", help_topic=None, department=desk.sales)
    task = task_create(
        ticket=sales,
        title="Check",
        department=desk.it,
        assignee=desk.agent,
        by=desk.sales_agent.user,
    )
    auth = bearer(make_key(name="IT", scopes=["tasks:read", "tasks:write"])[1])
    one = f"{_tasks(sales)}{task.pk}/"

    assert client.post(f"{one}complete/", **auth).json()["status"] == "done"
    refused = client.patch(one, {"title": "Mine"}, content_type=JSON, **auth)
    assert refused.status_code == 403
    # Under another ticket's number the task is not found.
    other = desk.ticket()
    assert client.get(f"{_tasks(other)}{task.pk}/", **auth).status_code == 404


def test_resolving_with_open_tasks_is_a_409_unless_confirmed(client, desk, ticket, make_key):
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    auth = bearer(make_key(name="Resolver", scopes=["tickets:read", "tickets:write"])[1])
    url = f"/api/v1/tickets/{ticket.number}/actions/resolve/"

    response = client.post(url, {}, content_type=JSON, **auth)

    assert response.status_code == 409
    assert response.json()["detail"] == OPEN_TASKS.format(
        number=ticket.number, count=1, s="", titles="“Replace the monitor”"
    )
    assert response.json()["open_tasks"] == [{"id": task.pk, "title": "Replace the monitor"}]
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    bad = client.post(url, {"confirm_open_tasks": "perhaps"}, content_type=JSON, **auth)
    assert bad.status_code == 400

    response = client.post(url, {"confirm_open_tasks": True}, content_type=JSON, **auth)
    assert response.status_code == 200 and response.json()["status"] == "resolved"
