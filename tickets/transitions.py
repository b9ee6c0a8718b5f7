"""The ticket lifecycle as data: which status may follow which.

Services validate every status change against this table, and pages ask it which
buttons to show, so the two can never disagree.
"""

from tickets.models import Status

# `closed` is final, as DESIGN.md says: a closed ticket is never reopened; the requester
# opens a new one.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# Statuses in which SLA clocks that may pause are paused; see DESIGN.md, SLA semantics.
PAUSING_STATUSES = frozenset({Status.PENDING, Status.RESOLVED})
# Statuses in which the ticket still needs work and appears in the open queues.
ACTIVE_STATUSES = frozenset({Status.OPEN, Status.PENDING})


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def next_statuses(current: str) -> list[str]:
    """The statuses a ticket may move to next, in lifecycle order."""
    allowed = ALLOWED_TRANSITIONS.get(current, frozenset())
    return [status for status in Status.values if status in allowed]
