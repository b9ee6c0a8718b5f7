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
