"""Tickets in every queue view, for the queue's selector and page tests (the `spread` fixture)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tickets.clocks import sla_sweep
from tickets.models import SLAState
from tickets.services import (
    ticket_assign,
    ticket_claim,
    ticket_close,
    ticket_resolve,
    ticket_set_pending,
)


@pytest.fixture
def spread(desk):
    """Tickets in every view: open, mine, unassigned, at risk, pending, resolved, closed."""
    start = timezone.now() - dt.timedelta(hours=30)
    made = {}
    with time_machine.travel(start, tick=False):
        made["breached"] = desk.ticket(subject="Breached long ago")
    with time_machine.travel(start + dt.timedelta(hours=29, minutes=50), tick=False):
        made["mine"] = desk.ticket(subject="Mine and fresh")
        ticket_claim(ticket=made["mine"], by=desk.agent.user)
        made["other"] = desk.ticket(subject="Someone else's")
        ticket_assign(ticket=made["other"], agent=desk.manager, by=desk.manager.user)
        made["pending"] = desk.ticket(subject="Waiting on Jim")
        ticket_set_pending(ticket=made["pending"], by=desk.agent.user)
        made["resolved"] = desk.ticket(subject="Fixed already")
        ticket_resolve(ticket=made["resolved"], by=desk.agent.user)
        made["closed"] = desk.ticket(subject="Closed for good")
        ticket_close(ticket=made["closed"], by=desk.agent.user)
        made["sales"] = desk.ticket(subject="Sales only", help_topic=None, department=desk.sales)
    sla_sweep()
    for ticket in made.values():
        ticket.refresh_from_db()
    assert made["breached"].sla_state == SLAState.BREACHED
    return made
