"""Event rules: each trigger, acting through the services as the system, the rule named in
each event; a rule's own change never re-triggers it; a chain stops after 10 steps."""

import logging

import pytest

from automation.models import PendingTrigger, RuleRun
from tests.automation.conftest import make_rule, run_triggers
from tickets.models import EventKind, Priority, Status, TicketEvent
from tickets.services import (
    ticket_add_message,
    ticket_assign,
    ticket_reply,
    ticket_set_pending,
)


def test_printer_rule_transfers_and_raises_priority(desk, printer_rule):
    ticket = desk.ticket(
        subject="The PRINTER on floor 2 jams", help_topic=None, department=desk.sales
    )
    assert ticket.department == desk.sales

    assert run_triggers() == 1

    ticket.refresh_from_db()
    assert ticket.department == desk.it
    assert ticket.priority == Priority.HIGH
    events = TicketEvent.objects.filter(
        ticket=ticket, kind__in=[EventKind.TRANSFERRED, EventKind.PRIORITY_CHANGED]
    )
    assert [e.kind for e in events] == [EventKind.TRANSFERRED, EventKind.PRIORITY_CHANGED]
    for event in events:
        assert event.actor is None  # the system
        assert event.data["rule"] == {"id": printer_rule.pk, "name": "Route printer tickets"}
    assert RuleRun.objects.get().failed is False
    assert not PendingTrigger.objects.exists()


def test_a_ticket_that_does_not_match_is_left_alone(desk, printer_rule):
    ticket = desk.ticket(subject="CRM is down", help_topic=None, department=desk.sales)

    run_triggers()

    ticket.refresh_from_db()
    assert ticket.department == desk.sales
    assert not RuleRun.objects.exists()


def test_no_trigger_is_written_when_no_rule_listens(desk):
    desk.ticket()
    assert not PendingTrigger.objects.exists()


def test_an_inactive_rule_does_nothing(desk, printer_rule):
    printer_rule.is_active = False
    printer_rule.save()
    desk.ticket(subject="printer", help_topic=None, department=desk.sales)
    assert not PendingTrigger.objects.exists()


def note_rule(trigger, name="Note it", **fields):
    return make_rule(
        name=name,
        trigger=trigger,
        actions=[{"kind": "add_note", "text": f"{trigger} on #{{number}}"}],
        **fields,
    )


def notes(ticket):
    return list(ticket.entries.filter(kind="note").values_list("body", flat=True))


@pytest.mark.parametrize(
    "trigger, cause",
    [
        ("ticket_created", lambda desk, t: None),
        (
            "requester_replied",
            lambda desk, t: ticket_add_message(ticket=t, body="More", by=desk.requester),
        ),
        (
            "agent_replied",
            lambda desk, t: ticket_reply(ticket=t, body="Hello", by=desk.agent.user),
        ),
        ("status_changed", lambda desk, t: ticket_set_pending(ticket=t, by=desk.agent.user)),
        (
            "assigned",
            lambda desk, t: ticket_assign(ticket=t, agent=desk.agent, by=desk.manager.user),
        ),
    ],
)
def test_each_trigger_runs_its_rules_once(desk, trigger, cause):
    rule = note_rule(trigger)
    ticket = desk.ticket()
    cause(desk, ticket)

    run_triggers()
    run_triggers()  # nothing left: once

    assert notes(ticket) == [f"{trigger} on #{ticket.number}"]
    assert ticket.entries.get(kind="note").author is None  # the system
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_sla_breach_from_the_sweep_triggers_rules(desk):
    import datetime as dt

    import time_machine

    from tickets.clocks import sla_sweep

    note_rule("sla_breached")
    warned = note_rule("sla_warning", name="Warned")
    ticket = desk.ticket()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=30)):
        sla_sweep()
        run_triggers()
    bodies = notes(ticket)
    assert f"sla_breached on #{ticket.number}" in bodies
    assert RuleRun.objects.filter(rule=warned).count() >= 1


def test_a_department_rule_ignores_other_departments(desk):
    note_rule("ticket_created", department=desk.sales)
    ticket = desk.ticket()  # IT
    run_triggers()
    assert notes(ticket) == []


def test_rules_run_in_order_and_see_each_others_changes(desk):
    make_rule(
        name="Second",
        order=2,
        conditions=[{"field": "priority", "operator": "is", "value": "4"}],
        actions=[{"kind": "add_note", "text": "urgent seen"}],
    )
    make_rule(name="First", order=1, actions=[{"kind": "set_priority", "priority": 4}])
    ticket = desk.ticket()
    run_triggers()
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert notes(ticket) == ["urgent seen"]


def test_a_rule_does_not_retrigger_itself(desk):
    # On every status change, set pending: its own change is a status change too.
    rule = make_rule(
        name="Pend",
        trigger="status_changed",
        conditions=[{"field": "status", "operator": "is", "value": "open"}],
        actions=[{"kind": "set_status", "status": "pending"}],
    )
    ticket = desk.ticket()
    ticket_set_pending(ticket=ticket, by=desk.agent.user)
    from tickets.services import ticket_set_open

    ticket_set_open(ticket=ticket, by=desk.agent.user)

    run_triggers()

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert RuleRun.objects.filter(rule=rule).count() == 1  # for the agent's change only
    assert not PendingTrigger.objects.exists()


def test_a_chain_of_rules_stops_after_ten_steps(desk, caplog):
    # Two rules that undo each other: each change triggers the other rule.
    make_rule(
        name="To pending",
        order=1,  # first: for each change, only the rule that did not make it acts
        trigger="status_changed",
        conditions=[{"field": "status", "operator": "is", "value": "open"}],
        actions=[{"kind": "set_status", "status": "pending"}],
    )
    make_rule(
        name="To open",
        order=2,
        trigger="status_changed",
        conditions=[{"field": "status", "operator": "is", "value": "pending"}],
        actions=[{"kind": "add_note", "text": "back"}, {"kind": "set_status", "status": "open"}],
    )
    ticket = desk.ticket()
    with caplog.at_level(logging.WARNING, logger="automation.listener"):
        ticket_set_pending(ticket=ticket, by=desk.agent.user)
        while run_triggers():
            pass

    by_rules = TicketEvent.objects.filter(
        ticket=ticket, kind=EventKind.STATUS_CHANGED, data__rule__isnull=False
    )
    assert by_rules.count() == 10
    assert "chain of rules stopped after 10 steps" in caplog.text
    assert not PendingTrigger.objects.exists()


def test_a_failing_rule_is_recorded_and_the_others_still_run(desk, caplog):
    bad = make_rule(
        name="Bad",
        order=1,
        actions=[
            {"kind": "add_note", "text": "rolled back"},
            {"kind": "set_status", "status": "resolved"},
            {"kind": "assign", "agent": desk.sales_agent},  # not in IT: refused
        ],
    )
    note_rule("ticket_created", name="Good", order=2)
    ticket = desk.ticket()
    with caplog.at_level(logging.WARNING):
        run_triggers()

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the bad rule's changes rolled back together
    assert notes(ticket) == [f"ticket_created on #{ticket.number}"]
    run = RuleRun.objects.get(rule=bad)
    assert run.failed and "does not work in IT" in run.error
    assert "Bad" in caplog.text
