"""Links from a number on the reports to the queue listing the tickets behind it.

A link carries the set (tickets.selectors.measures.TicketSet: measure, clock kind, start
and end as ISO instants) and the report's filters as the queue's own filters; QueueForm
reads them back. The queue shows every status (view "all"), so it counts what the
report counted.
"""

from urllib.parse import urlencode

from django.urls import reverse

from reports.figures import ReportFilters
from tickets.selectors import ALL_TICKETS, TicketSet


def queue_query(ticket_set: TicketSet, filters: ReportFilters) -> dict[str, str]:
    query = {"view": ALL_TICKETS.key, "measure": ticket_set.measure}
    if ticket_set.clock:
        query["clock"] = ticket_set.clock
    if ticket_set.start is not None:
        query["start"] = ticket_set.start.isoformat()
    if ticket_set.end is not None:
        query["end"] = ticket_set.end.isoformat()
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


def queue_url(ticket_set: TicketSet, filters: ReportFilters) -> str:
    return f"{reverse('agent:queue')}?{urlencode(queue_query(ticket_set, filters))}"
