"""Queries for the requester's portal: their list of tickets and one ticket's timeline.

Everything here is what a requester may see: their messages and agents' replies (never
internal notes), the status changes of their ticket, and the files of those entries.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from tickets.models import Attachment, EntryKind, EventKind, ThreadEntry, Ticket, TicketEvent

PUBLIC_ENTRY_KINDS = (EntryKind.MESSAGE, EntryKind.REPLY)
# Events a requester is shown; assignments, transfers and SLA marks are internal.
PUBLIC_EVENT_KINDS = (EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.REOPENED)


def ticket_list_for_requester(*, user) -> QuerySet[Ticket]:
    """The user's own tickets, most recently active first."""
    return (
        Ticket.objects.filter(requester=user)
        .only("number", "subject", "status", "updated_at", "created_at")
        .order_by("-updated_at", "-number")
    )


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    entry: ThreadEntry | None = None
    event: TicketEvent | None = None


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
        "id", "kind", "old_value", "new_value", "created_at"
    )
    items = [TimelineItem(at=entry.created_at, entry=entry) for entry in entries]
    # "Created" says nothing the first message does not; statuses tell the story.
    items += [
        TimelineItem(at=event.created_at, event=event)
        for event in events
        if event.kind != EventKind.CREATED
    ]
    # Entries before events at the same instant: the reply, then "resolved".
    return sorted(items, key=lambda item: (item.at, item.entry is None))


def attachment_get_for_requester(*, ticket: Ticket, token: str) -> Attachment | None:
    """A file of a public entry of this ticket; None for notes' files and anything else."""
    return (
        Attachment.objects.filter(ticket=ticket, token=token, entry__kind__in=PUBLIC_ENTRY_KINDS)
        .only("id", "file", "filename", "content_type", "size")
        .first()
    )
