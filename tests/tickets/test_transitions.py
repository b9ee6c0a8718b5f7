"""The action table: one source for the lifecycle, the services, the page and the bulk bar."""

import pytest

from accounts.roles import SYSTEM
from tickets import access
from tickets.errors import NotPermitted, TransitionNotAllowed
from tickets.models import ACTIVE_STATUSES, EventKind, Priority, Status
from tickets.services import (
    BULK_ACTIONS,
    ticket_add_note,
    ticket_assign,
    ticket_change_status,
    ticket_claim,
    ticket_close,
    ticket_resolve,
    ticket_set_priority,
    ticket_transfer,
)
from tickets.transitions import (
    ACTIONS,
    ALLOWED_TRANSITIONS,
    STATUS_ACTIONS,
    Who,
    not_allowed_message,
    status_action_for,
)


def test_the_lifecycle_is_what_the_status_actions_allow():
    assert {
        Status.OPEN: {Status.PENDING, Status.RESOLVED, Status.CLOSED},
        Status.PENDING: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
        Status.RESOLVED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: set(),
    } == ALLOWED_TRANSITIONS
    # Each move is one action, so a page and a bulk change pick the same one.
    for current, targets in ALLOWED_TRANSITIONS.items():
        for target in targets:
            action = status_action_for(current, target)
            assert action is not None and action.allows(current) and action.target == target
    assert status_action_for(Status.RESOLVED, Status.OPEN).name == "reopen"
    assert status_action_for(Status.PENDING, Status.OPEN).name == "open"
    assert status_action_for(Status.CLOSED, Status.OPEN) is None


def test_claiming_follows_the_table():
    assert ACTIONS["claim"].allowed_from == frozenset(ACTIVE_STATUSES)
    assert ACTIONS["claim"].only_unassigned


@pytest.mark.parametrize("action", [a.name for a in STATUS_ACTIONS])
def test_the_status_service_refuses_what_the_table_refuses(desk, action):
    for status in Status.values:
        if ACTIONS[action].allows(status):
            continue
        ticket = desk.ticket()
        ticket.status = status  # a row as the table's other moves would leave it
        ticket.save(update_fields=["status"])
        with pytest.raises(TransitionNotAllowed) as refused:
            ticket_change_status(ticket=ticket, action=action, by=desk.agent.user)
        assert refused.value.message == not_allowed_message(
            ACTIONS[action], number=ticket.number, status=status
        )


def test_messages_for_moves_the_table_does_not_offer(desk):
    ticket = desk.ticket()
    with pytest.raises(TransitionNotAllowed, match=r"is already open\."):
        ticket_change_status(ticket=ticket, action="open", by=desk.agent.user)
    ticket_change_status(ticket=ticket, action="pending", by=desk.agent.user)
    # Pending goes back to open by "Back to open", not by reopening.
    with pytest.raises(
        TransitionNotAllowed, match=r"Reopen is not possible: ticket #\d+ is pending"
    ):
        ticket_change_status(ticket=ticket, action="reopen", by=desk.agent.user)
    ticket_close(ticket=ticket, by=desk.agent.user)
    with pytest.raises(TransitionNotAllowed, match="cannot go from closed to resolved"):
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    with pytest.raises(TransitionNotAllowed, match=r"is closed\.$"):
        ticket_set_priority(ticket=ticket, priority=Priority.LOW, by=desk.agent.user)


def test_who_may_comes_from_the_table(desk):
    ticket = desk.ticket()
    assert ACTIONS["assign"].who is Who.MANAGER
    with pytest.raises(NotPermitted, match="manager"):
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.agent.user)
    assert ACTIONS["resolve"].who is Who.PARTICIPANT
    assert access.may_take(ACTIONS["resolve"], desk.requester, ticket)
    assert not access.may_take(ACTIONS["close"], desk.requester, ticket)


def test_the_ticket_page_offers_what_the_table_allows(desk):
    ticket = desk.ticket()
    offered = access.actions_for_agent(ticket, can_manage=False)
    assert list(offered) == [
        "claim",
        "pending",
        "resolve",
        "close",
        "priority",
        "plan",
        "transfer",
        "fields",
        "add-collaborator",
        "remove-collaborator",
        "add-tag",
        "remove-tag",
        "log-time",
        "resume-mail",
        "merge",
        "undo-merge",
        "link",
        "unlink",
        "revoke-link",
    ]
    assert "assign" in access.actions_for_agent(ticket, can_manage=True)
    ticket = ticket_claim(ticket=ticket, by=desk.agent.user)
    assert "claim" not in access.actions_for_agent(ticket, can_manage=False)
    ticket = ticket_close(ticket=ticket, by=desk.agent.user)
    # A stop on a bounced address is the address's, not the ticket's: cleared from any.
    # Tags and time spent too: a closed ticket is still found by its tags, and time spent
    # on it is logged after the fact.
    assert list(access.actions_for_agent(ticket, can_manage=True)) == [
        "remove-collaborator",
        "add-tag",
        "remove-tag",
        "log-time",
        "resume-mail",
        "undo-merge",
        "link",
        "unlink",
        "resolve-children",
        "revoke-link",
    ]


def test_the_bulk_bar_offers_the_table_actions_marked_for_it():
    assert BULK_ACTIONS == {
        "claim": "Claim",
        "assign": "Assign to…",
        "status": "Set status…",
        "priority": "Set priority…",
        "transfer": "Transfer to…",
        "merge": "Merge into…",
        "add-tag": "Add tag…",
        "remove-tag": "Remove tag…",
    }


# The system actor -----------------------------------------------------------------------


def test_nobody_may_do_anything(desk):
    ticket = desk.ticket()
    for change in (
        lambda: ticket_set_priority(ticket=ticket, priority=Priority.LOW, by=None),
        lambda: ticket_close(ticket=ticket, by=None),
        lambda: ticket_assign(ticket=ticket, agent=desk.agent, by=None),
        lambda: ticket_transfer(ticket=ticket, department=desk.sales, by=None),
        lambda: ticket_add_note(ticket=ticket, body="hi", by=None),
    ):
        with pytest.raises(NotPermitted):
            change()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.OPEN,
        Priority.HIGH,
        None,
    )


def test_the_system_acts_where_a_service_hands_it_an_action(desk):
    ticket = desk.ticket()

    ticket_set_priority(ticket=ticket, priority=Priority.URGENT, by=SYSTEM)
    ticket_assign(ticket=ticket, agent=desk.agent, by=SYSTEM)
    ticket_close(ticket=ticket, by=SYSTEM)

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee, ticket.status) == (
        Priority.URGENT,
        desk.agent,
        Status.CLOSED,
    )
    system_events = ticket.events.filter(actor=None).values_list("kind", flat=True)
    assert list(system_events) == [
        EventKind.PRIORITY_CHANGED,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
    ]


def test_the_system_does_not_claim_but_writes_notes_without_an_author(desk):
    # Automation rules add notes and replies as the system (docs/decisions/0031).
    ticket = desk.ticket()
    with pytest.raises(NotPermitted):
        ticket_claim(ticket=ticket, by=SYSTEM)
    note = ticket_add_note(ticket=ticket, body="Automatic note", by=SYSTEM)
    assert note.author is None
