"""Celery tasks: thin interfaces to the domain, as views are. Schedules: settings.py.

The only module of tickets that knows Celery task objects. Everything below it queues a
task by the name registered here (common.enqueue), so nothing imports this module back.
"""

from celery import shared_task
from django.conf import settings

from accounts.roles import SYSTEM
from common.enqueue import enqueue
from tickets.clocks import (
    RECOMPUTE_TASK,
    deadlines_recompute_resume,
    deadlines_recompute_run,
    sla_backlog_exceeds,
    sla_sweep,
)
from tickets.outbox import SEND_TASK, notifications_send_pending, outbox_sender_awake
from tickets.services import drafts_prune, satisfaction_surveys_send_due, tickets_auto_assign

SWEEP_TASK = "tickets.sla_sweep"


@shared_task(name=SWEEP_TASK, ignore_result=True)
def run_sla_sweep(helper: bool = False) -> int:
    """One pass. With more than a batch due, beat's pass calls in helpers on other workers.

    Sweeps share the work through SKIP LOCKED, so helpers only make a big backlog go
    faster; a helper never calls in more helpers.
    """
    batch_size = settings.SLA_SWEEP_BATCH_SIZE
    if not helper and settings.SLA_SWEEP_PARALLELISM > 1 and sla_backlog_exceeds(batch_size):
        for _ in range(settings.SLA_SWEEP_PARALLELISM - 1):
            enqueue(SWEEP_TASK, True)
    result = sla_sweep(batch_size=batch_size)
    # Escalations that moved tickets into an auto-assigning department: picked after commit.
    tickets_auto_assign(ticket_ids=result.to_auto_assign, by=SYSTEM)
    return result.transitions


@shared_task(name=SEND_TASK, ignore_result=True)
def send_notifications() -> int:
    outbox_sender_awake()
    sent = total = notifications_send_pending()
    while sent:  # drain what piled up, a batch at a time
        sent = notifications_send_pending()
        total += sent
    return total


@shared_task(name=RECOMPUTE_TASK, ignore_result=True)
def recompute_deadlines(job_id: int) -> int:
    return deadlines_recompute_run(job_id=job_id)


@shared_task(name="tickets.resume_recomputations", ignore_result=True)
def resume_recomputations() -> int:
    return deadlines_recompute_resume()


@shared_task(name="tickets.prune_drafts", ignore_result=True)
def prune_drafts() -> int:
    return drafts_prune()


@shared_task(name="tickets.send_satisfaction_surveys", ignore_result=True)
def send_satisfaction_surveys() -> int:
    total = sent = satisfaction_surveys_send_due()
    while sent:  # a backlog (after downtime) goes out a batch at a time
        sent = satisfaction_surveys_send_due()
        total += sent
    return total
