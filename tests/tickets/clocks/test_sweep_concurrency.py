"""Exactly once under pressure, on a real PostgreSQL: concurrent sweeps, a killed sweep."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from bench.seeding import seed_open_tickets
from helpdesk.celery import app as celery_app
from tests.support.celery_harness import wait_for
from tickets.clocks import sla_sweep
from tickets.models import (
    EventKind,
    Notification,
    SLAClock,
    SLAState,
    Ticket,
    TicketEvent,
    sla_state_q,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
ROOT = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED and COPY are what is under test: PostgreSQL only")


@pytest.fixture(autouse=True)
def _queue_emails_for_real():
    """Send the sweep's email task to the Redis broker instead of running it inline.

    Thousands of emails rendered inside the test would measure email rendering, not the
    sweep; the rows in the outbox are what this file checks.
    """
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager
    celery_app.control.purge()


def seed(desk, count, due):
    desk.it.manager = desk.manager
    desk.it.save()
    desk.standard.escalate_notify_assignee = True
    desk.standard.escalate_notify_manager = True
    desk.standard.escalate_raise_priority = True
    desk.standard.save()
    return seed_open_tickets(
        count=count,
        due=due,
        now=NOW,
        department_id=desk.it.pk,
        requester_ids=[desk.requester.pk, desk.other_requester.pk],
        plan_id=desk.standard.pk,
        assignee_id=desk.agent.pk,
        already_warned=False,
    )


def assert_exactly_once(due, raised):
    for kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        events = TicketEvent.objects.filter(kind=kind)
        assert events.count() == due, kind
        assert events.values("clock_id").distinct().count() == due, kind
    # Two notifications per breached ticket, and a priority raise for those below Urgent.
    assert TicketEvent.objects.filter(kind=EventKind.ESCALATED).count() == 2 * due + raised
    assert Notification.objects.filter(kind="sla_breached").count() == 2 * due
    assert Notification.objects.filter(kind="sla_warning").count() == due
    assert Ticket.objects.filter(sla_state_q(SLAState.BREACHED, NOW)).count() == due
    assert not SLAClock.objects.filter(due_at__lte=NOW, breached_at__isnull=True).exists()


def test_concurrent_sweeps_over_thousands_of_due_tickets_mark_each_once(desk):
    seed(desk, count=6000, due=4000)
    raised = Ticket.objects.filter(next_due_at__lte=NOW, priority__lt=4).count()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sla_sweep(now=NOW, batch_size=150))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    # The work was shared: more than one sweep did some, and together exactly all of it.
    assert sum(r.breaches for r in results) == 4000
    assert sum(r.warnings for r in results) == 4000
    assert sum(1 for r in results if r.breaches) >= 2
    assert_exactly_once(4000, raised)
    # A retried task afterwards finds nothing left.
    assert sla_sweep(now=NOW).transitions == 0


def test_a_sweep_killed_mid_pass_loses_nothing_and_the_next_pass_finishes(desk):
    seed(desk, count=3000, due=3000)
    raised = Ticket.objects.filter(priority__lt=4).count()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            db["USER"], db["HOST"] or "localhost", db["PORT"] or 5432, db["NAME"]
        ),
        "DEBUG": "1",
        "SECRET_KEY": "test",
    }
    script = (
        "import django, datetime as dt; django.setup();"
        "from tickets.clocks import sla_sweep;"
        f"sla_sweep(now=dt.datetime.fromisoformat('{NOW.isoformat()}'), batch_size=50)"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    try:
        # Wait until some batches have committed, then kill it without warning.
        def some_batches_committed():
            assert process.poll() is None, "the sweep finished before it could be killed"
            return TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() >= 200

        wait_for(some_batches_committed, timeout=60, interval=0.01, message="no progress")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    done = TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED).count()
    assert 200 <= done < 3000
    # Each batch committed whole or not at all: no clock is marked without its event.
    marked = SLAClock.objects.filter(breached_at__isnull=False).count()
    assert marked == done

    sla_sweep(now=NOW + timedelta(seconds=1))

    assert_exactly_once(3000, raised)
