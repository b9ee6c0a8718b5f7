"""Queries for the requester's portal: help topics, their tickets, one ticket's timeline.

Everything here is what a requester may see: their messages and agents' replies (never
internal notes), the status changes of their ticket, and the files of those entries.
"""

from django.db.models import Prefetch, QuerySet

from tickets.access import participant_tickets
from tickets.models import (
    PUBLIC_ENTRY_KINDS,
    Attachment,
    EventKind,
    HelpTopic,
    ThreadEntry,
    Ticket,
    TicketEvent,
)
from tickets.selectors.timeline import TimelineItem, timeline_merge

# Events a requester is shown; assignments, transfers and SLA marks are internal. "Created"
# says nothing the first message does not; statuses tell the story.
PUBLIC_EVENT_KINDS = (EventKind.STATUS_CHANGED, EventKind.REOPENED)


def help_topic_list_for_portal() -> QuerySet[HelpTopic]:
    """The topics a requester can choose from, by name."""
    return HelpTopic.objects.filter(is_active=True).only("name").order_by("name")


def ticket_list_for_requester(*, user) -> QuerySet[Ticket]:
    """The user's own tickets and those they collaborate on, most recently active first."""
    return (
        participant_tickets(user)
        .only("number", "subject", "status", "updated_at", "created_at")
        .order_by("-updated_at", "-number")
    )


def ticket_timeline_for_requester(*, ticket: Ticket) -> list[TimelineItem]:
    """Public messages (with their files) and status events, oldest first, as one list."""
    entries = (
        ThreadEntry.objects.filter(ticket=ticket, kind__in=PUBLIC_ENTRY_KINDS)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.only(
                    "id", "entry_id", "token", "filename", "size", "content_type"
                ),
            )
        )
    )
    events = TicketEvent.objects.filter(ticket=ticket, kind__in=PUBLIC_EVENT_KINDS).only(
        "id", "kind", "data", "created_at"
    )
    return timeline_merge(entries, events)
