"""A ticket's story as one list: thread entries and events, oldest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from tickets.models import ThreadEntry, TicketEvent


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    entry: ThreadEntry | None = None
    event: TicketEvent | None = None


def timeline_merge(
    entries: Iterable[ThreadEntry], events: Iterable[TicketEvent]
) -> list[TimelineItem]:
    """Entries and events by time; at the same instant the entry first (the reply, then
    "resolved")."""
    return sorted(
        chain(
            (TimelineItem(at=entry.created_at, entry=entry) for entry in entries),
            (TimelineItem(at=event.created_at, event=event) for event in events),
        ),
        key=lambda item: (item.at, item.entry is None),
    )
