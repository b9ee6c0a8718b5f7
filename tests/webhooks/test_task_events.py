"""A ticket's tasks as webhooks see them: their own event types, delivered to a real HTTP
receiver through the same fan-out and sender as the ticket's, with data.task as
docs/webhooks.md documents it."""

import datetime as dt

import pytest
import time_machine

from tests.support.factories import DepartmentFactory
from tickets.services import task_assign, task_complete, task_create, task_edit, task_reopen
from webhooks.models import EventType, WebhookDelivery

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
TASK_TYPES = [
    "ticket.task.created",
    "ticket.task.updated",
    "ticket.task.assigned",
    "ticket.task.completed",
    "ticket.task.reopened",
    "ticket.task.deleted",
]


def test_the_task_types_are_subscribable():
    assert [t for t in EventType.values if t.startswith("ticket.task.")] == TASK_TYPES


def test_a_new_task_is_one_signed_delivery_with_the_documented_payload(
    desk, make_endpoint, webhook_receiver, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://help.example.com"
    ticket = desk.ticket()  # before the endpoint: its ticket.created is not asked for
    endpoint, secret = make_endpoint(webhook_receiver.url, events=["ticket.task.created"])
    due = START + dt.timedelta(days=1)

    with (
        time_machine.travel(START, tick=False),
        django_capture_on_commit_callbacks(execute=True),  # tasks run inline: sent at once
    ):
        task = task_create(
            ticket=ticket,
            title="Move the desk",
            department=desk.sales,
            assignee=desk.sales_agent,
            due_at=due,
            by=desk.agent.user,
        )

    [request] = webhook_receiver.requests
    with time_machine.travel(START, tick=False):
        payload = request.verify(secret)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_type, delivery.state) == (
        endpoint,
        "ticket.task.created",
        "delivered",
    )
    assert payload["type"] == "ticket.task.created"
    assert payload["timestamp"] == "2026-03-02T10:00:00Z"
    data = payload["data"]
    assert data["ticket"]["id"] == ticket.pk
    assert data["ticket"]["url"] == f"https://help.example.com/agent/tickets/{ticket.number}/"
    assert data["event"]["kind"] == "task_created"
    assert data["event"]["actor_id"] == desk.agent.user.pk
    assert data["changes"] == {}
    assert data["task"] == {
        "id": task.pk,
        "title": "Move the desk",
        "department": {"id": desk.sales.pk, "name": "Sales"},
        "assignee": {"id": desk.sales_agent.pk, "name": "Dwight Schrute"},
        "due_at": due.isoformat(),
    }


def test_each_task_service_is_one_delivery_of_its_type(
    desk, make_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    ticket = desk.ticket()
    _, secret = make_endpoint(webhook_receiver.url, events=TASK_TYPES)
    by = desk.agent.user

    with django_capture_on_commit_callbacks(execute=True):
        task = task_create(ticket=ticket, title="Replace the monitor", by=by)
    with django_capture_on_commit_callbacks(execute=True):
        task_edit(task=task, title="Replace both monitors", by=by)
    with django_capture_on_commit_callbacks(execute=True):
        task_assign(task=task, agent=desk.agent, by=by)
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(task=task, by=by)
    with django_capture_on_commit_callbacks(execute=True):
        task_reopen(task=task, by=by)

    payloads = [request.verify(secret) for request in webhook_receiver.requests]
    assert [p["type"] for p in payloads] == TASK_TYPES[:5]
    tasks = [p["data"]["task"] for p in payloads]
    assert {t["id"] for t in tasks} == {task.pk}
    assert tasks[1]["changes"] == {
        "title": {"old": "Replace the monitor", "new": "Replace both monitors"}
    }
    assert tasks[2]["changes"] == {
        "assignee": {"old": None, "new": {"id": desk.agent.pk, "name": "Ryan Howard"}}
    }
    assert (tasks[3]["status"], tasks[4]["status"]) == ("done", "open")
    assert WebhookDelivery.objects.filter(state="delivered").count() == 5


def test_a_task_for_another_department_reaches_that_departments_endpoint(
    desk, make_endpoint, django_capture_on_commit_callbacks
):
    ticket = desk.ticket()  # an IT ticket
    sales, _ = make_endpoint(events=["ticket.task.created"], departments=[desk.sales])
    make_endpoint(events=["ticket.task.created"], departments=[DepartmentFactory()])

    task_create(ticket=ticket, title="Move the desk", department=desk.sales, by=desk.agent.user)

    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [sales.pk]
