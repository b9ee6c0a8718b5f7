"""Auto-assignment (tickets.services.ticket_auto_assign): the department's policy picks an
available agent of the department when a ticket arrives or is transferred."""

import pytest

from accounts.models import Department
from accounts.roles import SYSTEM
from accounts.services import (
    agent_set_active,
    agent_set_availability,
    department_set_auto_assignment,
)
from tests.support.factories import AgentFactory, UserFactory
from tickets.errors import NotPermitted
from tickets.models import RUNNING_CLOCK, EventKind, Notification, SLAClock
from tickets.services import (
    ticket_assign,
    ticket_auto_assign,
    ticket_close,
    ticket_resolve,
    ticket_set_pending,
    ticket_set_plan,
    ticket_transfer,
)

Policy = Department.AutoAssignment


def _policy(department, policy):
    department_set_auto_assignment(department=department, policy=policy)
    department.refresh_from_db()


def _unavailable(agent):
    agent_set_availability(agent=agent, available=False, by=agent.user)


def _assignees(tickets):
    for ticket in tickets:
        ticket.refresh_from_db()
    return [ticket.assignee for ticket in tickets]


@pytest.fixture
def it_team(desk):
    """IT's three agents in id order (the round-robin's order): Kevin, Ryan, Pam."""
    pam = AgentFactory(user__display_name="Pam Beesly", departments=[desk.it])
    return [desk.manager, desk.agent, pam]


# Round-robin ----------------------------------------------------------------------------


def test_round_robin_gives_each_new_ticket_to_the_next_agent_in_turn(desk, it_team):
    _policy(desk.it, Policy.ROUND_ROBIN)

    tickets = [desk.ticket(subject=f"Ticket {i}") for i in range(7)]

    assert _assignees(tickets) == [*it_team, *it_team, it_team[0]]
    desk.it.refresh_from_db()
    assert desk.it.last_auto_assigned == it_team[0]


def test_the_assignment_is_the_usual_assigned_event_by_the_system_marked_auto(desk, it_team):
    _policy(desk.it, Policy.ROUND_ROBIN)

    ticket = desk.ticket()

    created, assigned = ticket.events.order_by("id")
    assert (created.kind, assigned.kind) == (EventKind.CREATED, EventKind.ASSIGNED)
    assert assigned.actor is None  # the system
    assert assigned.data == {
        "from": None,
        "to": {"id": it_team[0].pk, "name": "Kevin Benavides"},
        "auto": True,
        "policy": "round_robin",
    }
    told = Notification.objects.filter(kind=Notification.Kind.ASSIGNED, ticket=ticket)
    assert list(told.values_list("recipient", "event")) == [(it_team[0].user_id, assigned.pk)]


def test_round_robin_passes_over_unavailable_inactive_and_other_departments_agents(desk, it_team):
    kevin, ryan, pam = it_team
    disabled_user = AgentFactory(departments=[desk.it], user__is_active=False)
    inactive = AgentFactory(departments=[desk.it])
    agent_set_active(agent=inactive, is_active=False)
    _unavailable(ryan)
    _policy(desk.it, Policy.ROUND_ROBIN)

    tickets = [desk.ticket(subject=f"Ticket {i}") for i in range(4)]

    assert _assignees(tickets) == [kevin, pam, kevin, pam]
    assert disabled_user.assigned_tickets.count() == inactive.assigned_tickets.count() == 0
    assert desk.sales_agent.assigned_tickets.count() == 0


def test_an_agent_back_from_unavailable_rejoins_the_turn_in_order(desk, it_team):
    kevin, ryan, pam = it_team
    _policy(desk.it, Policy.ROUND_ROBIN)
    _unavailable(ryan)
    first = [desk.ticket(subject=f"Before {i}") for i in range(2)]  # Kevin, Pam
    agent_set_availability(agent=ryan, available=True, by=ryan.user)

    then = [desk.ticket(subject=f"After {i}") for i in range(3)]

    assert _assignees(first) == [kevin, pam]
    assert _assignees(then) == [kevin, ryan, pam]


def test_the_last_picked_agent_leaving_does_not_stop_the_turn(desk, it_team):
    _, ryan, pam = it_team
    _policy(desk.it, Policy.ROUND_ROBIN)
    desk.ticket(subject="To Kevin")
    desk.ticket(subject="To Ryan")
    _unavailable(ryan)  # the last pick is no longer eligible

    assert _assignees([desk.ticket(subject="Next")]) == [pam]


# Least open tickets -------------------------------------------------------------------


def _assign(desk, agent, **kwargs):
    ticket = desk.ticket(**kwargs)
    ticket_assign(ticket=ticket, agent=agent, by=desk.manager.user)
    return ticket


