"""SLA clocks for a ticket brought over from another help desk, worked out from its
history under the plan it was mapped to, with the same arithmetic as live tickets
(Policy.deadlines, business minutes between two times).

- first response runs from creation to the first agent reply: met then, stopped if the
  ticket was closed unanswered, still running if it is open and unanswered;
- resolution runs from creation to the time the ticket was resolved or closed: met then,
  still running while the ticket is open;
- next response: an open ticket whose requester wrote after the last agent reply owes
  one, from that message.

A deadline already passed is marked as warned and breached as it happened (at the
deadline), so reports count it, and the sweep, which only acts on unmarked clocks, sends
no warning, breach or escalation for history.
"""

from dataclasses import dataclass
from datetime import datetime

from tickets.clocks.policy import Policy
from tickets.models import ACTIVE_STATUSES, ClockKind, SLAClock


@dataclass(frozen=True)
class History:
    created_at: datetime
    status: str
    replies: list[datetime]  # agent replies, in order
    messages: list[datetime]  # requester messages, in order
    ended_at: datetime | None  # when it was resolved or closed


def _clock(
    policy: Policy, kind: str, started_at: datetime, now: datetime, *, met=None, stopped=None
):
    target = policy.target(kind)
    if not target:
        return None
    warn_at, due_at = policy.deadlines(started_at=started_at, target=target, paused_minutes=0)
    clock = SLAClock(
        kind=kind,
        target_minutes=target,
        started_at=started_at,
        warn_at=warn_at,
        due_at=due_at,
        met_at=met,
        stopped_at=stopped,
    )
    if met is not None:
        clock.business_minutes_taken = max(0.0, policy.minutes_between(started_at, met))
    until = met or stopped or now
    clock.warned_at = warn_at if warn_at <= until else None
    clock.breached_at = due_at if due_at <= until else None
    return clock


def clocks_for_imported_ticket(
    *, policy: Policy | None, history: History, now: datetime
) -> list[SLAClock]:
    """The ticket's clocks (unsaved, without their ticket)."""
    if policy is None:
        return []
    active = history.status in ACTIVE_STATUSES
    ended = None if active else (history.ended_at or now)
    first_reply = history.replies[0] if history.replies else None
    clocks = [
        _clock(
            policy,
            ClockKind.FIRST_RESPONSE,
            history.created_at,
            now,
            met=first_reply,
            stopped=None if first_reply or active else ended,
        ),
        _clock(policy, ClockKind.RESOLUTION, history.created_at, now, met=ended),
    ]
    if active and first_reply is not None:
        last_reply = history.replies[-1]
        waiting = [at for at in history.messages if at > last_reply]
        if waiting:
            clocks.append(_clock(policy, ClockKind.NEXT_RESPONSE, waiting[0], now))
    return [clock for clock in clocks if clock is not None]


def next_deadlines(clocks: list[SLAClock]) -> tuple[datetime | None, datetime | None]:
    """The ticket's next warning and due times: its running clocks' earliest."""
    running = [
        c for c in clocks if c.met_at is None and c.stopped_at is None and c.paused_at is None
    ]
    return (
        min((c.warn_at for c in running), default=None),
        min((c.due_at for c in running), default=None),
    )
