"""Auto-assignment under a burst: tickets created at the same instant by separate OS
processes (tests/support/intake_race.py) on a real PostgreSQL. The department's row lock
serialises the picks, so no two arrivals read the same "last pick" or the same loads."""

from collections import Counter

import pytest
from django.db import connection

from accounts.models import Department
from accounts.services import department_set_auto_assignment
from tests.support.factories import AgentFactory
from tests.support.intake_race import create_together
from tickets.models import EventKind, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Policy = Department.AutoAssignment


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between processes are what is under test: PostgreSQL only")


def _team(desk, size):
    """IT's agents in round-robin order (by id): the desk's two, then more."""
    extra = [AgentFactory(departments=[desk.it]) for _ in range(size - 2)]
    return sorted([desk.manager, desk.agent, *extra], key=lambda agent: agent.pk)


def _picks_in_order(ticket_ids):
    """The auto-assigned agents in the order the picks were written (event ids)."""
    events = TicketEvent.objects.filter(
        ticket_id__in=ticket_ids, kind=EventKind.ASSIGNED, data__auto=True
    ).order_by("id")
    return [event.data["to"]["id"] for event in events]


def test_round_robin_under_a_burst_of_processes_gives_each_agent_exactly_its_share(desk):
    team = _team(desk, 4)
    department_set_auto_assignment(department=desk.it, policy=Policy.ROUND_ROBIN)

    created = create_together(count=12, department_id=desk.it.pk, requester_id=desk.requester.pk)

    assert len({c.pid for c in created}) == 12  # twelve processes, twelve connections
    shares = Counter(c.assignee_id for c in created)
    assert shares == {agent.pk: 3 for agent in team}
    # One after the other, each pick the next in turn: Kevin, Ryan, ..., and round again.
    order = [agent.pk for agent in team]
    assert _picks_in_order([c.ticket_id for c in created]) == order * 3


def test_least_open_under_a_burst_never_gives_one_agent_two_while_another_has_none(desk):
    team = _team(desk, 4)
    department_set_auto_assignment(department=desk.it, policy=Policy.LEAST_OPEN)

    created = create_together(count=8, department_id=desk.it.pk, requester_id=desk.requester.pk)

    assert len({c.pid for c in created}) == 8
    # Every new ticket has a running first-response clock, so each pick saw the earlier
    # ones: the load never differs by more than one, and ends even.
    assert Counter(c.assignee_id for c in created) == {agent.pk: 2 for agent in team}
    picks = _picks_in_order([c.ticket_id for c in created])
    for seen in range(1, len(picks) + 1):
        loads = Counter(picks[:seen])
        counts = [loads[agent.pk] for agent in team]
        assert max(counts) - min(counts) <= 1, picks[:seen]
