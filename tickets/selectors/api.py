"""Reads of the REST API that the pages do not make: one ticket with what an integration
asks for (its clocks always, its thread and events on request), in a fixed number of
queries, for an agent of its department only."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from tickets import access
from tickets.fieldvalues import FieldValue
from tickets.models import (
    Attachment,
    SatisfactionSurvey,
    SLAClock,
    ThreadEntry,
    Ticket,
    TicketEvent,
)
from tickets.selectors.fields import ticket_fields_for_agent
from tickets.selectors.satisfaction import ticket_surveys

TICKET_INCLUDES = frozenset({"thread", "events"})


@dataclass
class TicketDetail:
    ticket: Ticket
    clocks: list[SLAClock]
    entries: list[ThreadEntry] | None = None
    events: list[TicketEvent] | None = None
    includes: frozenset = field(default_factory=frozenset)
    # Its custom fields, every one an agent sees, empty ones too.
    custom_fields: list[FieldValue] = field(default_factory=list)
    # Its satisfaction surveys that were sent, latest first, with their ratings.
    surveys: list[SatisfactionSurvey] = field(default_factory=list)


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
        custom_fields=ticket_fields_for_agent(ticket=ticket),
        surveys=ticket_surveys(ticket=ticket),
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
