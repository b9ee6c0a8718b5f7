"""The sets of tickets behind the reports' figures, each defined once (docs/reports.md).

The reports (reports/figures) count and aggregate over these sets, and the queue filters
by them (`QueueFilters.ticket_set`), so a number on the dashboard and the queue it links to
count the same tickets by construction. Everything here is a plain read of the SLA clocks,
the thread and the structured events (tickets/events.py); nothing is stored.

Definitions (the glossary of the dashboard says the same in words):

- A *resolution* is a move from open or pending to resolved or closed (closing a resolved
  ticket is not a second resolution). A *reopen* is the `reopened` event (resolved to open).
- A *counted* SLA clock is one not replaced by a plan change: a replacement keeps the kind
  and start of the clock it replaces, so of clocks sharing (ticket, kind, start) the newest
  counts. A counted clock is *breached* if the sweep marked it (`breached_at`) or it was met
  after more business minutes than its target (a late answer the sweep had not seen yet);
  *achieved* if met and not breached; otherwise (running, paused, or stopped unmet) it has
  no outcome yet and counts in neither. It *completed* at `breached_at` if it has one, else
  at `met_at`. A reopened ticket's resolution clock is measured again, so it counts once, at
  its latest completion.
- A ticket's status at an instant is the `to` of its last status event (created, status
  changed, reopened) before that instant, in (time, id) order.

Tickets are deleted with their clocks and events (CASCADE), so a deleted ticket counts
nowhere. The clocks of a merged-away ticket (SLAClock.merged_at, decision 0037) are not
counted: they count neither as achieved nor as breached until the merge is undone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    TextChoices,
    Value,
    When,
)

from tickets.models import (
    ACTIVE_STATUSES,
    ClockKind,
    EntryKind,
    EventKind,
    SLAClock,
    Status,
    ThreadEntry,
    TicketEvent,
)

ACTIVE = [str(s) for s in ACTIVE_STATUSES]
FINISHED = [Status.RESOLVED.value, Status.CLOSED.value]
STATUS_EVENT_KINDS = [EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.REOPENED]
# "Breaching within the hour" on the dashboard.
DUE_SOON_MINUTES = 60


class Measure(TextChoices):
    """Which set of tickets: the name a report link carries to the queue."""

    CREATED = "created", "Created"
    FIRST_REPLY = "first_reply", "First agent reply"
    RESOLVED = "resolved", "Resolved"
    FIRST_RESOLVED = "first_resolved", "First resolved"
    LATEST_RESOLVED = "latest_resolved", "Resolved (latest resolution), still resolved or closed"
    REOPENED = "reopened", "Reopened"
    RESOLVED_REOPENED = "resolved_reopened", "Resolved, then reopened"
    SLA_COMPLETED = "sla_completed", "SLA met or breached"
    SLA_ACHIEVED = "sla_achieved", "SLA met"
    SLA_BREACHED = "sla_breached", "SLA breached"
    SLA_BREACHED_OPEN = "sla_breached_open", "SLA breached, ticket still open"
    OPEN_AT = "open_at", "Open or pending at"
    OPEN_NOW = "open_now", "Open or pending now"
    DUE_SOON = "due_soon", "Breaching within the hour"


# Sets that need a clock kind, and sets that need no dates (they are about now).
CLOCK_MEASURES = frozenset(
    {
        Measure.SLA_COMPLETED,
        Measure.SLA_ACHIEVED,
        Measure.SLA_BREACHED,
        Measure.SLA_BREACHED_OPEN,
    }
)
NOW_MEASURES = frozenset({Measure.OPEN_NOW, Measure.DUE_SOON})
# OPEN_AT is an instant: only its end counts.
INSTANT_MEASURES = frozenset({Measure.OPEN_AT})


@dataclass(frozen=True)
class TicketSet:
    """The tickets behind one figure: a measure over [start, end) (aware datetimes)."""

    measure: str
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    clock: str | None = None  # a ClockKind, for the SLA measures

    def __post_init__(self):
        if self.measure not in Measure.values:
            raise ValueError(f"Unknown measure {self.measure!r}")
        if self.measure in CLOCK_MEASURES and self.clock not in ClockKind.values:
            raise ValueError("An SLA measure needs a clock kind.")
        if self.measure in NOW_MEASURES:
            return
        if self.end is None or (self.measure not in INSTANT_MEASURES and self.start is None):
            raise ValueError("This measure needs its dates.")
        for moment in (self.start, self.end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("Report dates must be aware.")

    @property
    def label(self) -> str:
        label = Measure(self.measure).label
        if self.clock:
            label = f"{ClockKind(self.clock).label}: {label}"
        return label


# Building blocks --------------------------------------------------------------------------


def _after_outer() -> Q:
    """Rows later than the outer row in (time, id) order: ties broken by id, as frozen
    clocks in tests and one service writing two events at one instant make them."""
    return Q(created_at__gt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")
    )


def status_events() -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(kind__in=STATUS_EVENT_KINDS)


def resolution_events() -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(
        kind=EventKind.STATUS_CHANGED, data__from__id__in=ACTIVE, data__to__id__in=FINISHED
    )


def reopen_events() -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(kind=EventKind.REOPENED)


def reopened_later() -> Exists:
    """For an outer event of a ticket: a reopen of the same ticket came after it."""
    return Exists(reopen_events().filter(_after_outer(), ticket_id=OuterRef("ticket_id")))


def backlog_delta() -> Case:
    """For a status event: +1 if it brings the ticket into open/pending, -1 if it takes it
    out, 0 otherwise. Summed over a ticket's events before an instant: 1 if the ticket was
    open or pending then."""
    entering = Q(data__to__id__in=ACTIVE) & (
        Q(kind=EventKind.CREATED) | Q(data__from__id__in=FINISHED)
    )
    leaving = Q(data__from__id__in=ACTIVE) & Q(data__to__id__in=FINISHED)
    return Case(When(entering, then=Value(1)), When(leaving, then=Value(-1)), default=Value(0))


def first_replies() -> QuerySet[ThreadEntry]:
    """(ticket_id, at): each ticket's first agent reply. Internal notes never count."""
    return (
        ThreadEntry.objects.filter(kind=EntryKind.REPLY)
        .values("ticket_id")
        .annotate(at=Min("created_at"))
    )


