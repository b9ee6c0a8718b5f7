"""Celery tasks of the reports: thin, they take ids and call one function. Schedules:
settings.py (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from reports.rollups.fill import rollups_refresh
from reports.services import BUILD_TASK, report_export_build, report_exports_sweep
from reports.weekly import WEEKLY_TASK, weekly_emails_run

SWEEP_TASK = "reports.sweep_exports"
REFRESH_TASK = "reports.refresh_rollups"


@shared_task(name=BUILD_TASK, ignore_result=True)
def build_export(export_id: int) -> None:
    report_export_build(export_id=export_id)


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep_exports() -> int:
    return report_exports_sweep()


@shared_task(name=WEEKLY_TASK, ignore_result=True)
def weekly_emails() -> int:
    return weekly_emails_run()


@shared_task(name=REFRESH_TASK, ignore_result=True)
def refresh_rollups() -> int:
    return rollups_refresh()
