import pytest

from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EventKind, Priority
from tickets.services import ticket_set_plan, ticket_set_priority


def test_set_priority_records_labels(desk):
    ticket = desk.ticket()

    ticket_set_priority(ticket=ticket, priority=Priority.URGENT, by=desk.agent.user)

    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    event = ticket.events.get(kind=EventKind.PRIORITY_CHANGED)
    assert (event.actor, event.data) == (
        desk.agent.user,
        {"from": {"id": 3, "name": "High"}, "to": {"id": 4, "name": "Urgent"}},
    )


def test_same_priority_writes_nothing(desk):
    ticket = desk.ticket()
    ticket_set_priority(ticket=ticket, priority=Priority.HIGH, by=desk.agent.user)

    assert not ticket.events.filter(kind=EventKind.PRIORITY_CHANGED).exists()


@pytest.mark.parametrize("bad", [0, 5, -1, "high", None])
def test_invalid_priority_is_refused(desk, bad):
    with pytest.raises(InvalidInput):
        ticket_set_priority(ticket=desk.ticket(), priority=bad, by=desk.agent.user)


def test_priority_outside_the_department_is_refused(desk):
    with pytest.raises(NotPermitted):
        ticket_set_priority(ticket=desk.ticket(), priority=Priority.LOW, by=desk.sales_agent.user)


def test_set_plan_records_names(desk):
    ticket = desk.ticket()

    ticket_set_plan(ticket=ticket, plan=desk.critical, by=desk.manager.user)

    ticket.refresh_from_db()
    assert ticket.sla_plan == desk.critical
    event = ticket.events.get(kind=EventKind.PLAN_CHANGED)
    assert event.data == {
        "from": {"id": desk.standard.pk, "name": "Standard"},
        "to": {"id": desk.critical.pk, "name": "Critical"},
    }


def test_plan_can_be_removed_but_not_set_to_a_retired_one(desk):
    ticket = desk.ticket()
    desk.critical.is_active = False
    desk.critical.save()

    with pytest.raises(InvalidInput, match="retired"):
        ticket_set_plan(ticket=ticket, plan=desk.critical, by=desk.agent.user)

    ticket_set_plan(ticket=ticket, plan=None, by=desk.agent.user)
    ticket.refresh_from_db()
    assert ticket.sla_plan is None


def test_requester_cannot_change_the_plan(desk):
    with pytest.raises(NotPermitted):
        ticket_set_plan(ticket=desk.ticket(), plan=desk.critical, by=desk.requester)
