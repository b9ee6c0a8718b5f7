"""Celery tasks of the API: thin, they call one function."""

from celery import shared_task

from api.idempotency import idempotency_prune


@shared_task(name="api.prune_idempotency_keys", ignore_result=True)
def prune_idempotency_keys() -> int:
    return idempotency_prune()
