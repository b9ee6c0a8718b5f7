"""Merges of tickets into others (undoable for a while) and links between tickets."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .choices import LINK_REVERSE_LABELS, LinkKind, Status
from .ticket import Ticket

# A merge can be undone for this long: a constant, not a setting (the promise the pages
# and the docs make; decision 0037).
MERGE_UNDO_DAYS = 7
MERGE_UNDO_WINDOW = timedelta(days=MERGE_UNDO_DAYS)


class TicketMerge(models.Model):
    """One source ticket merged into a target: what the merge moved and changed, kept so
    that it can be undone exactly (tickets/services/merges.py, decision 0037)."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges_in")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    # The source as it was, to put it back.
    source_status = models.CharField(max_length=16, choices=Status.choices)
    source_closed_at = models.DateTimeField(null=True, blank=True)
    # Ids of what the merge moved or started: the thread entries now on the target, the
    # people it made collaborators of the target, the source's clocks it stopped.
    entry_ids = models.JSONField(default=list)
    collaborator_ids = models.JSONField(default=list)
    stopped_clock_ids = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            # A ticket is merged away at most once at a time.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(undone_at__isnull=True),
                name="tickets_merge_one_live_per_source",
            ),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="tickets_merge_not_into_itself"
            ),
        ]

    def __str__(self):
        return f"Ticket {self.source_id} merged into {self.target_id}"


class TicketLink(models.Model):
    """Two tickets linked, stored once and read from both: `from_ticket` is `kind` of
    `to_ticket` ("#12 duplicate of #10", "#10 parent of #14"); a related link is stored
    from the lower id."""

    Kind = LinkKind

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="tickets_link_once"),
            models.CheckConstraint(
                condition=~Q(from_ticket=F("to_ticket")), name="tickets_link_not_to_itself"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LinkKind.values), name="tickets_link_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.from_ticket_id} {self.get_kind_display()} {self.to_ticket_id}"

    def key_from(self, ticket_id: int) -> str:
        """The link's kind as `ticket_id` reads it, as the services and the API name it
        ("related", "duplicate_of", "duplicated_by", "parent_of", "child_of")."""
        first = self.from_ticket_id == ticket_id
        return {
            LinkKind.RELATED: "related",
            LinkKind.DUPLICATE: "duplicate_of" if first else "duplicated_by",
            LinkKind.PARENT: "parent_of" if first else "child_of",
        }[self.kind]

    def label_from(self, ticket_id: int) -> str:
        """How the link reads on the page of `ticket_id` (one of its two tickets)."""
        if self.from_ticket_id == ticket_id:
            return LinkKind(self.kind).label
        return LINK_REVERSE_LABELS[self.kind]
