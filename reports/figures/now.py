"""Figures about now rather than a period: tickets open or pending, and tickets whose
earliest running SLA clock falls due within the hour."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count

from reports.figures.scope import ReportFilters, ticket_scope_q
from tickets.models import Ticket
from tickets.selectors import measures


@dataclass(frozen=True)
class NowFigures:
    open: int = 0  # open or pending
    due_soon: int = 0  # a running clock falls due within measures.DUE_SOON_MINUTES


def report_now(*, user, filters: ReportFilters, now: datetime.datetime) -> NowFigures:
    """One query over the indexed status and deadline columns."""
    counts = Ticket.objects.filter(ticket_scope_q(user=user, filters=filters)).aggregate(
        open=Count("pk", filter=measures.is_active_q()),
        due_soon=Count("pk", filter=measures.due_soon_q(now)),
    )
    return NowFigures(**counts)
