import pytest

from tickets.errors import NotPermitted, TransitionNotAllowed
from tickets.models import EventKind, Status
from tickets.services import (
    ticket_close,
    ticket_reopen,
    ticket_resolve,
    ticket_set_open,
    ticket_set_pending,
)
from tickets.transitions import ALLOWED_TRANSITIONS, can_transition, next_statuses


def _status_events(ticket):
    return [
        (kind, data["from"]["id"], data["to"]["id"])
        for kind, data in ticket.events.filter(
            kind__in=[EventKind.STATUS_CHANGED, EventKind.REOPENED]
        ).values_list("kind", "data")
    ]


def test_the_full_lifecycle_writes_an_event_for_each_move(desk):
    by = desk.agent.user
    ticket = desk.ticket()

    ticket_set_pending(ticket=ticket, by=by)
    ticket_set_open(ticket=ticket, by=by)
    ticket_resolve(ticket=ticket, by=by)
    ticket_reopen(ticket=ticket, by=by)
    ticket_close(ticket=ticket, by=by)

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at is not None
    assert _status_events(ticket) == [
        ("status_changed", "open", "pending"),
        ("status_changed", "pending", "open"),
        ("status_changed", "open", "resolved"),
        ("reopened", "resolved", "open"),
        ("status_changed", "open", "closed"),
    ]


def test_resolve_sets_resolved_at_and_reopen_clears_it(desk):
    ticket = ticket_resolve(ticket=desk.ticket(), by=desk.agent.user)
    assert ticket.resolved_at is not None

    ticket = ticket_reopen(ticket=ticket, by=desk.agent.user)
    assert ticket.resolved_at is None


def test_requester_may_mark_their_ticket_solved_but_not_close_it(desk):
    ticket = desk.ticket()

    with pytest.raises(NotPermitted):
        ticket_close(ticket=ticket, by=desk.requester)
    with pytest.raises(NotPermitted):
        ticket_resolve(ticket=ticket, by=desk.other_requester)

    ticket_resolve(ticket=ticket, by=desk.requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([ticket_close], ticket_reopen),
        ([ticket_close], ticket_resolve),
        ([ticket_close], ticket_set_pending),
        ([], ticket_reopen),
        ([], ticket_set_open),
        ([ticket_set_pending], ticket_set_pending),
        ([ticket_resolve], ticket_set_pending),
        ([ticket_resolve], ticket_resolve),
    ],
)
def test_moves_outside_the_table_are_refused_and_change_nothing(desk, setup, action):
    ticket = desk.ticket()
    for step in setup:
        step(ticket=ticket, by=desk.agent.user)
    ticket.refresh_from_db()
    before = (ticket.status, ticket.events.count())

    with pytest.raises(TransitionNotAllowed):
        action(ticket=ticket, by=desk.agent.user)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.events.count()) == before


def test_agent_of_another_department_cannot_change_status(desk):
    ticket = desk.ticket()
    for action in (ticket_set_pending, ticket_resolve, ticket_close):
        with pytest.raises(NotPermitted):
            action(ticket=ticket, by=desk.sales_agent.user)


def test_closed_is_final_in_the_table():
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()
    assert next_statuses(Status.CLOSED) == []
    assert next_statuses(Status.OPEN) == ["pending", "resolved", "closed"]
    assert can_transition(Status.RESOLVED, Status.OPEN)
    assert not can_transition(Status.OPEN, Status.OPEN)
