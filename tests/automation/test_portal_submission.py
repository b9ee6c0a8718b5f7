"""The issue's example end to end: a requester submits "printer" through the portal's form,
the rule transfers it to IT at high priority, and the agent's timeline says which rule."""

import re

import pytest

from tests.automation.conftest import make_rule
from tests.support.factories import HelpTopicFactory
from tickets.models import Priority, Ticket

URL = "/tickets/new/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submit(client, topic, subject):
    page = client.get(URL)
    token = re.search(rb'name="intake_token" value="([^"]+)"', page.content).group(1).decode()
    return client.post(
        URL,
        {
            "name": "Pam Beesly",
            "email": "pam@example.com",
            "help_topic": topic.pk,
            "subject": subject,
            "body": "It prints nothing but blank pages.",
            "website": "",
            "intake_token": token,
        },
        follow=True,
    )


def test_printer_ticket_from_the_portal_is_routed_by_the_rule(
    client, client_for, desk, django_capture_on_commit_callbacks
):
    sales_topic = HelpTopicFactory(name="Orders", department=desk.sales)
    make_rule(
        conditions=[{"field": "subject", "operator": "contains", "value": "printer"}],
        actions=[
            {"kind": "transfer", "department": desk.it},
            {"kind": "set_priority", "priority": Priority.HIGH},
        ],
    )

    # The requester's submission commits; the rule runs after commit (the task, eager here).
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, sales_topic, "Printer on the 2nd floor")

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.department == desk.it
    assert ticket.priority == Priority.HIGH

    page = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/")
    html = re.sub(r"\s+", " ", page.content.decode())
    assert page.status_code == 200
    transfer = re.search(
        r"<strong>System</strong> transferred the ticket from Sales to IT (.*?)·", html
    )
    assert transfer and "by rule 'Route printer tickets'" in transfer.group(1)
    assert "changed the priority from Normal to High" in html
    assert "by rule 'Route printer tickets'" in html
    assert html.count("by rule 'Route printer tickets'") == 2  # the transfer and the priority


def test_a_failing_rule_never_breaks_the_submission(
    client, desk, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"kind": "assign", "agent": desk.sales_agent}])  # refused for IT

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, desk.topic, "Printer")

    assert response.status_code == 200
    assert Ticket.objects.get().assignee is None
