"""The dashboard's links and number formats."""

from django import template

from desk.report_links import queue_url
from reports.figures import PeriodSets, ReportFilters
from tickets.selectors import Measure, TicketSet

register = template.Library()


@register.simple_tag
def report_url(
    sets: PeriodSets, measure: str, filters: ReportFilters, clock: str = "", day=None
) -> str:
    """The queue of the tickets behind a number: the period's set (or one day's) for
    `measure`, narrowed by a row's filters."""
    if measure in (Measure.OPEN_NOW, Measure.DUE_SOON):
        ticket_set = sets.open_now if measure == Measure.OPEN_NOW else sets.due_soon
    elif day is not None:
        ticket_set = sets.day(day, measure)
    else:
        ticket_set = sets.of(measure, clock or None)
    return queue_url(ticket_set, filters)


@register.simple_tag
def report_span_url(span, measure: str, filters: ReportFilters, clock: str = "") -> str:
    """The queue of a set over a part of the period (a week of the SLA chart: anything with
    `start` and `end`)."""
    return queue_url(TicketSet(measure, span.start, span.end, clock or None), filters)


@register.filter
def percent(rate) -> str:
    """0.857 -> '86%'; nothing measured -> '—'."""
    return "\u2014" if rate is None else f"{rate * 100:.0f}%"


@register.filter
def duration(minutes) -> str:
    """Minutes as people read them: '45m', '3h 20m', '2d 4h'; nothing measured -> '—'."""
    if minutes is None:
        return "\u2014"
    minutes = round(minutes)
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"
