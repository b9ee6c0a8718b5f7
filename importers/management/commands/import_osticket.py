"""python manage.py import_osticket --database-url mysql://USER:PASSWORD@HOST:PORT/DBNAME

Reads an osTicket 1.14-1.18 database and brings it over (docs/moving-from-osticket.md).
Run it again at cut-over: it imports only what changed since.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from importers.osticket.run import OsTicketImport
from importers.osticket.source import OsTicketSource, SourceError

OUTCOMES = ("created", "updated", "unchanged", "skipped")


class Command(BaseCommand):
    help = "Import an osTicket database (departments, people, tickets with their threads...)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            required=True,
            help="mysql://USER:PASSWORD@HOST:PORT/DBNAME of osTicket's database",
        )
        parser.add_argument("--prefix", default="ost_", help="osTicket's table prefix (ost_)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be created, updated and skipped; change nothing",
        )
        parser.add_argument("--batch", type=int, default=500, help="Tickets per transaction")
        parser.add_argument("--files-root", help="The folder of osTicket's filesystem storage")
        parser.add_argument(
            "--time-zone", help="The zone of osTicket's times (default: the MySQL server's)"
        )
        parser.add_argument(
            "--api-agent", help="The agent imported API keys act as (default: the first admin)"
        )

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        try:
            source = OsTicketSource(
                options["database_url"],
                prefix=options["prefix"],
                time_zone=options["time_zone"],
                files_root=options["files_root"],
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        dry_run = options["dry_run"]
        self.stdout.write(f"{'Dry run: ' if dry_run else ''}importing from {source.url}")
        tty = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()
        try:
            report = OsTicketImport(
                source,
                batch=options["batch"],
                dry_run=dry_run,
                api_agent=options["api_agent"],
                progress=lambda kind, done, total: self._progress(kind, done, total, tty),
            ).run()
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        finally:
            source.close()
        if tty:
            self.stdout.write("")
        self._summary(report, dry_run)

    def _progress(self, kind, done, total, tty):
        share = done / total if total else 1
        if tty:
            bar = "#" * int(share * 30)
            self.stdout.write(f"\r{kind}: [{bar:<30}] {done}/{total}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(f"{kind}: {done}/{total} ({share:.0%})")

    def _summary(self, report, dry_run):
        heading = "What would change (nothing was written):" if dry_run else "Summary:"
        self.stdout.write(heading)
        self.stdout.write(f"  {'kind':<12}" + "".join(f"{o:>11}" for o in OUTCOMES))
        for kind, counts in report.counts.items():
            self.stdout.write(
                f"  {kind:<12}" + "".join(f"{counts.get(o, 0):>11}" for o in OUTCOMES)
            )
        for kind, source_id, message in report.errors:
            self.stdout.write(f"  skipped osTicket {kind} {source_id}: {message}")
        for warning in report.warnings:
            self.stdout.write(f"  note: {warning}")
