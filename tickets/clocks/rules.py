"""Each ticket's SLA clocks: started, paused, resumed, met and recomputed.

These functions are called by the ticket services inside their transaction, on a ticket
row the service has locked, so the clocks change together with what caused them. The
sweep (tickets/clocks/sweep.py) only ever marks running clocks warned or breached.

Rules (DESIGN.md, SLA semantics):
- first response runs from creation until the first agent reply and never pauses;
- next response runs from a requester message (once the first response is met) until the
  next agent reply; resolution runs from creation until the ticket is resolved;
- resolution and next response pause while pending (if the plan says so) and while
  resolved; the business minutes spent paused push the due and warning times later;
- a reopened ticket's resolution clock resumes; closing stops everything still live.
"""

from dataclasses import dataclass
from datetime import datetime

from sla.models import SLAPlan
from tickets.clocks.policy import Policy, policy_for, policy_of
from tickets.models import (
    ACTIVE_STATUSES,
    LIVE_CLOCK,
    RUNNING_CLOCK,
    ClockKind,
    SLAClock,
    Status,
    Ticket,
)

PAUSABLE = frozenset({ClockKind.NEXT_RESPONSE, ClockKind.RESOLUTION})


def _live_clocks(ticket: Ticket) -> dict[str, SLAClock]:
    clocks = SLAClock.objects.filter(LIVE_CLOCK, ticket=ticket).select_for_update()
    return {clock.kind: clock for clock in clocks}


def _start(ticket: Ticket, policy: Policy, kind: str, now: datetime) -> SLAClock | None:
    target = policy.target(kind)
    if not target:
        return None
    warn_at, due_at = policy.deadlines(started_at=now, target=target, paused_minutes=0)
    return SLAClock.objects.create(
        ticket=ticket,
        kind=kind,
        target_minutes=target,
        started_at=now,
        warn_at=warn_at,
        due_at=due_at,
    )


def _meet(clock: SLAClock, policy: Policy | None, now: datetime) -> None:
    paused = clock.paused_minutes
    if clock.paused_at is not None and policy is not None:
        paused += policy.minutes_between(clock.paused_at, now)
    elapsed = policy.minutes_between(clock.started_at, now) if policy else 0.0
    clock.met_at = now
    clock.business_minutes_taken = max(0.0, elapsed - paused)
    clock.save(update_fields=["met_at", "business_minutes_taken"])


def _stop(clock: SLAClock, now: datetime) -> None:
    clock.stopped_at = now
    clock.save(update_fields=["stopped_at"])


def _pause(clock: SLAClock, now: datetime) -> None:
    if clock.paused_at is None:
        clock.paused_at = now
        clock.save(update_fields=["paused_at"])


def _resume(clock: SLAClock, policy: Policy | None, now: datetime) -> None:
    if clock.paused_at is None:
        return
    if policy is not None:
        clock.paused_minutes += policy.minutes_between(clock.paused_at, now)
        clock.warn_at, clock.due_at = policy.deadlines(
            started_at=clock.started_at,
            target=clock.target_minutes,
            paused_minutes=clock.paused_minutes,
        )
    clock.paused_at = None
    clock.save(update_fields=["paused_minutes", "warn_at", "due_at", "paused_at"])


def _should_pause(kind: str, status: str, policy: Policy | None) -> bool:
    if kind not in PAUSABLE:
        return False
    if status == Status.RESOLVED:
        return True
    return status == Status.PENDING and policy is not None and policy.plan.pause_when_pending


# Called by the services ----------------------------------------------------------------


@dataclass
class NewClocks:
    """The clocks of a ticket about to be created, and the SLA fields they give it."""

    clocks: list[SLAClock]
    next_warn_at: datetime | None
    next_due_at: datetime | None

    def save_for(self, ticket: Ticket) -> None:
        for clock in self.clocks:
            clock.ticket = ticket
        SLAClock.objects.bulk_create(self.clocks)


def clocks_for_new_ticket(*, plan: SLAPlan | None, now: datetime) -> NewClocks:
    """A new ticket's first-response and resolution clocks, worked out before the ticket row
    exists, so intake inserts the ticket with its deadlines and the clocks in one statement
    each (the hot path of the web form) instead of inserting, re-reading and updating."""
    policy = policy_of(plan)
    clocks = []
    for kind in (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION):
        target = policy.target(kind) if policy else None
        if not target:
            continue
        warn_at, due_at = policy.deadlines(started_at=now, target=target, paused_minutes=0)
        clocks.append(
            SLAClock(
                kind=kind, target_minutes=target, started_at=now, warn_at=warn_at, due_at=due_at
            )
        )
    return NewClocks(
        clocks=clocks,
        next_warn_at=min((clock.warn_at for clock in clocks), default=None),
        next_due_at=min((clock.due_at for clock in clocks), default=None),
    )


def clocks_on_agent_reply(ticket: Ticket, *, now: datetime) -> None:
    """An agent answered: first and next response are met."""
    live = _live_clocks(ticket)
    responses = [live[k] for k in (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE) if k in live]
    if not responses:
        return
    policy = policy_for(ticket.sla_plan_id)
    for clock in responses:
        _meet(clock, policy, now)
    refresh_ticket_sla(ticket)


