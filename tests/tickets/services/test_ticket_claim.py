import pytest

from tickets.errors import AlreadyClaimed, NotPermitted, TransitionNotAllowed
from tickets.models import EventKind
from tickets.services import ticket_claim, ticket_close


def test_agent_claims_an_unassigned_ticket(desk):
    ticket = desk.ticket()

    ticket = ticket_claim(ticket=ticket, by=desk.agent.user)

    ticket.refresh_from_db()
    assert ticket.assignee == desk.agent
    event = ticket.events.get(kind=EventKind.CLAIMED)
    assert (event.actor, event.data) == (
        desk.agent.user,
        {"to": {"id": desk.agent.pk, "name": "Ryan Howard"}},
    )


def test_second_claim_gets_a_clear_message_and_changes_nothing(desk):
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=desk.agent.user)

    with pytest.raises(AlreadyClaimed, match="already claimed by Ryan Howard"):
        ticket_claim(ticket=ticket, by=desk.manager.user)

    ticket.refresh_from_db()
    assert ticket.assignee == desk.agent
    assert ticket.events.filter(kind=EventKind.CLAIMED).count() == 1


def test_claiming_your_own_ticket_again_says_so(desk):
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=desk.agent.user)

    with pytest.raises(AlreadyClaimed, match="already yours"):
        ticket_claim(ticket=ticket, by=desk.agent.user)


def test_agent_of_another_department_cannot_claim(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_claim(ticket=ticket, by=desk.sales_agent.user)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_end_user_cannot_claim(desk):
    with pytest.raises(NotPermitted):
        ticket_claim(ticket=desk.ticket(), by=desk.requester)


def test_closed_ticket_cannot_be_claimed(desk):
    ticket = ticket_close(ticket=desk.ticket(), by=desk.agent.user)

    with pytest.raises(TransitionNotAllowed):
        ticket_claim(ticket=ticket, by=desk.agent.user)
