"""The report figures computed the plain, slow way: every clock, entry, event and ticket
loaded into Python and walked with loops, one definition at a time, as docs/reports.md
words them. The exactness tests compare reports.figures with these.

Nothing here uses reports.figures or tickets.selectors.measures: only the models, and
tickets.access for who may see which department (the figures' scope rule).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from tickets import access
from tickets.models import SLAClock, ThreadEntry, Ticket, TicketEvent

ACTIVE = {"open", "pending"}
FINISHED = {"resolved", "closed"}
KINDS = ("first_response", "next_response", "resolution")
DIMENSIONS = {
    "department": "department_id",
    "help_topic": "help_topic_id",
    "priority": "priority",
    "agent": "assignee_id",
}


def percentile(values, fraction):
    if not values:
        return None
    values = sorted(values)
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def minutes(start, end) -> float:
    return (end - start).total_seconds() / 60


@dataclass
class World:
    """Everything in the database, loaded once."""

    tickets: dict[int, Ticket] = field(default_factory=dict)
    clocks: list[SLAClock] = field(default_factory=list)
    events: dict[int, list[TicketEvent]] = field(default_factory=lambda: defaultdict(list))
    replies: dict[int, list] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls) -> World:
        world = cls()
        world.tickets = {t.pk: t for t in Ticket.objects.all()}
        world.clocks = list(SLAClock.objects.all())
        for event in TicketEvent.objects.all():
            world.events[event.ticket_id].append(event)
        for events in world.events.values():
            events.sort(key=lambda e: (e.created_at, e.pk))
        for entry in ThreadEntry.objects.all():
            if entry.kind == "reply":
                world.replies[entry.ticket_id].append(entry.created_at)
        return world

    # Which tickets --------------------------------------------------------------------

    def in_scope(self, ticket: Ticket, user, filters) -> bool:
        if ticket.department_id not in access.report_department_ids(user):
            return False
        checks = {
            "department": (filters.department, ticket.department_id),
            "help_topic": (filters.help_topic, ticket.help_topic_id),
            "priority": (filters.priority, ticket.priority),
            "agent": (filters.agent, ticket.assignee_id),
            "channel": (filters.channel, ticket.source),
        }
        for wanted, actual in checks.values():
            if wanted is None:
                continue
            if wanted == "none":
                if actual is not None:
                    return False
            elif actual != wanted:
                return False
        return True

    def scope(self, user, filters) -> list[Ticket]:
        return [t for t in self.tickets.values() if self.in_scope(t, user, filters)]

    # Definitions ----------------------------------------------------------------------

    def resolutions(self, ticket_id) -> list:
        return [e.created_at for e in self.resolution_events(ticket_id)]

    def resolution_events(self, ticket_id) -> list[TicketEvent]:
        return [
            e
            for e in self.events[ticket_id]
            if e.kind == "status_changed"
            and e.data.get("from", {}).get("id") in ACTIVE
            and e.data.get("to", {}).get("id") in FINISHED
        ]

    def reopens(self, ticket_id) -> list[TicketEvent]:
        return [e for e in self.events[ticket_id] if e.kind == "reopened"]

    def status_at(self, ticket_id, instant) -> str | None:
        status = None
        for event in self.events[ticket_id]:
            if event.created_at >= instant:
                break
            if event.kind in ("created", "status_changed", "reopened"):
                status = event.data["to"]["id"]
        return status

    def counted(self, clock: SLAClock) -> bool:
        if clock.merged_at is not None:  # its ticket is merged into another
            return False
        return not any(
            other.ticket_id == clock.ticket_id
            and other.kind == clock.kind
            and other.started_at == clock.started_at
            and other.pk > clock.pk
            for other in self.clocks
        )

    @staticmethod
    def outcome(clock: SLAClock) -> str | None:
        if clock.breached_at is not None:
            return "breached"
        if clock.met_at is not None:
            if clock.business_minutes_taken > clock.target_minutes:
                return "breached"
            return "achieved"
        return None

    @staticmethod
    def completed_at(clock: SLAClock):
        return clock.breached_at or clock.met_at

    # Figures, per group ---------------------------------------------------------------

    def figures(self, *, user, filters, start, end) -> dict[tuple, dict]:
        """Every group's figures, shaped as tests/reports/compare.py shapes the report's."""
        return {
            key: {
                "flow": self.flow(members, start, end),
                "sla": self.sla(members, start, end),
                "first_response": self.first_response(members, start, end),
                "resolution": self.resolution(members, start, end),
                "first_resolution": self.first_resolution(members, start, end),
            }
            for key, members in self.groups(self.scope(user, filters)).items()
        }

    def days(self, *, user, filters, days) -> list[dict]:
        tickets = self.scope(user, filters)
        return [self.day(tickets, day.start, day.end) for day in days]

    def groups(self, tickets: list[Ticket]) -> dict[tuple, list[Ticket]]:
        groups = {("total", None): list(tickets)}
        for name, attribute in DIMENSIONS.items():
            for ticket in tickets:
                groups.setdefault((name, getattr(ticket, attribute)), []).append(ticket)
        return groups

    def sla(self, tickets, start, end) -> dict[str, dict]:
        ids = {t.pk for t in tickets}
        figures = {}
        for kind in KINDS:
            achieved, breached = [], []
            for clock in self.clocks:
                if clock.ticket_id not in ids or clock.kind != kind or not self.counted(clock):
                    continue
                outcome = self.outcome(clock)
                if outcome is None or not (start <= self.completed_at(clock) < end):
                    continue
                (achieved if outcome == "achieved" else breached).append(clock)
            figures[kind] = {
                "achieved": len(achieved),
                "breached": len(breached),
                "achieved_tickets": len({c.ticket_id for c in achieved}),
                "breached_tickets": len({c.ticket_id for c in breached}),
                "completed_tickets": len({c.ticket_id for c in achieved + breached}),
                "breached_open_tickets": len(
                    {c.ticket_id for c in breached if self.tickets[c.ticket_id].status in ACTIVE}
                ),
            }
        return figures

    def met_minutes(self, ticket_id, kind):
        met = [c for c in self.clocks if c.ticket_id == ticket_id and c.kind == kind and c.met_at]
        assert len(met) <= 1, "a ticket has at most one met clock of this kind"
        return met[0].business_minutes_taken if met else None

    def first_response(self, tickets, start, end) -> dict:
        business, calendar, measured = [], [], 0
        for ticket in tickets:
            replies = self.replies[ticket.pk]
            if not replies or not (start <= min(replies) < end):
                continue
            measured += 1
            calendar.append(minutes(ticket.created_at, min(replies)))
            value = self.met_minutes(ticket.pk, "first_response")
            if value is not None:
                business.append(value)
        return _times(measured, business, calendar)

    def resolution(self, tickets, start, end) -> dict:
        business, calendar, measured = [], [], 0
        for ticket in tickets:
            times = self.resolutions(ticket.pk)
            if ticket.status not in FINISHED or not times or not (start <= max(times) < end):
                continue
            measured += 1
            calendar.append(minutes(ticket.created_at, max(times)))
            value = self.met_minutes(ticket.pk, "resolution")
            if value is not None:
                business.append(value)
        return _times(measured, business, calendar)

    def first_resolution(self, tickets, start, end) -> dict:
        calendar = []
        for ticket in tickets:
            times = self.resolutions(ticket.pk)
            if times and start <= min(times) < end:
                calendar.append(minutes(ticket.created_at, min(times)))
        return _times(len(calendar), [], calendar)

    def flow(self, tickets, start, end) -> dict:
        created = [t for t in tickets if start <= t.created_at < end]
        resolved, reopened_after = set(), set()
        for ticket in tickets:
            for event in self.resolution_events(ticket.pk):
                if not (start <= event.created_at < end):
                    continue
                resolved.add(ticket.pk)
                if any(
                    (r.created_at, r.pk) > (event.created_at, event.pk)
                    for r in self.reopens(ticket.pk)
                ):
                    reopened_after.add(ticket.pk)
        return {
            "created": len(created),
            "resolved": len(resolved),
            "reopened_after": len(reopened_after),
        }

    def day(self, tickets, start, end) -> dict:
        figures = self.flow(tickets, start, end)
        return {
            "created": figures["created"],
            "resolved": figures["resolved"],
            "reopened": len(
                {t.pk for t in tickets for r in self.reopens(t.pk) if start <= r.created_at < end}
            ),
            "backlog": sum(1 for t in tickets if self.status_at(t.pk, end) in ACTIVE),
        }

    def open_now(self, tickets) -> int:
        return sum(1 for t in tickets if t.status in ACTIVE)

    def due_soon(self, tickets, now, minutes_ahead=60) -> int:
        limit = now + datetime.timedelta(minutes=minutes_ahead)
        return sum(1 for t in tickets if t.next_due_at and now < t.next_due_at <= limit)


def _times(measured, business, calendar) -> dict:
    def stats(values):
        return {
            "n": len(values),
            "median": percentile(values, 0.5),
            "p90": percentile(values, 0.9),
            "mean": sum(values) / len(values) if values else None,
        }

    return {"tickets": measured, "business": stats(business), "calendar": stats(calendar)}
