"""Tasks in the Django admin: listed, searched and filtered (state, department, assignee,
due), opened read-only; added, changed, completed and deleted only through the services."""

import datetime

import pytest
import time_machine

from tests.support.admin_helpers import admin_url
from tickets.models import Task, TaskStatus
from tickets.services import task_complete, task_create

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def tasks(desk):
    with time_machine.travel(NOW, tick=False):
        crm = desk.ticket()
        monitor = desk.ticket(subject="Monitor flickers")
        by = desk.agent.user
        late = task_create(
            ticket=crm,
            title="Restart the CRM server",
            assignee=desk.agent,
            due_at=NOW - datetime.timedelta(hours=2),
            by=by,
        )
        soon = task_create(
            ticket=monitor,
            title="Move the desk",
            department=desk.sales,
            assignee=desk.sales_agent,
            due_at=NOW + datetime.timedelta(days=2),
            by=by,
        )
        done = task_create(ticket=monitor, title="Order a monitor", by=by)
        task_complete(task=done, by=by)
    return {"late": late, "soon": soon, "done": done, "crm": crm, "monitor": monitor}


def listed(admin_client, **params) -> list[str]:
    with time_machine.travel(NOW, tick=False):
        response = admin_client.get(admin_url(Task, "changelist"), params)
    assert response.status_code == 200
    return sorted(task.title for task in response.context["cl"].result_list)


def test_the_list_shows_each_tasks_ticket_department_assignee_and_state(admin_client, tasks):
    with time_machine.travel(NOW, tick=False):
        html = admin_client.get(admin_url(Task, "changelist")).content.decode()
    assert "Restart the CRM server" in html
    assert f"#{tasks['crm'].number}" in html
    assert "Dwight Schrute" in html and "Sales" in html
    assert '<td class="field-status">Done</td>' in html


def test_filters_by_state_department_assignee_and_due(admin_client, desk, tasks):
    assert listed(admin_client, status=TaskStatus.DONE) == ["Order a monitor"]
    assert listed(admin_client, department__id__exact=desk.sales.pk) == ["Move the desk"]
    assert listed(admin_client, assignee__id__exact=desk.agent.pk) == ["Restart the CRM server"]
    assert listed(admin_client, due="overdue") == ["Restart the CRM server"]
    assert listed(admin_client, due="week") == ["Move the desk"]
    assert listed(admin_client, due="none") == ["Order a monitor"]


def test_search_by_title_ticket_number_subject_and_assignee(admin_client, tasks):
    assert listed(admin_client, q="restart") == ["Restart the CRM server"]
    assert listed(admin_client, q=f"#{tasks['monitor'].number}") == [
        "Move the desk",
        "Order a monitor",
    ]
    assert listed(admin_client, q="flickers") == ["Move the desk", "Order a monitor"]
    assert listed(admin_client, q="Dwight") == ["Move the desk"]


def test_a_task_opens_read_only_and_is_never_written_through_the_admin(admin_client, tasks):
    task = tasks["late"]
    response = admin_client.get(admin_url(Task, "change", task.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Restart the CRM server" in html and "Ryan Howard" in html
    assert 'name="title"' not in html and 'name="status"' not in html  # nothing to edit
    assert admin_client.get(admin_url(Task, "add")).status_code == 403
    response = admin_client.post(
        admin_url(Task, "change", task.pk), {"title": "Renamed", "status": TaskStatus.DONE}
    )
    assert response.status_code == 403
    response = admin_client.post(admin_url(Task, "delete", task.pk), {"post": "yes"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert (task.title, task.status) == ("Restart the CRM server", TaskStatus.OPEN)
