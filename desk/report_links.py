"""Links from a number on the reports to the queue listing the tickets behind it.

A link carries the set (tickets.selectors.measures.TicketSet: measure, clock kind, start
and end as ISO instants) and the report's filters as the queue's own filters; QueueForm
reads them back. The queue shows every status (view "all"), so it counts what the
report counted.
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse

from reports.figures import ReportFilters
from tickets.selectors import ALL_TICKETS, TicketSet


def _set_query(ticket_set: TicketSet) -> dict[str, str]:
    query = {"view": ALL_TICKETS.key, "measure": ticket_set.measure}
    if ticket_set.clock:
        query["clock"] = ticket_set.clock
    if ticket_set.start is not None:
        query["start"] = ticket_set.start.isoformat()
    if ticket_set.end is not None:
        query["end"] = ticket_set.end.isoformat()
    return query


def _filters_query(filters: ReportFilters) -> dict[str, str]:
    query = {}
    for name, value in (
        ("department", filters.department),
        ("help_topic", filters.help_topic),
        ("priority", filters.priority),
        ("assignee", filters.agent),
        ("source", filters.channel),
    ):
        if value is not None:
            query[name] = str(value)
    return query


def queue_query(ticket_set: TicketSet, filters: ReportFilters) -> dict[str, str]:
    return {**_set_query(ticket_set), **_filters_query(filters)}


# A dashboard links some 500 numbers to the queue, a few dozen sets times a few dozen
# rows' filters: each part is encoded once (both are frozen, hashable values).
@lru_cache(maxsize=4096)
def _encoded_set(ticket_set: TicketSet) -> str:
    return urlencode(_set_query(ticket_set))


@lru_cache(maxsize=4096)
def _encoded_filters(filters: ReportFilters) -> str:
    return urlencode(_filters_query(filters))


@lru_cache(maxsize=64)
def _queue_path(script_prefix: str) -> str:
    return reverse("agent:queue")  # reverse() prepends the current prefix: the key


def queue_url(ticket_set: TicketSet, filters: ReportFilters) -> str:
    encoded = _encoded_filters(filters)
    query = f"{_encoded_set(ticket_set)}&{encoded}" if encoded else _encoded_set(ticket_set)
    return f"{_queue_path(get_script_prefix())}?{query}"
