"""Bulk actions: each ticket through its single-ticket service, failures reported per ticket."""

import re

import pytest

from tickets.errors import InvalidInput
from tickets.models import EventKind, Priority, Status
from tickets.services import MAX_TICKETS, ticket_bulk_apply, ticket_claim

pytestmark = pytest.mark.postgres


@pytest.fixture
def three(desk):
    return [desk.ticket(subject=f"Bulk {i}") for i in range(3)]


def post(client, numbers, **data):
    return client.post(
        "/agent/bulk/", {"tickets": numbers, "next": "/agent/?view=open", **data}, follow=True
    )


def test_bulk_claim_reports_each_ticket(desk, three, client_for):
    a, b, c = three
    ticket_claim(ticket=b, by=desk.manager.user)
    response = post(client_for(desk.agent.user), [a.number, b.number, c.number], action="claim")
    html = response.content.decode()
    assert f"2 tickets updated: #{a.number}, #{c.number}." in html
    assert (
        f"#{b.number} not changed: Ticket #{b.number} was already claimed by Kevin Benavides."
        in html
    )
    for t in (a, c):
        t.refresh_from_db()
        assert t.assignee_id == desk.agent.pk
        assert t.events.filter(kind=EventKind.CLAIMED).count() == 1
    assert response.redirect_chain[-1][0] == "/agent/?view=open"


def test_bulk_assign_is_for_managers(desk, three, client_for):
    numbers = [t.number for t in three]
    post(client_for(desk.agent.user), numbers, action="assign", agent=desk.agent.pk)
    assert all(t.assignee_id is None for t in type(three[0]).objects.filter(number__in=numbers))
    post(client_for(desk.manager.user), numbers, action="assign", agent=desk.agent.pk)
    assert all(
        t.assignee_id == desk.agent.pk for t in type(three[0]).objects.filter(number__in=numbers)
    )


def test_bulk_status_priority_and_transfer(desk, three, client_for):
    client = client_for(desk.agent.user)
    numbers = [t.number for t in three]
    Ticket = type(three[0])
    post(client, numbers, action="status", status="pending")
    assert set(Ticket.objects.filter(number__in=numbers).values_list("status", flat=True)) == {
        Status.PENDING
    }
    post(client, numbers, action="status", status="resolved")
    post(client, numbers, action="status", status="open")  # resolved -> reopened
    assert set(Ticket.objects.filter(number__in=numbers).values_list("status", flat=True)) == {
        Status.OPEN
    }
    post(client, numbers, action="priority", priority=Priority.URGENT)
    assert set(Ticket.objects.filter(number__in=numbers).values_list("priority", flat=True)) == {
        Priority.URGENT
    }
    post(client, numbers, action="transfer", department=desk.sales.pk)
    assert set(Ticket.objects.filter(number__in=numbers).values_list("department", flat=True)) == {
        desk.sales.pk
    }


def test_bulk_needs_a_complete_action(desk, three, client_for):
    html = post(client_for(desk.agent.user), [three[0].number], action="assign").content.decode()
    assert "Choose an agent" in html
    html = post(client_for(desk.agent.user), [], action="claim").content.decode()
    assert "Select tickets" in html


def test_bulk_has_a_limit(desk):
    with pytest.raises(InvalidInput):
        ticket_bulk_apply(numbers=list(range(MAX_TICKETS + 1)), action="claim", by=desk.agent.user)


def test_bulk_refuses_to_redirect_elsewhere(desk, three, client_for):
    response = client_for(desk.agent.user).post(
        "/agent/bulk/",
        {"tickets": [three[0].number], "action": "claim", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/agent/"


def test_bulk_over_htmx_answers_with_the_refreshed_results(desk, three, client_for):
    response = client_for(desk.agent.user).post(
        "/agent/bulk/",
        {"tickets": [three[0].number], "action": "claim", "next": "/agent/"},
        HTTP_HX_REQUEST="true",
        follow=True,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-results"')
    assert "1 ticket updated" in html


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no #{select_id} in the bulk bar"
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_bulk_bar_is_drawn_from_its_form(desk, three, client_for):
    """Actions from the action table, only what the agent may use, options from the queue."""
    html = client_for(desk.manager.user).get("/agent/").content.decode()
    assert _options(html, "bulk-action") == [
        "Claim",
        "Assign to…",
        "Set status…",
        "Set priority…",
        "Transfer to…",
        "Add tag…",
        "Remove tag…",
        "Merge into…",
    ]
    assert _options(html, "bulk-agent") == ["—", "Kevin Benavides", "Ryan Howard"]
    assert _options(html, "bulk-status") == ["—", "Open", "Pending", "Resolved", "Closed"]
    assert _options(html, "bulk-priority") == ["—", "Urgent", "High", "Normal", "Low"]
    assert _options(html, "bulk-department") == ["—", "IT", "Sales"]

    # An agent who manages nothing is not offered assignment at all.
    html = client_for(desk.agent.user).get("/agent/").content.decode()
    assert "Assign to…" not in _options(html, "bulk-action")
    assert 'id="bulk-agent"' not in html
