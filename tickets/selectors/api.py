"""Reads of the REST API that the pages do not make: one ticket with what an integration
asks for (its clocks always, its thread and events on request), in a fixed number of
queries, for an agent of its department only."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from tickets import access
from tickets.models import Attachment, SLAClock, ThreadEntry, Ticket, TicketEvent

TICKET_INCLUDES = frozenset({"thread", "events"})


@dataclass
class TicketDetail:
    ticket: Ticket
    clocks: list[SLAClock]
    entries: list[ThreadEntry] | None = None
    events: list[TicketEvent] | None = None
    includes: frozenset = field(default_factory=frozenset)


def ticket_detail_for_agent(*, user, number, include=frozenset()) -> TicketDetail:
    """The ticket (Http404 if the user may not work it, as for a missing one), its SLA
    clocks, and its whole thread (notes too: agents see them) and events if asked."""
    ticket = access.ticket_get_for_agent(user=user, number=number)
    return ticket_detail_of(ticket=ticket, include=include)


def ticket_detail_of(*, ticket: Ticket, include=frozenset()) -> TicketDetail:
    """The detail of a ticket the caller already holds with the right to see it: one the
    service just created for this agent (ticket_create checked the department), with its
    requester, department and help topic loaded; ticket_detail_for_agent for any other."""
    include = frozenset(include) & TICKET_INCLUDES
    detail = TicketDetail(
        ticket=ticket,
        clocks=list(SLAClock.objects.filter(ticket=ticket).order_by("started_at", "id")),
        includes=include,
    )
    if "thread" in include:
        detail.entries = list(
            ThreadEntry.objects.filter(ticket=ticket)
            .select_related("author")
            .prefetch_related(
                Prefetch(
                    "attachments",
                    queryset=Attachment.objects.only(
                        "id", "entry_id", "filename", "content_type", "size", "created_at"
                    ).order_by("created_at", "id"),
                )
            )
            .order_by("created_at", "id")
        )
    if "events" in include:
        detail.events = list(
            TicketEvent.objects.filter(ticket=ticket)
            .select_related("actor")
            .order_by("created_at", "id")
        )
    return detail
