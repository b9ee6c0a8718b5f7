"""Celery tasks: thin interfaces to the services, as views are. Schedules: settings.py."""

from celery import shared_task
from django.conf import settings

from tickets.notifications import notifications_send_pending, notifications_sender_awake
from tickets.recompute import deadlines_recompute_resume, deadlines_recompute_run
from tickets.sweep import sla_backlog_exceeds, sla_sweep


@shared_task(name="tickets.sla_sweep", ignore_result=True)
def run_sla_sweep(helper: bool = False) -> int:
    """One pass. With more than a batch due, beat's pass calls in helpers on other workers.

    Sweeps share the work through SKIP LOCKED, so helpers only make a big backlog go
    faster; a helper never calls in more helpers.
    """
    batch_size = settings.SLA_SWEEP_BATCH_SIZE
    if not helper and settings.SLA_SWEEP_PARALLELISM > 1 and sla_backlog_exceeds(batch_size):
        for _ in range(settings.SLA_SWEEP_PARALLELISM - 1):
            run_sla_sweep.delay(helper=True)
    return sla_sweep(batch_size=batch_size).transitions


@shared_task(name="tickets.send_notifications", ignore_result=True)
def send_notifications() -> int:
    notifications_sender_awake()
    sent = total = notifications_send_pending()
    while sent:  # drain what piled up, a batch at a time
        sent = notifications_send_pending()
        total += sent
    return total


@shared_task(name="tickets.recompute_deadlines", ignore_result=True)
def recompute_deadlines(job_id: int) -> int:
    return deadlines_recompute_run(job_id=job_id)


@shared_task(name="tickets.resume_recomputations", ignore_result=True)
def resume_recomputations() -> int:
    return deadlines_recompute_resume()
