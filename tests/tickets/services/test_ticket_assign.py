import pytest

from tests.support.factories import AgentFactory
from tickets.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from tickets.models import EventKind
from tickets.services import ticket_assign, ticket_claim, ticket_close


def test_manager_assigns_to_an_agent_of_the_department(desk):
    ticket = desk.ticket()

    ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)

    ticket.refresh_from_db()
    assert ticket.assignee == desk.agent
    event = ticket.events.get(kind=EventKind.ASSIGNED)
    assert (event.actor, event.data) == (
        desk.manager.user,
        {"from": None, "to": {"id": desk.agent.pk, "name": "Ryan Howard"}},
    )


def test_reassign_and_unassign_record_old_and_new(desk):
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=desk.agent.user)

    ticket_assign(ticket=ticket, agent=desk.manager, by=desk.manager.user)
    ticket_assign(ticket=ticket, agent=None, by=desk.manager.user)

    ticket.refresh_from_db()
    assert ticket.assignee is None
    ryan = {"id": desk.agent.pk, "name": "Ryan Howard"}
    kevin = {"id": desk.manager.pk, "name": "Kevin Benavides"}
    values = list(ticket.events.filter(kind=EventKind.ASSIGNED).values_list("data", flat=True))
    assert values == [{"from": ryan, "to": kevin}, {"from": kevin, "to": None}]


def test_assigning_to_the_current_assignee_writes_nothing(desk):
    ticket = desk.ticket()
    ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
    ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)

    assert ticket.events.filter(kind=EventKind.ASSIGNED).count() == 1


def test_plain_agent_cannot_assign(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted, match="manager"):
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.agent.user)


def test_manager_of_another_department_cannot_assign(desk):
    sales_manager = AgentFactory(managed=[desk.sales])
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_assign(ticket=ticket, agent=desk.agent, by=sales_manager.user)


def test_superuser_assigns_anywhere(desk):
    desk.requester.is_superuser = True  # any superuser account
    desk.requester.save()
    ticket = desk.ticket()

    ticket_assign(ticket=ticket, agent=desk.agent, by=desk.requester)

    ticket.refresh_from_db()
    assert ticket.assignee == desk.agent


def test_cannot_assign_to_an_agent_outside_the_department(desk):
    ticket = desk.ticket()

    with pytest.raises(InvalidInput, match="does not work in IT"):
        ticket_assign(ticket=ticket, agent=desk.sales_agent, by=desk.manager.user)


def test_cannot_assign_to_an_inactive_agent(desk):
    desk.agent.is_active = False
    desk.agent.save()

    with pytest.raises(InvalidInput):
        ticket_assign(ticket=desk.ticket(), agent=desk.agent, by=desk.manager.user)


def test_closed_ticket_cannot_be_assigned(desk):
    ticket = ticket_close(ticket=desk.ticket(), by=desk.agent.user)

    with pytest.raises(TransitionNotAllowed):
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
