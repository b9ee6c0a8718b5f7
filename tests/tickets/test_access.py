import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tests.support.factories import UserFactory
from tickets.access import (
    can_manage_department,
    can_work_ticket,
    is_agent,
    ticket_get_for_user,
    visible_tickets,
)


def test_requester_sees_only_their_own_tickets(desk):
    mine = desk.ticket()
    theirs = desk.ticket(requester=desk.other_requester)

    assert ticket_get_for_user(user=desk.requester, number=mine.number) == mine
    with pytest.raises(Http404):
        ticket_get_for_user(user=desk.requester, number=theirs.number)
    assert list(visible_tickets(desk.requester)) == [mine]


def test_agent_sees_their_departments_tickets_only(desk):
    it_ticket = desk.ticket()
    sales_ticket = desk.ticket(help_topic=None, department=desk.sales)

    assert ticket_get_for_user(user=desk.agent.user, number=it_ticket.number) == it_ticket
    with pytest.raises(Http404):
        ticket_get_for_user(user=desk.agent.user, number=sales_ticket.number)
    assert can_work_ticket(desk.sales_agent.user, sales_ticket)
    assert not can_work_ticket(desk.sales_agent.user, it_ticket)


def test_inactive_agent_loses_access(desk):
    ticket = desk.ticket()
    desk.agent.is_active = False
    desk.agent.save()

    with pytest.raises(Http404):
        ticket_get_for_user(user=desk.agent.user, number=ticket.number)
    assert not is_agent(desk.agent.user)


def test_superuser_sees_everything(desk):
    ticket = desk.ticket(help_topic=None, department=desk.sales)
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert ticket_get_for_user(user=admin, number=ticket.number) == ticket
    assert can_manage_department(admin, desk.sales.pk)


@pytest.mark.parametrize(
    "number", ["abc", "", None, "1e3", "-1", "99999999999999999999999", "1001;"]
)
def test_garbage_numbers_are_not_found(desk, number):
    desk.ticket()
    with pytest.raises(Http404):
        ticket_get_for_user(user=desk.requester, number=number)


def test_anonymous_sees_nothing(desk):
    ticket = desk.ticket()

    with pytest.raises(Http404):
        ticket_get_for_user(user=AnonymousUser(), number=ticket.number)
    assert not can_work_ticket(AnonymousUser(), ticket)


def test_only_managers_manage(desk):
    assert can_manage_department(desk.manager.user, desk.it.pk)
    assert not can_manage_department(desk.agent.user, desk.it.pk)
    assert not can_manage_department(desk.manager.user, desk.sales.pk)
