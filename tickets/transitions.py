"""The ticket lifecycle and its actions as one table.

Each action says what it is called, how its button looks, from which statuses it may be
taken, who may take it and, for a status change, where it leads. The services check every
action against this table; the ticket page draws its buttons from it, the queue its bulk
bar, and the allowed moves between statuses follow from it, so none of them can disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tickets.models import ACTIVE_STATUSES, EventKind, Status

# Statuses in which SLA clocks that may pause are paused; see DESIGN.md, SLA semantics.
PAUSING_STATUSES = frozenset({Status.PENDING, Status.RESOLVED})
# Every status but closed, which is final: nothing more is done to a closed ticket.
WORKABLE_STATUSES = frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED})
ALL_STATUSES = frozenset(Status.values)


class Who(enum.Enum):
    """Who may take an action, besides the system (which may take every one it is given)."""

    AGENT = "an agent of the ticket's department"
    MANAGER = "a manager of the ticket's department"
    PARTICIPANT = "the requester, or an agent of the ticket's department"


# What the service says to someone the table does not allow.
NOT_PERMITTED = {
    Who.AGENT: "You do not work in this ticket's department.",
    Who.MANAGER: "Only a manager of this department can assign its tickets.",
    Who.PARTICIPANT: "You cannot change this ticket.",
}


@dataclass(frozen=True)
class Action:
    name: str  # also the last part of its URL on the ticket page
    label: str  # its button
    style: str  # the button's Bootstrap class
    allowed_from: frozenset[str]
    who: Who
    done: str  # what the page says once it is done
    target: str | None = None  # for a status change: the status it leads to
    event: str = EventKind.STATUS_CHANGED  # for a status change: the event it records
    only_unassigned: bool = False
    bulk_label: str = ""  # offered in the queue's bulk bar under this label

    def allows(self, status: str) -> bool:
        return status in self.allowed_from


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "claim",
            "Claim",
            "btn-success",
            frozenset(ACTIVE_STATUSES),
            Who.AGENT,
            "You claimed the ticket.",
            only_unassigned=True,
            bulk_label="Claim",
        ),
        Action(
            "pending",
            "Set pending",
            "btn-outline-primary",
            frozenset({Status.OPEN}),
            Who.AGENT,
            "Ticket set to pending.",
            target=Status.PENDING,
        ),
        Action(
            "open",
            "Back to open",
            "btn-outline-primary",
            frozenset({Status.PENDING}),
            Who.AGENT,
            "Ticket is open again.",
            target=Status.OPEN,
        ),
        Action(
            "reopen",
            "Reopen",
            "btn-outline-primary",
            frozenset({Status.RESOLVED}),
            Who.AGENT,
            "Ticket reopened.",
            target=Status.OPEN,
            event=EventKind.REOPENED,
        ),
        Action(
            "resolve",
            "Resolve",
            "btn-success",
            frozenset(ACTIVE_STATUSES),
            Who.PARTICIPANT,
            "Ticket resolved.",
            target=Status.RESOLVED,
        ),
        Action(
            "close",
            "Close",
            "btn-outline-dark",
            WORKABLE_STATUSES,
            Who.AGENT,
            "Ticket closed.",
            target=Status.CLOSED,
        ),
        Action(
            "assign",
            "Assign",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.MANAGER,
            "Assignment saved.",
            bulk_label="Assign to…",
        ),
        Action(
            "priority",
            "Set priority",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.AGENT,
            "Priority changed.",
            bulk_label="Set priority…",
        ),
        Action(
            "plan",
            "Set plan",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.AGENT,
            "SLA plan changed; deadlines recomputed.",
        ),
        Action(
            "transfer",
            "Transfer",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.AGENT,
            "Ticket transferred.",
            bulk_label="Transfer to…",
        ),
        Action(
            "fields",
            "Save fields",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.AGENT,
            "Fields saved.",
        ),
        Action(
            "add-collaborator",
            "Add",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.AGENT,
            "Collaborator added: they get the replies by email, and may answer them.",
        ),
        Action(
            "remove-collaborator",
            "Remove",
            "btn-outline-secondary",
            ALL_STATUSES,
            Who.AGENT,
            "Collaborator removed.",
        ),
        Action(
            "add-tag",
            "Add tag",
            "btn-outline-primary",
            ALL_STATUSES,
            Who.AGENT,
            "Tag added.",
            bulk_label="Add tag…",
        ),
        Action(
            "remove-tag",
            "Remove tag",
            "btn-outline-secondary",
            ALL_STATUSES,
            Who.AGENT,
            "Tag removed.",
            bulk_label="Remove tag…",
        ),
        Action(
            "log-time",
            "Log time",
            "btn-outline-primary",
            ALL_STATUSES,
            Who.AGENT,
            "Time logged.",
        ),
        Action(
            "resume-mail",
            "Send mail again",
            "btn-outline-primary",
            ALL_STATUSES,
            Who.AGENT,
            "Mail to that address is sent again.",
        ),
        Action(
            "merge",
            "Merge",
            "btn-outline-primary",
            WORKABLE_STATUSES,
            Who.AGENT,
            "Tickets merged: their threads continue here.",
            bulk_label="Merge into…",
        ),
        Action(
            "undo-merge",
            "Undo merge",
            "btn-outline-secondary",
            ALL_STATUSES,
            Who.AGENT,
            "Merge undone: the ticket is back as it was, with its thread.",
        ),
        Action(
            "link",
            "Link",
            "btn-outline-primary",
            ALL_STATUSES,
            Who.AGENT,
            "Tickets linked.",
        ),
        Action(
            "unlink",
            "Remove",
            "btn-outline-secondary",
            ALL_STATUSES,
            Who.AGENT,
            "Link removed.",
        ),
        Action(
            "resolve-children",
            "Resolve open children",
            "btn-outline-success",
            frozenset({Status.RESOLVED, Status.CLOSED}),
            Who.AGENT,
            "Open child tickets resolved.",
        ),
        Action(
            "revoke-link",
            "Revoke private link",
            "btn-outline-danger",
            ALL_STATUSES,
            Who.AGENT,
            "Private link revoked: the old link no longer opens the ticket, and the requester "
            "was emailed a new one.",
        ),
    ]
}

# The status changes, in the order the ticket page shows their buttons.
STATUS_ACTIONS: tuple[Action, ...] = tuple(a for a in ACTIONS.values() if a.target is not None)

# Which status may follow which, as the status actions allow. `closed` is final, as
# DESIGN.md says: a closed ticket is never reopened; the requester opens a new one.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(a.target for a in STATUS_ACTIONS if a.allows(status))
    for status in Status.values
}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def next_statuses(current: str) -> list[str]:
    """The statuses a ticket may move to next, in lifecycle order."""
    allowed = ALLOWED_TRANSITIONS.get(current, frozenset())
    return [status for status in Status.values if status in allowed]


def status_action_for(current: str, target: str) -> Action | None:
    """The action that moves a ticket from `current` to `target`, if any does."""
    return next((a for a in STATUS_ACTIONS if a.target == target and a.allows(current)), None)


def not_allowed_message(action: Action, *, number: int, status: str) -> str:
    """Why `action` cannot be taken on ticket `number` in `status`."""
    current = Status(status).label.lower()
    if action.target is None:
        return f"Ticket #{number} is {current}."
    if action.target == status:
        return f"Ticket #{number} is already {current}."
    if can_transition(status, action.target):  # another action leads there
        return f"{action.label} is not possible: ticket #{number} is {current}."
    return f"Ticket #{number} cannot go from {current} to {Status(action.target).label.lower()}."
