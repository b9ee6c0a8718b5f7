"""Reads of the REST API that the pages do not make: one ticket with what an integration
asks for (its clocks always, its thread and events on request), in a fixed number of
queries, for an agent of its department only."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from tickets import access
from tickets.fieldvalues import FieldValue
from tickets.models import (
    Attachment,
    SatisfactionSurvey,
    SLAClock,
    ThreadEntry,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMerge,
)
from tickets.selectors.fields import ticket_fields_for_agent
from tickets.selectors.satisfaction import ticket_surveys
from tickets.selectors.tags import TimeSpent, ticket_tags, time_spent_for_ticket

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
    # Links as this ticket reads them: (kind, other ticket's number); the merges into it
    # not undone; the number of the ticket it was merged into.
    links: list[tuple[str, int]] = field(default_factory=list)
    merges_in: list[TicketMerge] = field(default_factory=list)
    merged_into: int | None = None
    # Its tags' and time spent (docs/decisions/0043).
    tags: list = field(default_factory=list)
    time_spent: TimeSpent = field(default_factory=TimeSpent)
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
        tags=ticket_tags(ticket=ticket),
        time_spent=time_spent_for_ticket(ticket=ticket),
        surveys=ticket_surveys(ticket=ticket),
    )
    links = (
        TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket))
        .select_related("from_ticket", "to_ticket")
        .only("kind", "from_ticket__number", "to_ticket__number")
        .order_by("created_at", "id")
    )
    detail.links = [
        (
            link.key_from(ticket.pk),
            (link.to_ticket if link.from_ticket_id == ticket.pk else link.from_ticket).number,
        )
        for link in links
    ]
    detail.merges_in = list(
        TicketMerge.objects.filter(target=ticket, undone_at__isnull=True)
        .select_related("source")
        .only("merged_at", "target_id", "source__number")
        .order_by("merged_at", "id")
    )
    if ticket.merged_into_id is not None:
        detail.merged_into = (
            Ticket.objects.filter(pk=ticket.merged_into_id)
            .values_list("number", flat=True)
            .first()
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
