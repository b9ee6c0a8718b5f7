"""Search documents made again from the tickets' rows (tickets/search_index.py): after a
bulk change outside the services (a restore, an import written by an older version, a
change of the search configuration), by `manage.py rebuild_search_index`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tickets.models import Ticket
from tickets.search_index import search_documents_rebuild


@dataclass(frozen=True)
class RebuildBatch:
    rebuilt: int  # documents written
    last_id: int | None  # the last ticket id of the batch; None: no ticket was left


def search_documents_rebuild_batch(*, after_id: int = 0, batch: int) -> RebuildBatch:
    """The documents of the next `batch` tickets by id after `after_id`, in one
    transaction: a crash loses at most that batch, and running again from any id writes
    the same documents (each is replaced, never appended to)."""
    ids = list(
        Ticket.objects.filter(pk__gt=after_id).order_by("pk").values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return RebuildBatch(rebuilt=0, last_id=None)
    with transaction.atomic():
        rebuilt = search_documents_rebuild(ticket_ids=ids)
    return RebuildBatch(rebuilt=rebuilt, last_id=ids[-1])
