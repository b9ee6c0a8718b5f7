"""Every ticket's search document made again from its rows, in batches."""

import time

from django.core.management.base import BaseCommand, CommandError

from tickets.models import Ticket
from tickets.services import search_documents_rebuild_batch

DEFAULT_BATCH = 1000


class Command(BaseCommand):
    help = (
        "Rebuild the tickets' full-text search documents (subject, thread, custom fields, "
        "tags) from their rows, in batches of --batch tickets by id, one transaction each. "
        "Safe to run again, or to stop and resume with --after: each document is replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="tickets a batch")
        parser.add_argument(
            "--after", type=int, default=0, help="start after this ticket id (to resume)"
        )

    def handle(self, *args, batch, after, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        total = Ticket.objects.filter(pk__gt=after).count()
        if not total:
            self.stdout.write("No tickets: nothing to rebuild.")
            return
        started = time.monotonic()
        done = 0
        while True:
            result = search_documents_rebuild_batch(after_id=after, batch=batch)
            if result.last_id is None:
                break
            done += result.rebuilt
            after = result.last_id
            self.stdout.write(f"{min(done, total)}/{total} tickets, up to id {after}")
        seconds = time.monotonic() - started
        self.stdout.write(f"Rebuilt {done} search documents in {seconds:.1f} s.")
