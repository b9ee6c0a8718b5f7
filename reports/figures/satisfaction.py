"""The dashboard's satisfaction and help-centre cards: CSAT of the ratings given in the
period, of the tickets the report covers (its scope and filters, as the tickets are now,
reports.figures.scope); and the help centre's deflection funnel for the period (searches,
articles opened, readers who left without a ticket), which belongs to no department and
so ignores the filters. One query each, from the selectors the satisfaction and
knowledge-base pages use."""

from __future__ import annotations

import datetime

from kb.selectors import Funnel, deflection_funnel
from reports.figures.periods import Period
from reports.figures.scope import ReportFilters, ticket_scope_q
from tickets.models import SatisfactionSurvey
from tickets.selectors.satisfaction import BAD, GOOD, CsatRow


def report_satisfaction(*, user, period: Period, filters: ReportFilters) -> CsatRow:
    """Good and bad ratings given in the period; CSAT is good / (good + bad)."""
    rated = (
        SatisfactionSurvey.objects.filter(
            ticket_scope_q(user=user, filters=filters, prefix="ticket__"),
            rated_at__gte=period.start,
            rated_at__lt=period.end,
        )
        .exclude(rating="")
        .order_by()
    )
    total = rated.aggregate(good=GOOD, bad=BAD)
    return CsatRow("All", total["good"], total["bad"])


def report_help_centre(*, period: Period, now: datetime.datetime) -> Funnel:
    return deflection_funnel(since=period.start, until=min(period.end, now), now=now)
