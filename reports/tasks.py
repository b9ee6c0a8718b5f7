"""Celery tasks of the reports: thin. Schedules are in settings.py (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from reports.rollups.fill import rollups_refresh

REFRESH_TASK = "reports.refresh_rollups"


@shared_task(name=REFRESH_TASK, ignore_result=True)
def refresh_rollups() -> int:
    return rollups_refresh()
