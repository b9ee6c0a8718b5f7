"""Celery tasks of the webhooks: thin, they take ids and call one function. Schedules are
in settings.py (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from webhooks.sending import endpoint_send_due, webhooks_sweep
from webhooks.services import webhook_log_prune
from webhooks.wakeup import SEND_TASK


@shared_task(name=SEND_TASK, ignore_result=True)
def send(endpoint_id: int) -> int:
    return endpoint_send_due(endpoint_id=endpoint_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep() -> int:
    return webhooks_sweep()


@shared_task(name="webhooks.prune", ignore_result=True)
def prune() -> int:
    return webhook_log_prune()
