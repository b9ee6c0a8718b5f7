import pytest

from tests.support.factories import AgentFactory
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EventKind
from tickets.services import ticket_claim, ticket_transfer


def test_transfer_moves_the_ticket_and_lets_go_an_assignee_who_does_not_work_there(desk):
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=desk.agent.user)

    ticket_transfer(ticket=ticket, department=desk.sales, by=desk.agent.user)

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (desk.sales, None)
    transferred = ticket.events.get(kind=EventKind.TRANSFERRED)
    assert transferred.data == {
        "from": {"id": desk.it.pk, "name": "IT"},
        "to": {"id": desk.sales.pk, "name": "Sales"},
    }
    unassigned = ticket.events.get(kind=EventKind.ASSIGNED)
    assert unassigned.data == {"from": {"id": desk.agent.pk, "name": "Ryan Howard"}, "to": None}


def test_assignee_who_works_in_both_departments_keeps_the_ticket(desk):
    both = AgentFactory(departments=[desk.it, desk.sales])
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=both.user)

    ticket_transfer(ticket=ticket, department=desk.sales, by=both.user)

    ticket.refresh_from_db()
    assert ticket.assignee == both
    assert not ticket.events.filter(kind=EventKind.ASSIGNED).exists()


def test_agent_outside_the_department_cannot_transfer(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_transfer(ticket=ticket, department=desk.sales, by=desk.sales_agent.user)
    ticket.refresh_from_db()
    assert ticket.department == desk.it


def test_transfer_to_the_same_or_an_inactive_department_is_refused(desk):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput, match="already in IT"):
        ticket_transfer(ticket=ticket, department=desk.it, by=desk.agent.user)

    desk.sales.is_active = False
    desk.sales.save()
    with pytest.raises(InvalidInput):
        ticket_transfer(ticket=ticket, department=desk.sales, by=desk.agent.user)
