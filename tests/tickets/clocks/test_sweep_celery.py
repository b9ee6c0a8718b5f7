"""The sweep in a real Celery worker: beat escalates on time, and nothing is lost or doubled
when Redis forgets its queue or the worker is killed mid-sweep."""

import datetime as dt
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings

from bench.seeding import seed_open_tickets
from tests.support.celery_harness import wait_for
from tickets.clocks import sla_sweep
from tickets.events import escalation_text
from tickets.models import EventKind, Notification, SLAClock, SLAState, Ticket, TicketEvent
from tickets.services import ticket_assign
from tickets.tasks import run_sla_sweep

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mailbox(monkeypatch, tmp_path):
    """The worker's outgoing mail, as files: its process is not ours to inspect."""
    folder = tmp_path / "mail"
    folder.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(folder))
    return folder


def _finished_runs(worker, task_name):
    return sum(
        1
        for line in worker.log().splitlines()
        if f"Task {task_name}[" in line and "succeeded" in line
    )


def messages(folder):
    """Every email in the folder; the file backend writes one file per connection."""
    separator = "-" * 79
    return [
        message
        for path in sorted(folder.iterdir())
        for message in path.read_text().split(separator)
        if "Subject:" in message
    ]


@pytest.fixture
def overdue_ticket(desk):
    """Jim's ticket, opened two hours ago on a 60-minute first-response target."""
    with time_machine.travel(dt.datetime.now(dt.UTC) - timedelta(hours=2), tick=False):
        ticket = desk.ticket()
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
    return ticket


def test_beat_and_a_worker_escalate_a_ticket_past_due(
    desk, overdue_ticket, mailbox, celery_worker, celery_beat
):
    celery_beat(
        {
            "sla-sweep": {"task": "tickets.sla_sweep", "schedule": 1.0},
            "send-notifications": {"task": "tickets.send_notifications", "schedule": 1.0},
        }
    )

    wait_for(
        lambda: Notification.objects.filter(sent_at__isnull=False, kind="sla_breached").exists(),
        timeout=60,
        message="the worker never sent the breach email",
    )
    overdue_ticket.refresh_from_db()
    assert overdue_ticket.sla_state == SLAState.BREACHED
    breaches = TicketEvent.objects.filter(ticket=overdue_ticket, kind=EventKind.SLA_BREACHED)
    assert [e.data["clock"]["kind"] for e in breaches] == ["first_response"]
    escalated = TicketEvent.objects.filter(ticket=overdue_ticket, kind=EventKind.ESCALATED)
    assert [escalation_text(e.data) for e in escalated] == ["Notified Ryan Howard (assignee)"]
    breach_mail = wait_for(
        lambda: [m for m in messages(mailbox) if "SLA breached" in m],
        timeout=30,
        message="no breach email on disk",
    )
    assert len(breach_mail) == 1
    assert desk.agent.user.email in breach_mail[0]


def test_emails_survive_redis_losing_its_queue(desk, overdue_ticket, mailbox, celery_worker):
    celery_worker.stop()  # nobody consumes while Redis forgets
    sla_sweep()  # queues the send task after commit, on the real broker
    queued = Notification.objects.filter(sent_at__isnull=True).count()
    assert queued == 2  # the warning and the breach, both for Ryan
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the queued task is gone

    celery_worker.start()
    celery_worker.wait_ready()
    # The next beat tick: the outbox, not the lost message, says what is owed.
    from tickets.tasks import send_notifications

    send_notifications.delay()

    wait_for(
        lambda: not Notification.objects.filter(sent_at__isnull=True).exists(),
        timeout=60,
        message="the outbox was never drained",
    )
    assert len(messages(mailbox)) == 2
    send_notifications.delay()  # a duplicate tick sends nothing more
    wait_for(
        lambda: _finished_runs(celery_worker, "tickets.send_notifications") == 2,
        timeout=30,
        message="the second tick never ran",
    )
    assert len(messages(mailbox)) == 2


def test_a_worker_killed_mid_sweep_and_a_lost_task_leave_nothing_undone(desk, celery_worker):
    desk.standard.escalate_raise_priority = True
    desk.standard.save()
    now = dt.datetime.now(dt.UTC)
    seed_open_tickets(
        count=4000,
        due=4000,
        now=now,
        department_id=desk.it.pk,
        requester_ids=[desk.requester.pk],
        plan_id=desk.standard.pk,
        assignee_id=desk.agent.pk,
    )
    raisable = Ticket.objects.filter(priority__lt=4).count()
    celery_worker.stop()
    slow = celery_worker.__class__(
        env={**celery_worker.env, "SLA_SWEEP_BATCH_SIZE": "25"},
        log_path=celery_worker.log_path.with_name("slow-worker.log"),
    )
    slow.start()
    slow.wait_ready()
    run_sla_sweep.delay()
    wait_for(
        lambda: TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() >= 200,
        timeout=60,
        message="the sweep never got going",
    )
    slow.kill()  # SIGKILL, mid-sweep
    done = TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count()
    assert done < 4000, "the sweep finished before it was killed; make it slower"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # and the redelivery is lost too

    celery_worker.start()
    celery_worker.wait_ready()
    run_sla_sweep.delay()  # the next beat tick

    wait_for(
        lambda: (
            TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == 4000
            and not SLAClock.objects.filter(breached_at__isnull=True).exists()
        ),
        timeout=120,
        message="the next pass did not finish the work",
    )
    breaches = TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED)
    assert breaches.values("clock_id").distinct().count() == 4000
    raised = TicketEvent.objects.filter(kind=EventKind.ESCALATED, data__action="priority_raised")
    assert raised.count() == raisable
    notified = Notification.objects.filter(kind="sla_breached")
    assert notified.count() == notified.values("event_id").distinct().count() == 4000
