"""The dashboard's figures as plain dicts shaped like tests/reports/slow.py's, and the
assertion that the two agree, group by group and day by day."""

from __future__ import annotations

import dataclasses

import pytest

from reports.figures import NONE, TOTAL, Achievement, Dashboard, Row
from tests.reports.slow import World


def _times(times) -> dict:
    return {
        "tickets": times.tickets,
        "business": dataclasses.asdict(times.business),
        "calendar": dataclasses.asdict(times.calendar),
    }


def row_figures(row: Row) -> dict:
    return {
        "flow": dataclasses.asdict(row.flow),
        "sla": {kind: dataclasses.asdict(a) for kind, a in row.sla.items()},
        "first_response": _times(row.first_response),
        "resolution": _times(row.resolution),
        "first_resolution": _times(row.first_resolution),
    }


def dashboard_figures(dashboard: Dashboard) -> dict[tuple, dict]:
    figures = {(TOTAL, None): row_figures(dashboard.total)}
    for name, rows in dashboard.breakdowns.items():
        for row in rows:
            value = getattr(row.filters, name)  # each breakdown is named after its filter
            figures[(name, None if value == NONE else value)] = row_figures(row)
    return figures


EMPTY = row_figures(Row("", filters=None))
# A group with no figures at all: zero for every target.
EMPTY["sla"] = {
    kind: dataclasses.asdict(Achievement())
    for kind in ("first_response", "next_response", "resolution")
}


def _approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-6) if isinstance(value, float) else value


def _approx_tree(tree):
    if isinstance(tree, dict):
        return {k: _approx_tree(v) for k, v in tree.items()}
    return _approx(tree)


def assert_matches(dashboard: Dashboard, *, user, world: World | None = None) -> World:
    """Every group's figures and every day's, as the slow computation makes them."""
    world = world or World.load()
    period = dashboard.period
    slow = world.figures(user=user, filters=dashboard.filters, start=period.start, end=period.end)
    fast = dashboard_figures(dashboard)
    for key in sorted(set(slow) | set(fast), key=repr):
        expected = slow.get(key, EMPTY)
        assert fast.get(key, EMPTY) == _approx_tree(expected), f"group {key}"
    slow_days = world.days(user=user, filters=dashboard.filters, days=period.days())
    fast_days = [
        {
            "created": d.created,
            "resolved": d.resolved,
            "reopened": d.reopened,
            "backlog": d.backlog,
        }
        for d in dashboard.days
    ]
    assert fast_days == slow_days
    tickets = world.scope(user, dashboard.filters)
    assert dashboard.current.open == world.open_now(tickets)
    assert dashboard.current.due_soon == world.due_soon(tickets, dashboard.now)
    return world
