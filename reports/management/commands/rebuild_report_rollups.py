"""Refill the report rollups of a range of hours, e.g. after a restore or a change of the
fill's definitions: `manage.py rebuild_report_rollups --from 2026-01-01 --to 2026-02-01`."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.rollups.fill import rollups_rebuild

BAD_DATE = "{option} must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:00), not {value!r}."
NOT_ON_HOUR = "{option} must fall on a whole hour (UTC), not {value!r}."
EMPTY_RANGE = "--to must be after --from."
IN_FUTURE = "--from is in the future: nothing has happened there yet."


def _moment(option: str, value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(BAD_DATE.format(option=option, value=value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    if moment.minute or moment.second or moment.microsecond:
        raise CommandError(NOT_ON_HOUR.format(option=option, value=value))
    return moment.astimezone(datetime.UTC)


class Command(BaseCommand):
    help = (
        "Fill the hourly report rollups of [--from, --to) again, hour by hour (UTC; dates "
        "mean midnight UTC). Hours not over yet are left to the live figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD[THH:00]")
        parser.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD[THH:00]")

    def handle(self, *args, start, end, verbosity=1, **options):
        start, end = _moment("--from", start), _moment("--to", end)
        if end <= start:
            raise CommandError(EMPTY_RANGE)
        now = timezone.now()
        if start > now:
            raise CommandError(IN_FUTURE)
        began, filled = time.monotonic(), 0
        for hour in rollups_rebuild(start=start, end=end, now=now):
            filled += 1
            if verbosity > 1:
                self.stdout.write(f"{hour:%Y-%m-%d %H}:00 filled")
        seconds = time.monotonic() - began
        self.stdout.write(f"{filled} hours filled in {seconds:.1f} s.")