BREACHED = Q(breached_at__isnull=False) | Q(
    met_at__isnull=False, business_minutes_taken__gt=F("target_minutes")
)
ACHIEVED = Q(breached_at__isnull=True, met_at__isnull=False) & Q(
    business_minutes_taken__lte=F("target_minutes")
)


def counted_clocks() -> QuerySet[SLAClock]:
    """SLA clocks not replaced by a plan change, with `outcome` ("achieved", "breached" or
    None) and `completed_at` (None while no outcome)."""
    replaced = SLAClock.objects.filter(
        ticket_id=OuterRef("ticket_id"),
        kind=OuterRef("kind"),
        started_at=OuterRef("started_at"),
        pk__gt=OuterRef("pk"),
    )
    return (
        SLAClock.objects.filter(~Exists(replaced), merged_at__isnull=True)
        .annotate(
            outcome=Case(
                When(BREACHED, then=Value("breached")),
                When(ACHIEVED, then=Value("achieved")),
                default=Value(None),
                output_field=CharField(),
            ),
            completed_at=Case(
                When(breached_at__isnull=False, then=F("breached_at")),
                default=F("met_at"),
                output_field=DateTimeField(),
            ),
        )
        .filter(outcome__isnull=False)
    )


def completed_clocks(*, kind: str | None, start, end) -> QuerySet[SLAClock]:
    """Counted clocks (of one kind, or all) that completed in [start, end)."""
    clocks = counted_clocks().filter(completed_at__gte=start, completed_at__lt=end)
    return clocks.filter(kind=kind) if kind else clocks


def is_active_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": ACTIVE})


def as_flag(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


def due_soon_q(now: datetime.datetime) -> Q:
    """A running clock falls due within DUE_SOON_MINUTES (not yet overdue)."""
    return Q(
        next_due_at__gt=now, next_due_at__lte=now + datetime.timedelta(minutes=DUE_SOON_MINUTES)
    )


# The sets ---------------------------------------------------------------------------------


def _in(rows) -> Q:
    return Q(pk__in=rows.values("ticket_id"))


def _open_at(end) -> Q:
    later = status_events().filter(
        _after_outer(), ticket_id=OuterRef("ticket_id"), created_at__lt=end
    )
    return _in(
        status_events().filter(created_at__lt=end, data__to__id__in=ACTIVE).filter(~Exists(later))
    )


def _sla(ticket_set: TicketSet) -> Q:
    clocks = completed_clocks(kind=ticket_set.clock, start=ticket_set.start, end=ticket_set.end)
    measure = ticket_set.measure
    if measure == Measure.SLA_ACHIEVED:
        clocks = clocks.filter(outcome="achieved")
    elif measure in (Measure.SLA_BREACHED, Measure.SLA_BREACHED_OPEN):
        clocks = clocks.filter(outcome="breached")
    q = _in(clocks)
    return q & is_active_q() if measure == Measure.SLA_BREACHED_OPEN else q


def ticket_set_q(ticket_set: TicketSet, *, now: datetime.datetime) -> Q:
    """The tickets of a set, as a filter on tickets."""
    measure, start, end = ticket_set.measure, ticket_set.start, ticket_set.end
    in_range = {"created_at__gte": start, "created_at__lt": end}
    at_in_range = {"at__gte": start, "at__lt": end}
    if measure == Measure.CREATED:
        return Q(**in_range)
    if measure == Measure.FIRST_REPLY:
        return _in(first_replies().filter(**at_in_range))
    if measure == Measure.RESOLVED:
        return _in(resolution_events().filter(**in_range))
    if measure == Measure.FIRST_RESOLVED:
        firsts = resolution_events().values("ticket_id").annotate(at=Min("created_at"))
        return _in(firsts.filter(**at_in_range))
    if measure == Measure.LATEST_RESOLVED:
        latest = resolution_events().values("ticket_id").annotate(at=Max("created_at"))
        return Q(status__in=FINISHED) & _in(latest.filter(**at_in_range))
    if measure == Measure.REOPENED:
        return _in(reopen_events().filter(**in_range))
    if measure == Measure.RESOLVED_REOPENED:
        return _in(resolution_events().filter(reopened_later(), **in_range))
    if measure in CLOCK_MEASURES:
        return _sla(ticket_set)
    if measure == Measure.OPEN_AT:
        return _open_at(end)
    if measure == Measure.OPEN_NOW:
        return is_active_q()
    if measure == Measure.DUE_SOON:
        return due_soon_q(now)
    raise ValueError(f"Unknown measure {measure!r}")  # pragma: no cover: __post_init__
