"""Every change the reports make: background spreadsheets asked for, built, expired (the
weekly emails are reports/weekly.py). Tasks and views call these; they queue work by task
name after commit (common.enqueue)."""

from __future__ import annotations

import datetime
import logging
import os
import tempfile
import zoneinfo

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.enqueue import enqueue, enqueue_on_commit
from reports.exports import queue_from_json, queue_to_json, tickets_xlsx
from reports.models import ReportExport
from tickets.selectors import QueueFilters, QueueView

logger = logging.getLogger(__name__)

BUILD_TASK = "reports.build_export"
# A build that has not finished after this long died with its worker: it is built again.
BUILD_LEASE = datetime.timedelta(minutes=30)
# A queued export whose task message was lost is sent again after this long.
QUEUED_GRACE = datetime.timedelta(minutes=10)
FAILED = "The spreadsheet could not be built. Try again, or export CSV instead."


def report_export_request(
    *, by, view: QueueView, filters: QueueFilters, title: str, zone: zoneinfo.ZoneInfo
) -> ReportExport:
    """Ask for a spreadsheet of the tickets a queue view lists, built by a worker."""
    with transaction.atomic():
        export = ReportExport.objects.create(
            requested_by=by,
            title=title[:300],
            parameters=queue_to_json(view=view, filters=filters),
            time_zone=zone.key,
        )
        enqueue_on_commit(BUILD_TASK, export.pk)
    return export


def _claim(export_id: int, now: datetime.datetime) -> ReportExport | None:
    """Mark a queued export (or one whose builder died) running; None if it is not due."""
    with transaction.atomic():
        export = (
            ReportExport.objects.select_for_update(skip_locked=True)
            .filter(pk=export_id)
            .filter(
                Q(status=ReportExport.Status.QUEUED)
                | Q(status=ReportExport.Status.RUNNING, started_at__lt=now - BUILD_LEASE)
            )
            .first()
        )
        if export is None:
            return None
        export.status, export.started_at = ReportExport.Status.RUNNING, now
        export.save(update_fields=["status", "started_at"])
    return export


def report_export_build(*, export_id: int) -> ReportExport | None:
    """Build one export's file as its requester (their access now), and keep it. Safe to
    run twice: a second run finds it claimed or done and does nothing."""
    now = timezone.now()
    export = _claim(export_id, now)
    if export is None:
        return None
    user = get_user_model().objects.get(pk=export.requested_by_id)
    try:
        view, filters = queue_from_json(export.parameters)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "tickets.xlsx")
            rows = tickets_xlsx(
                path=path,
                user=user,
                view=view,
                filters=filters,
                zone=zoneinfo.ZoneInfo(export.time_zone),
                now=now,
            )
            with open(path, "rb") as built:
                export.file.save(f"{export.pk}-{now:%Y%m%d%H%M%S}.xlsx", File(built), save=False)
    except Exception:
        logger.exception("Report export %s failed", export.pk)
        export.status, export.error = ReportExport.Status.FAILED, FAILED
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export
    export.status, export.row_count = ReportExport.Status.DONE, rows
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "row_count", "file", "finished_at"])
    return export


def report_exports_sweep(*, now: datetime.datetime | None = None) -> int:
    """Hourly: delete expired exports and their files; send again the builds whose task
    was lost or whose worker died. Returns how many were deleted."""
    now = now or timezone.now()
    deleted = 0
    for export in ReportExport.objects.filter(expires_at__lte=now).only("pk", "file"):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        deleted += 1
    stuck = ReportExport.objects.filter(
        Q(status=ReportExport.Status.QUEUED, created_at__lt=now - QUEUED_GRACE)
        | Q(status=ReportExport.Status.RUNNING, started_at__lt=now - BUILD_LEASE)
    ).values_list("pk", flat=True)
    for pk in stuck:
        enqueue(BUILD_TASK, pk)
    return deleted
