"""Reads of tags and time spent: a ticket's tags, the tags the queue filters by, the
ticket's time spent with its totals per agent, and the queue's tag filter as SQL."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from tickets.models import Tag, Ticket, TicketTag, TimeEntry

# The queue's tag filter offers at most this many tags (the most used are merged by
# admins long before; the API filters by any tag's name).
QUEUE_TAGS_SHOWN = 500


def ticket_tags(*, ticket: Ticket) -> list[Tag]:
    """The ticket's tags, by name."""
    return list(Tag.objects.filter(ticket_tags__ticket=ticket).order_by(Lower("name"), "id"))


def tag_list(*, limit: int = QUEUE_TAGS_SHOWN) -> list[Tag]:
    """Tags by name, for the queue's filter."""
    return list(Tag.objects.order_by(Lower("name"), "id")[:limit])


def tag_q(tag_id: int) -> Q:
    """Tickets that have the tag `tag_id` (one seek into ticket_tag_tag per ticket walked)."""
    return Q(Exists(TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag_id=tag_id)))


def tag_name_q(name: str) -> Q:
    """Tickets that have the tag called `name`, in any case (none: no ticket)."""
    tags = Tag.objects.alias(lower=Lower("name")).filter(lower=name.strip().lower())
    return Q(
        Exists(TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag_id__in=tags.values("pk")))
    )


@dataclass
class AgentTime:
    agent: object  # the User who spent it
    minutes: int


@dataclass
class TimeSpent:
    """A ticket's time spent: every entry (oldest first), the total and each agent's."""

    entries: list[TimeEntry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(entry.minutes for entry in self.entries)

    @property
    def by_agent(self) -> list[AgentTime]:
        """Most time first, then by name."""
        totals: dict[int, AgentTime] = {}
        for entry in self.entries:
            item = totals.setdefault(entry.agent_id, AgentTime(entry.agent, 0))
            item.minutes += entry.minutes
        return sorted(totals.values(), key=lambda item: (-item.minutes, str(item.agent)))

    @property
    def by_entry(self) -> dict[int, int]:
        """Minutes logged with each reply or note, by the thread entry's id."""
        minutes: dict[int, int] = {}
        for entry in self.entries:
            if entry.entry_id is not None:
                minutes[entry.entry_id] = minutes.get(entry.entry_id, 0) + entry.minutes
        return minutes


def time_spent_for_ticket(*, ticket: Ticket) -> TimeSpent:
    """The ticket's time entries with their agents, in one query."""
    return TimeSpent(
        list(
            TimeEntry.objects.filter(ticket=ticket)
            .select_related("agent")
            .order_by("created_at", "id")
        )
    )


def time_entries_for_ticket(*, ticket: Ticket) -> list[TimeEntry]:
    """The API's list: the same entries."""
    return time_spent_for_ticket(ticket=ticket).entries
