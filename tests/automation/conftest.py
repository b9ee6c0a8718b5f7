"""Rules made as the admin makes them (rows), and the pending triggers run as the worker
runs them."""

import pytest

from automation.engine import triggers_run
from automation.models import Rule


def make_rule(
    name="Route printer tickets", trigger="ticket_created", *, conditions=(), actions=(), **fields
) -> Rule:
    rule = Rule.objects.create(name=name, trigger=trigger, **fields)
    for condition in conditions:
        rule.conditions.create(**condition)
    for position, action in enumerate(actions):
        rule.actions.create(order=position, **action)
    return rule


@pytest.fixture
def printer_rule(desk):
    """The issue's example: subject contains printer -> transfer to IT, priority high."""
    return make_rule(
        conditions=[{"field": "subject", "operator": "contains", "value": "printer"}],
        actions=[
            {"kind": "transfer", "department": desk.it},
            {"kind": "set_priority", "priority": 3},
        ],
    )


def run_triggers() -> int:
    return triggers_run()
