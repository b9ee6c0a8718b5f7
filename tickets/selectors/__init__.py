"""Every read a page or an endpoint makes, one module per concern.

Each selector fetches what its page shows, with its own select_related/prefetch_related,
and only what the person may see (through tickets.access); templates never walk relations
the selector did not fetch. Callers import from here.
"""

from tickets.selectors import measures  # the sets behind report figures, as a module
from tickets.selectors.api import (
    TICKET_INCLUDES,
    TicketDetail,
    ticket_detail_for_agent,
    ticket_detail_of,
)
from tickets.selectors.fields import (
    intake_fields_for_portal,
    queue_choice_fields,
    ticket_fields_for_agent,
    ticket_fields_for_requester,
)
from tickets.selectors.measures import Measure, TicketSet, ticket_set_q
from tickets.selectors.portal import (
    PUBLIC_EVENT_KINDS,
    help_topic_list_for_portal,
    ticket_list_for_requester,
    ticket_timeline_for_requester,
)
from tickets.selectors.queue import (
    ALL_TICKETS,
    COUNT_CACHE_SECONDS,
    COUNT_CAP,
    DEFAULT_VIEW,
    PAGE_SIZE,
    SORTS,
    VIEWS,
    QueueFilters,
    QueueOptions,
    QueuePage,
    QueueView,
    Sort,
    queue_count,
    queue_counts_forget,
    queue_options_for_agent,
    queue_view_counts,
    ticket_list_for_agent,
    ticket_queue_q,
)
from tickets.selectors.reference import (
    EVENT_PAGE,
    agent_list_for_agent,
    event_feed_for_agent,
    help_topic_list,
    people_list,
    person_get,
    sla_plan_list,
    ticket_list_for_participant,
)
from tickets.selectors.satisfaction import (
    CsatFigures,
    CsatRow,
    satisfaction_figures,
    ticket_surveys,
)
from tickets.selectors.search import (
    SEARCH_CANDIDATES,
    SEARCH_PAGE_SIZE,
    SEARCH_QUERY_MAX_LENGTH,
    SearchResult,
    SearchResults,
    ticket_search_filter,
    ticket_search_for_agent,
)
from tickets.selectors.ticket_page import (
    OTHER_TICKETS_SHOWN,
    TicketPage,
    new_messages_since,
    ticket_page_for_agent,
)
from tickets.selectors.timeline import TimelineItem, timeline_merge

__all__ = [
    "ALL_TICKETS",
    "COUNT_CACHE_SECONDS",
    "COUNT_CAP",
    "DEFAULT_VIEW",
    "EVENT_PAGE",
    "OTHER_TICKETS_SHOWN",
    "PAGE_SIZE",
    "PUBLIC_EVENT_KINDS",
    "SEARCH_CANDIDATES",
    "SEARCH_PAGE_SIZE",
    "SEARCH_QUERY_MAX_LENGTH",
    "SORTS",
    "TICKET_INCLUDES",
    "VIEWS",
    "CsatFigures",
    "CsatRow",
    "Measure",
    "QueueFilters",
    "QueueOptions",
    "QueuePage",
    "QueueView",
    "SearchResult",
    "SearchResults",
    "Sort",
    "TicketDetail",
    "TicketPage",
    "TicketSet",
    "TimelineItem",
    "agent_list_for_agent",
    "event_feed_for_agent",
    "help_topic_list",
    "help_topic_list_for_portal",
    "intake_fields_for_portal",
    "measures",
    "new_messages_since",
    "people_list",
    "person_get",
    "queue_choice_fields",
    "queue_count",
    "queue_counts_forget",
    "queue_options_for_agent",
    "queue_view_counts",
    "satisfaction_figures",
    "sla_plan_list",
    "ticket_detail_for_agent",
    "ticket_detail_of",
    "ticket_fields_for_agent",
    "ticket_fields_for_requester",
    "ticket_list_for_agent",
    "ticket_list_for_participant",
    "ticket_list_for_requester",
    "ticket_page_for_agent",
    "ticket_queue_q",
    "ticket_search_filter",
    "ticket_search_for_agent",
    "ticket_set_q",
    "ticket_surveys",
    "ticket_timeline_for_requester",
    "timeline_merge",
]
