"""The tickets.events listener that keeps the rollups honest: every event and thread entry
writes a ReportChange row in the change's transaction (one INSERT, no reads), and the beat
turns them into hours to refill (reports/rollups/fill.py, decision 0035)."""

from __future__ import annotations

from collections.abc import Sequence

from reports.models import ReportChange
from reports.rollups.fill import rollups_enabled
from tickets.events import RecordedEvent
from tickets.models import TASK_EVENT_KINDS, EntryKind, EventKind, ThreadEntry

# Events that change nothing a report counts.
IGNORED = frozenset(
    {
        EventKind.SLA_WARNING,
        EventKind.ACCESS_LINK_REVOKED,
        EventKind.COLLABORATOR_ADDED,
        EventKind.COLLABORATOR_REMOVED,
        EventKind.MAIL_STOPPED,
        EventKind.MAIL_RESUMED,
        EventKind.FIELDS_CHANGED,
        # The target of a merge and linked tickets keep their figures; the merged-away
        # ticket's own events (merged_into, merge_undone) do change them (its clocks).
        EventKind.TICKET_MERGED,
        EventKind.LINK_ADDED,
        EventKind.LINK_REMOVED,
        EventKind.TAG_ADDED,
        EventKind.TAG_REMOVED,
        # Time spent is read live from its own rows (reports.figures.time_spent).
        EventKind.TIME_LOGGED,
        EventKind.SATISFACTION_RATED,
    }
    | TASK_EVENT_KINDS  # tasks (docs/decisions/0040): no report counts them yet
)
# Events whose effect is at their own time only: a breach completes a clock now; a new
# ticket has no history yet.
NOW_ONLY = frozenset({EventKind.SLA_BREACHED, EventKind.CREATED})


class RollupChanges:
    def listening(self) -> bool:
        return rollups_enabled()

    def events_recorded(self, events: Sequence[RecordedEvent]) -> None:
        rows = [
            ReportChange(
                ticket_id=event.ticket_id, at=event.created_at, history=event.kind not in NOW_ONLY
            )
            for event in events
            if event.kind not in IGNORED
        ]
        ReportChange.objects.bulk_create(rows)

    def entry_added(self, entry: ThreadEntry) -> None:
        # A reply can be a first reply and meets clocks, both at its own time. Messages and
        # notes count in no figure (a message starts a clock; only completed ones count).
        if entry.kind == EntryKind.REPLY:
            ReportChange.objects.create(
                ticket_id=entry.ticket_id, at=entry.created_at, history=False
            )


changes = RollupChanges()
