"""Tasks on the agent workspace: the ticket page's panel, the task form, My tasks, and the
confirmation before resolving a ticket with open tasks."""

import datetime

import pytest
import time_machine
from django.core import mail

from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import EventKind, Status, Task, TaskStatus
from tickets.outbox import notifications_send_pending
from tickets.services import task_complete, task_create

pytestmark = pytest.mark.postgres

NOW = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def ticket(desk):
    return desk.ticket()


def _page(client, ticket) -> str:
    response = client.get(f"/agent/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_agent_adds_a_task_from_the_page_without_javascript(desk, ticket, client_for):
    client = client_for(desk.agent.user)

    response = client.post(
        f"/agent/tickets/{ticket.number}/tasks/",
        {"title": "Replace the monitor", "due_at": "2026-12-04T17:30"},
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.department, task.assignee) == ("Replace the monitor", desk.it, None)
    # Typed in the agent's time zone (the project's, here), stored in UTC.
    assert task.due_at.tzinfo is not None
    html = _page(client, ticket)
    assert "Task added." in html and "Replace the monitor" in html
    assert "added task “Replace the monitor” (IT)" in html  # the timeline's sentence


def test_the_whole_form_gives_another_department_and_assignee(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    form = client.get(f"/agent/tickets/{ticket.number}/tasks/new/").content.decode()
    assert '<optgroup label="Sales">' in form and "Dwight Schrute" in form

    response = client.post(
        f"/agent/tickets/{ticket.number}/tasks/",
        {
            "title": "Move the desk",
            "description": "Second floor.\nBy the window.",
            "department": desk.sales.pk,
            "assignee": desk.sales_agent.pk,
        },
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.department, task.assignee) == (desk.sales, desk.sales_agent)
    notifications_send_pending()
    (email,) = [m for m in mail.outbox if m.to == [desk.sales_agent.user.email]]
    assert email.subject == f"[#{ticket.number}] Task for you: Move the desk"
    assert "/agent/tasks/" in email.body and "Department: Sales." in email.body


def test_an_assignee_outside_the_department_is_a_form_error(desk, ticket, client_for):
    response = client_for(desk.agent.user).post(
        f"/agent/tickets/{ticket.number}/tasks/",
        {"title": "Move the desk", "department": desk.sales.pk, "assignee": desk.agent.pk},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Ryan Howard does not work in Sales." in html
    assert 'value="Move the desk"' in html  # what was typed stays
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"title": ""}, {"title": "x", "due_at": "tomorrow"}, {"title": "x", "department": "abc"}],
)
def test_bad_input_is_an_error_not_a_crash(desk, ticket, client_for, data):
    client = client_for(desk.agent.user)
    assert client.post(f"/agent/tickets/{ticket.number}/tasks/", data).status_code == 400
    htmx = client.post(f"/agent/tickets/{ticket.number}/tasks/", data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "alert" in htmx.content.decode()
    assert not Task.objects.exists()


def test_htmx_add_and_complete_swap_the_side_panel(desk, ticket, client_for):
    client = client_for(desk.agent.user)

    html = client.post(
        f"/agent/tickets/{ticket.number}/tasks/",
        {"title": "Replace the monitor"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="ticket-aside" hx-swap-oob="true"' in html and "Replace the monitor" in html
    task = Task.objects.get()

    html = client.post(
        f"/agent/tasks/{task.pk}/complete/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Task done." in html and 'text-bg-success">Done' in html
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE

    html = client.post(f"/agent/tasks/{task.pk}/reopen/", HTTP_HX_REQUEST="true").content.decode()
    assert "Task reopened." in html
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_editing_a_task(desk, ticket, client_for):
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    client = client_for(desk.agent.user)
    assert (
        'value="Replace the monitor"'
        in client.get(f"/agent/tasks/{task.pk}/edit/").content.decode()
    )

    response = client.post(
        f"/agent/tasks/{task.pk}/edit/",
        {"title": "Replace both monitors", "department": desk.it.pk, "assignee": desk.manager.pk},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.assignee) == ("Replace both monitors", desk.manager)
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.TASK_CHANGED, EventKind.TASK_ASSIGNED} <= kinds


def test_deleting_a_task(desk, ticket, client_for):
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)

    client_for(desk.agent.user).post(f"/agent/tasks/{task.pk}/delete/")

    assert not Task.objects.exists()
    assert "deleted task “Replace the monitor”" in _page(client_for(desk.agent.user), ticket)


def test_agents_of_other_departments_see_no_task(desk, ticket, client_for):
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    client = client_for(desk.sales_agent.user)

    for url in ("edit", "complete", "reopen", "delete"):
        method = client.get if url == "edit" else client.post
        assert method(f"/agent/tasks/{task.pk}/{url}/").status_code == 404
    assert client.post(f"/agent/tickets/{ticket.number}/tasks/", {"title": "x"}).status_code == 404
    assert client_for(desk.requester).get("/agent/tasks/").status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


@time_machine.travel(NOW, tick=False)
def test_my_tasks_lists_open_tasks_overdue_first(desk, client_for):
    first, second = desk.ticket(subject="CRM down"), desk.ticket(subject="Printer jam")
    sales = desk.ticket(subject="Sales laptop", help_topic=None, department=desk.sales)
    ryan = desk.agent
    later = task_create(
        ticket=first,
        title="Later",
        assignee=ryan,
        due_at=NOW + datetime.timedelta(days=2),
        by=desk.manager.user,
    )
    overdue = task_create(
        ticket=second,
        title="Overdue",
        assignee=ryan,
        due_at=NOW - datetime.timedelta(hours=1),
        by=desk.manager.user,
    )
    whenever = task_create(ticket=first, title="Whenever", assignee=ryan, by=desk.manager.user)
    done = task_create(ticket=first, title="Done already", assignee=ryan, by=desk.manager.user)
    task_complete(task=done, by=ryan.user)
    task_create(ticket=first, title="Kevin's", assignee=desk.manager, by=desk.manager.user)
    # A Sales ticket's task for Ryan, in IT: he sees the task, not the ticket.
    outside = task_create(
        ticket=sales,
        title="Check the laptop",
        department=desk.it,
        assignee=ryan,
        by=desk.sales_agent.user,
    )

    html = client_for(ryan.user).get("/agent/tasks/").content.decode()

    # Earliest due first (the overdue one leads), then those with none, oldest first.
    order = [
        html.index(f"<strong>{t.title}</strong>") for t in (overdue, later, whenever, outside)
    ]
    assert order == sorted(order)
    assert "Overdue</span>" in html
    assert "Done already" not in html and "Kevin's" not in html
    assert f'href="/agent/tickets/{first.number}/"' in html
    assert f'href="/agent/tickets/{sales.number}/"' not in html
    assert f"#{sales.number} Sales laptop" in html
    assert 'aria-current="page">My tasks' in html


def test_the_assignee_completes_a_task_of_another_departments_ticket(desk, client_for):
    sales = desk.ticket(subject="Sales laptop", help_topic=None, department=desk.sales)
    task = task_create(
        ticket=sales,
        title="Check the laptop",
        department=desk.it,
        assignee=desk.agent,
        by=desk.sales_agent.user,
    )
    client = client_for(desk.agent.user)
    assert client.get(f"/agent/tickets/{sales.number}/").status_code == 404

    response = client.post(f"/agent/tasks/{task.pk}/complete/", {"next": "mine"})

    assert response.status_code == 302 and response["Location"] == "/agent/tasks/"
    task.refresh_from_db()
    assert (task.status, task.completed_by) == (TaskStatus.DONE, desk.agent.user)
    # Still no way into the ticket, or to edit the task.
    assert client.get(f"/agent/tasks/{task.pk}/edit/").status_code == 404


def test_my_tasks_queries_do_not_grow(desk, client_for, django_assert_num_queries):
    for i in range(5):
        ticket = desk.ticket(subject=f"Ticket {i}")
        task_create(ticket=ticket, title=f"Task {i}", assignee=desk.agent, by=desk.manager.user)
    client = client_for(desk.agent.user)
    # Session, user, agent, memberships, the tasks with their tickets, the user's and
    # their groups' permissions (the desk's "API keys" link).
    with django_assert_num_queries(MY_TASKS_QUERIES):
        assert client.get("/agent/tasks/").status_code == 200


MY_TASKS_QUERIES = 7


# Resolving with open tasks ---------------------------------------------------------------


def test_resolving_with_open_tasks_asks_to_confirm(desk, ticket, client_for):
    task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    client = client_for(desk.agent.user)
    confirm_url = f"/agent/tickets/{ticket.number}/resolve/confirm/"

    response = client.post(f"/agent/tickets/{ticket.number}/resolve/")
    assert response.status_code == 302 and response["Location"] == confirm_url
    htmx = client.post(f"/agent/tickets/{ticket.number}/resolve/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == confirm_url
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    html = client.get(confirm_url).content.decode()
    assert "Replace the monitor" in html and "Resolve anyway" in html

    client.post(f"/agent/tickets/{ticket.number}/resolve/", {"confirm_open_tasks": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_without_open_tasks_the_confirmation_page_goes_back(desk, ticket, client_for):
    response = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/resolve/confirm/")
    assert response.status_code == 302


def test_hostile_task_text_is_inert(desk, ticket, client_for):
    for payload in PAYLOADS:
        task_create(
            ticket=ticket,
            title=payload[:200],
            description=payload,
            assignee=desk.agent,
            by=desk.manager.user,
        )
    client = client_for(desk.agent.user)
    for url in (
        f"/agent/tickets/{ticket.number}/",
        "/agent/tasks/",
        f"/agent/tickets/{ticket.number}/resolve/confirm/",
        f"/agent/tasks/{Task.objects.first().pk}/edit/",
    ):
        html = client.get(url).content.decode()
        assert_inert(html, where=url)