def clocks_on_requester_message(ticket: Ticket, *, now: datetime) -> None:
    """The requester wrote again: the next agent reply is now owed, on the clock."""
    live = _live_clocks(ticket)
    if ClockKind.FIRST_RESPONSE in live or ClockKind.NEXT_RESPONSE in live:
        return  # a response is already owed and measured
    policy = policy_for(ticket.sla_plan_id)
    if policy is None:
        return
    clock = _start(ticket, policy, ClockKind.NEXT_RESPONSE, now)
    if clock is not None and _should_pause(clock.kind, ticket.status, policy):
        _pause(clock, now)
    refresh_ticket_sla(ticket)


def clocks_on_status_change(ticket: Ticket, *, old: str, now: datetime) -> None:
    """Pause, resume, meet or stop clocks for the ticket's new status."""
    new = ticket.status
    live = _live_clocks(ticket)
    policy = policy_for(ticket.sla_plan_id)
    if new == Status.CLOSED:
        for clock in live.values():
            if clock.kind == ClockKind.RESOLUTION:
                _meet(clock, policy, now)
            else:
                _stop(clock, now)
    else:
        if old == Status.RESOLVED and new == Status.OPEN:
            # Reopened: the resolution met at resolve time is live again, and the time
            # spent resolved counts as paused.
            clock = (
                SLAClock.objects.select_for_update()
                .filter(ticket=ticket, kind=ClockKind.RESOLUTION, stopped_at__isnull=True)
                .exclude(met_at__isnull=True)
                .order_by("-met_at")
                .first()
            )
            if clock is not None and ClockKind.RESOLUTION not in live:
                clock.met_at = None
                clock.business_minutes_taken = None
                clock.save(update_fields=["met_at", "business_minutes_taken"])
                live[clock.kind] = clock
        if new == Status.RESOLVED:
            first = live.pop(ClockKind.FIRST_RESPONSE, None)
            if first is not None:
                # Resolving answers the requester; nothing is left to respond to.
                _stop(first, now)
        for clock in live.values():
            if _should_pause(clock.kind, new, policy):
                _pause(clock, now)
            else:
                _resume(clock, policy, now)
        if new == Status.RESOLVED and ClockKind.RESOLUTION in live:
            clock = live[ClockKind.RESOLUTION]
            _meet(clock, policy, now)
    refresh_ticket_sla(ticket)


def clocks_on_plan_change(ticket: Ticket, *, now: datetime) -> None:
    """A new plan (or an edited one): replace every live clock with one on the new terms.

    The replacement keeps the old clock's start and paused time, so the ticket is measured
    as if it had always been on this plan. A clock paused while pending stays paused even if
    the new plan does not pause when pending; it follows the new rule from the ticket's
    next status change. Old clocks are stopped rather than edited: each
    clock warns and breaches at most once, and a new deadline deserves its own warning.
    """
    policy = policy_for(ticket.sla_plan_id)
    live = _live_clocks(ticket)
    for kind, clock in list(live.items()):
        target = policy.target(kind) if policy else None
        if target:
            warn_at, due_at = policy.deadlines(
                started_at=clock.started_at, target=target, paused_minutes=clock.paused_minutes
            )
            if (target, warn_at, due_at) == (clock.target_minutes, clock.warn_at, clock.due_at):
                continue  # same terms: the clock stands as it is
        _stop(clock, now)
        del live[kind]
        if not target:
            continue
        replacement = SLAClock.objects.create(
            ticket=ticket,
            kind=kind,
            target_minutes=target,
            started_at=clock.started_at,
            paused_at=clock.paused_at,
            paused_minutes=clock.paused_minutes,
            warn_at=warn_at,
            due_at=due_at,
            # A deadline that had already passed stays passed: no second warning or breach
            # for what the ticket already went through.
            warned_at=clock.warned_at if clock.warned_at and warn_at <= now else None,
            breached_at=clock.breached_at if clock.breached_at and due_at <= now else None,
        )
        live[kind] = replacement
    if policy is not None and ticket.status in ACTIVE_STATUSES:
        # Targets the old plan lacked start now, from the ticket's creation.
        for kind in (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION):
            if kind not in live and not _ever_met(ticket, kind) and policy.target(kind):
                warn_at, due_at = policy.deadlines(
                    started_at=ticket.created_at, target=policy.target(kind), paused_minutes=0
                )
                SLAClock.objects.create(
                    ticket=ticket,
                    kind=kind,
                    target_minutes=policy.target(kind),
                    started_at=ticket.created_at,
                    warn_at=warn_at,
                    due_at=due_at,
                )
    refresh_ticket_sla(ticket)


def _ever_met(ticket: Ticket, kind: str) -> bool:
    return SLAClock.objects.filter(ticket=ticket, kind=kind, met_at__isnull=False).exists()


def refresh_ticket_sla(ticket: Ticket) -> None:
    """Store the ticket's next warning and due times, from its running clocks."""
    running = SLAClock.objects.filter(RUNNING_CLOCK, ticket=ticket).values_list(
        "warn_at", "due_at"
    )
    warn_times, due_times = zip(*running, strict=True) if running else ((), ())
    next_warn_at, next_due_at = min(warn_times, default=None), min(due_times, default=None)
    if (ticket.next_warn_at, ticket.next_due_at) != (next_warn_at, next_due_at):
        ticket.next_warn_at, ticket.next_due_at = next_warn_at, next_due_at
        ticket.save(update_fields=["next_warn_at", "next_due_at"])