def test_least_open_counts_only_tickets_with_a_running_sla_clock(desk, it_team):
    kevin, ryan, pam = it_team
    by = desk.manager.user
    # Kevin: four tickets, three without a running clock (resolved, closed, no plan); the
    # pending one still counts: pending pauses its resolution clock, never first response.
    ticket_resolve(ticket=_assign(desk, kevin, subject="Resolved"), by=by)
    ticket_close(ticket=_assign(desk, kevin, subject="Closed"), by=by)
    ticket_set_plan(ticket=_assign(desk, kevin, subject="No plan"), plan=None, by=by)
    ticket_set_pending(ticket=_assign(desk, kevin, subject="Pending"), by=by)
    # Ryan: two open tickets with running clocks. Pam: one.
    _assign(desk, ryan, subject="Open 1")
    _assign(desk, ryan, subject="Open 2")
    _assign(desk, pam, subject="Open 3")
    running = SLAClock.objects.filter(RUNNING_CLOCK)
    assert running.filter(ticket__assignee=kevin).values("ticket").distinct().count() == 1
    assert running.filter(ticket__assignee=ryan).values("ticket").distinct().count() == 2
    _policy(desk.it, Policy.LEAST_OPEN)

    tickets = [desk.ticket(subject=f"New {i}") for i in range(4)]

    # Loads (Kevin, Ryan, Pam) before each pick, ties going round-robin from the last pick:
    # 1,2,1 -> Kevin; 2,2,1 -> Pam; 2,2,2 -> Kevin (after Pam, wrapping round);
    # 3,2,2 -> Ryan (after Kevin).
    assert _assignees(tickets) == [kevin, pam, kevin, ryan]
    assert tickets[0].events.get(kind=EventKind.ASSIGNED).data["policy"] == "least_open"


def test_least_open_skips_unavailable_agents_however_idle(desk, it_team):
    kevin, ryan, pam = it_team
    _assign(desk, kevin, subject="Busy")
    _unavailable(pam)
    _policy(desk.it, Policy.LEAST_OPEN)

    assert _assignees([desk.ticket(subject="New")]) == [ryan]


# Nothing to do -------------------------------------------------------------------------


def test_policy_off_leaves_new_tickets_unassigned(desk, it_team):
    assert desk.it.auto_assignment == Policy.OFF  # the default

    ticket = desk.ticket()
    ticket_auto_assign(ticket=ticket, by=SYSTEM)

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not ticket.events.filter(kind=EventKind.ASSIGNED).exists()


def test_without_an_eligible_agent_the_ticket_stays_unassigned(desk, it_team):
    for agent in it_team:
        _unavailable(agent)
    _policy(desk.it, Policy.ROUND_ROBIN)

    ticket = desk.ticket()

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not ticket.events.filter(kind=EventKind.ASSIGNED).exists()
    desk.it.refresh_from_db()
    assert desk.it.last_auto_assigned is None


def test_an_assigned_or_finished_ticket_is_left_as_it_is(desk, it_team):
    pam = it_team[2]
    held = _assign(desk, pam, subject="Pam's")
    done = desk.ticket(subject="Done")
    ticket_resolve(ticket=done, by=desk.manager.user)
    _policy(desk.it, Policy.ROUND_ROBIN)

    ticket_auto_assign(ticket=held, by=SYSTEM)
    ticket_auto_assign(ticket=done, by=SYSTEM)

    assert _assignees([held, done]) == [pam, None]


def test_nobody_and_strangers_may_not_auto_assign(desk, it_team):
    _policy(desk.it, Policy.ROUND_ROBIN)
    ticket = desk.ticket()
    ticket_assign(ticket=ticket, agent=None, by=desk.manager.user)

    for stranger in (None, UserFactory(), desk.sales_agent.user):
        with pytest.raises(NotPermitted):
            ticket_auto_assign(ticket=ticket, by=stranger)
    # An agent of the department may (an automation rule acting for them, say).
    ticket_auto_assign(ticket=ticket, by=desk.agent.user)
    assert _assignees([ticket])[0] is not None


# Transfers -----------------------------------------------------------------------------


def test_a_transfer_clears_an_assignee_from_elsewhere_and_auto_assigns_in_the_new_department(
    desk, it_team
):
    kevin = it_team[0]
    _policy(desk.it, Policy.ROUND_ROBIN)
    ticket = desk.ticket(help_topic=None, department=desk.sales, by=desk.requester)
    ticket_assign(ticket=ticket, agent=desk.sales_agent, by=UserFactory(is_superuser=True))

    ticket_transfer(ticket=ticket, department=desk.it, by=desk.sales_agent.user)

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (desk.it, kevin)
    history = [(e.kind, e.data.get("auto", False)) for e in ticket.events.order_by("id")]
    assert history[-3:] == [
        (EventKind.ASSIGNED, False),  # Dwight let go
        (EventKind.TRANSFERRED, False),
        (EventKind.ASSIGNED, True),
    ]


def test_a_transfer_keeps_an_assignee_who_works_in_the_new_department(desk, it_team):
    pam = it_team[2]
    desk.sales.memberships.create(agent=pam)
    _policy(desk.it, Policy.ROUND_ROBIN)
    ticket = desk.ticket(help_topic=None, department=desk.sales, by=desk.requester)
    ticket_assign(ticket=ticket, agent=pam, by=UserFactory(is_superuser=True))

    ticket_transfer(ticket=ticket, department=desk.it, by=pam.user)

    assert _assignees([ticket]) == [pam]
    assert not ticket.events.filter(kind=EventKind.ASSIGNED, data__auto=True).exists()


def test_a_transfer_into_a_department_with_the_policy_off_leaves_the_ticket_unassigned(
    desk, it_team
):
    _policy(desk.it, Policy.ROUND_ROBIN)
    ticket = desk.ticket()  # IT: auto-assigned to Kevin
    _policy(desk.sales, Policy.OFF)

    ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)

    assert _assignees([ticket]) == [None]
