"""Reads for the admin: the dry run (the tickets a rule would match now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from automation.conditions import PERIOD, Calendars, business_hours_hold, rule_tickets
from automation.models import Rule, RuleRun
from tickets.models import Status, Ticket

DRY_RUN_LIMIT = 200
# The tickets a dry run looks at: every one still in play (a rule on resolved tickets,
# closing them, has something to show).
DRY_RUN_STATUSES = (Status.OPEN, Status.PENDING, Status.RESOLVED)


@dataclass(frozen=True)
class DryRunRow:
    ticket: Ticket
    already_acted: bool  # a time rule has acted on it in its current period


@dataclass(frozen=True)
class DryRun:
    rule: Rule
    rows: list[DryRunRow]
    more: bool  # there are more than DRY_RUN_LIMIT
    at: datetime


def rule_dry_run(*, rule: Rule, now: datetime | None = None) -> DryRun:
    """The tickets in play that the rule's conditions pass now, newest first: for an event
    rule, those it would act on if its event happened now; for a time rule, those its next
    pass would act on (or has acted on already in this period)."""
    now = now or timezone.now()
    conditions = list(rule.conditions.order_by("id"))
    tickets = (
        rule_tickets(rule, conditions, now=now)
        .filter(status__in=DRY_RUN_STATUSES)
        .select_related("department", "requester", "assignee__user")
        .order_by("-created_at", "-id")
    )
    if rule.is_time_based:
        done = RuleRun.objects.filter(
            rule=rule, ticket=OuterRef("pk"), period_start=OuterRef(PERIOD)
        )
        tickets = tickets.annotate(automation_acted=Exists(done))
    calendars = Calendars()
    rows = []
    for ticket in tickets.iterator(chunk_size=DRY_RUN_LIMIT):
        if not business_hours_hold(ticket, conditions, now=now, calendars=calendars):
            continue
        if len(rows) == DRY_RUN_LIMIT:
            return DryRun(rule=rule, rows=rows, more=True, at=now)
        rows.append(DryRunRow(ticket, bool(getattr(ticket, "automation_acted", False))))
    return DryRun(rule=rule, rows=rows, more=False, at=now)
