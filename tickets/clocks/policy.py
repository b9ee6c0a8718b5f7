"""An SLA plan ready for deadline arithmetic: its targets, and its calendar loaded once."""

from dataclasses import dataclass
from datetime import datetime

from sla.business_time import add_business_minutes, business_minutes_between
from sla.models import BusinessCalendar, SLAPlan
from tickets.models import ClockKind


@dataclass(frozen=True)
class Policy:
    """A plan's targets with its calendar loaded, ready for arithmetic without queries."""

    plan: SLAPlan
    calendar: BusinessCalendar | None

    def target(self, kind: str) -> int | None:
        return {
            ClockKind.FIRST_RESPONSE: self.plan.first_response_minutes,
            ClockKind.NEXT_RESPONSE: self.plan.next_response_minutes,
            ClockKind.RESOLUTION: self.plan.resolution_minutes,
        }[kind]

    def deadlines(self, *, started_at, target, paused_minutes) -> tuple[datetime, datetime]:
        """(warn_at, due_at) for a clock: target business minutes plus the time paused."""
        due_at = add_business_minutes(self.calendar, started_at, target + paused_minutes)
        warn_minutes = target * self.plan.warning_percent / 100
        warn_at = add_business_minutes(self.calendar, started_at, warn_minutes + paused_minutes)
        return warn_at, due_at

    def minutes_between(self, start, end) -> float:
        return business_minutes_between(self.calendar, start, end)


def policy_for(plan_id: int | None) -> Policy | None:
    if plan_id is None:
        return None
    return policy_of(SLAPlan.objects.get(pk=plan_id))


def policy_of(plan: SLAPlan | None) -> Policy | None:
    """The plan with its calendar's hours and holidays loaded (two queries, or none)."""
    if plan is None:
        return None
    calendar = None
    if plan.calendar_id is not None:
        calendar = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(
            pk=plan.calendar_id
        )
    return Policy(plan=plan, calendar=calendar)
