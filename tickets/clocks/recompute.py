"""Recomputing deadlines after an admin edits an SLA plan or a business calendar.

The edit is saved at once; the deadlines of the affected open tickets follow in the
background, a batch of tickets per transaction, each ticket locked as the services lock
it. A job row records progress for the admin and lets an interrupted job be resumed: beat
picks up jobs that are queued, or running without a heartbeat for a while (a killed
worker, a lost Celery message). Redoing a ticket is harmless: it recomputes the same
deadlines again.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.enqueue import enqueue_on_commit
from sla.models import BusinessCalendar, SLAPlan
from tickets.clocks.rules import clocks_on_plan_change
from tickets.models import ACTIVE_STATUSES, DeadlineRecomputation, Ticket

# The task that runs a job (tickets/tasks.py registers it under this name).
RECOMPUTE_TASK = "tickets.recompute_deadlines"
BATCH_SIZE = 200
STALE_AFTER = timedelta(minutes=5)


def deadlines_recompute_request(
    *, plan: SLAPlan | None = None, calendar: BusinessCalendar | None = None, by=None
) -> DeadlineRecomputation:
    """Queue a recomputation for the open tickets on `plan` or on any plan using `calendar`."""
    if (plan is None) == (calendar is None):
        raise ValueError("Name exactly one of plan or calendar.")
    job = DeadlineRecomputation.objects.create(
        plan=plan, calendar=calendar, requested_by=by, total=_affected(plan, calendar).count()
    )
    enqueue_on_commit(RECOMPUTE_TASK, job.pk)
    return job


def _affected(plan: SLAPlan | None, calendar: BusinessCalendar | None):
    tickets = Ticket.objects.filter(status__in=ACTIVE_STATUSES)
    if plan is not None:
        return tickets.filter(sla_plan=plan)
    return tickets.filter(sla_plan__calendar=calendar)


def _claim(job_id: int) -> DeadlineRecomputation | None:
    """Take the job unless it is finished or another worker is alive on it."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            DeadlineRecomputation.objects.select_for_update(skip_locked=True)
            .filter(pk=job_id, finished_at__isnull=True)
            .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER))
            .first()
        )
        if job is None:
            return None
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save(update_fields=["started_at", "heartbeat_at"])
    return job


def deadlines_recompute_run(*, job_id: int) -> int:
    """Work through the job's tickets; return how many were recomputed by this call."""
    job = _claim(job_id)
    if job is None:
        return 0
    ids = list(_affected(job.plan, job.calendar).order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        now = timezone.now()
        with transaction.atomic():
            tickets = Ticket.objects.select_for_update().filter(
                id__in=batch, status__in=ACTIVE_STATUSES
            )
            for ticket in tickets.order_by("id"):
                clocks_on_plan_change(ticket, now=now)
            DeadlineRecomputation.objects.filter(pk=job.pk).update(
                done=min(start + len(batch), len(ids)), total=len(ids), heartbeat_at=now
            )
    DeadlineRecomputation.objects.filter(pk=job.pk).update(
        finished_at=timezone.now(), done=len(ids), total=len(ids)
    )
    return len(ids)


def deadlines_recompute_resume() -> int:
    """Run every job that is queued or was abandoned; for beat. Returns tickets recomputed."""
    stale = timezone.now() - STALE_AFTER
    pending = DeadlineRecomputation.objects.filter(finished_at__isnull=True).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale)
    )
    return sum(deadlines_recompute_run(job_id=pk) for pk in pending.values_list("pk", flat=True))
