"""Once per ticket under concurrency, on a real PostgreSQL: two beat passes at the same
time (threads with their own connections, and tasks in a real Celery worker's two
processes) act on each ticket once."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.db import connection, connections

from automation.engine import time_rules_run, triggers_run
from automation.models import PendingTrigger, RuleRun
from automation.tasks import run_time_rules
from helpdesk.celery import app as celery_app
from tests.automation.conftest import make_rule
from tests.support.celery_harness import CeleryWorker, sending_to_workers, wait_for
from tickets.models import EntryKind, EventKind, Priority, ThreadEntry, Ticket, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and ON CONFLICT under concurrency: PostgreSQL only")


def unassigned_rule():
    return make_rule(
        name="Nudge unassigned",
        trigger="time",
        conditions=[
            {"field": "assignee", "operator": "is", "value": "none"},
            {"field": "hours_since_created", "operator": "calendar_hours", "value": "1"},
        ],
        actions=[
            {"kind": "add_note", "text": "Nobody has taken #{number} for an hour."},
            {"kind": "set_priority", "priority": Priority.URGENT},
        ],
    )


def old_tickets(desk, count):
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2), tick=False):
        return [desk.ticket(subject=f"Ticket {i}") for i in range(count)]


def assert_once_per_ticket(rule, tickets):
    ids = [t.pk for t in tickets]
    assert RuleRun.objects.filter(rule=rule).count() == len(ids)
    assert sorted(RuleRun.objects.filter(rule=rule).values_list("ticket_id", flat=True)) == sorted(
        ids
    )
    notes = ThreadEntry.objects.filter(ticket_id__in=ids, kind=EntryKind.NOTE)
    assert notes.count() == len(ids)
    assert notes.values("ticket_id").distinct().count() == len(ids)
    raised = TicketEvent.objects.filter(
        ticket_id__in=ids, kind=EventKind.PRIORITY_CHANGED, data__rule__name=rule.name
    )
    assert raised.count() == len(ids)
    assert not Ticket.objects.filter(pk__in=ids).exclude(priority=Priority.URGENT).exists()


def test_two_concurrent_passes_in_threads_act_once_per_ticket(desk):
    rule = unassigned_rule()
    tickets = old_tickets(desk, 120)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one_pass():
        try:
            barrier.wait(timeout=10)
            results.append(time_rules_run())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()  # the thread's own connection

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert sum(results) == len(tickets)  # together exactly all, each once
    assert_once_per_ticket(rule, tickets)
    assert time_rules_run() == 0  # a retried task finds nothing left


@pytest.fixture
def queued_for_real():
    """Tasks go to the broker (nobody runs them) instead of inline: the triggers stay
    pending for the test to run."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager
    celery_app.control.purge()


def test_concurrent_trigger_runs_run_each_rule_once(desk, queued_for_real):
    rule = make_rule(name="Note", actions=[{"kind": "add_note", "text": "Seen"}])
    tickets = [desk.ticket(subject=f"T{i}") for i in range(60)]
    assert PendingTrigger.objects.count() == 60
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            triggers_run()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert not PendingTrigger.objects.exists()
    assert RuleRun.objects.filter(rule=rule).count() == 60
    for ticket in tickets:
        assert ticket.entries.filter(kind=EntryKind.NOTE).count() == 1


@pytest.mark.celery
def test_concurrent_beat_tasks_in_a_real_worker_act_once_per_ticket(
    desk, _celery_child_env, tmp_path
):
    rule = unassigned_rule()
    tickets = old_tickets(desk, 80)
    worker = CeleryWorker(env=_celery_child_env, log_path=tmp_path / "worker.log", concurrency=2)
    worker.start()
    try:
        worker.wait_ready()
        with sending_to_workers():
            # Two beat ticks' tasks, taken at once by the worker's two processes (each its
            # own database connection), and a third pass here at the same time.
            run_time_rules.delay()
            run_time_rules.delay()
            here = time_rules_run()

            def finished():
                log = worker.log()
                done = re.findall(
                    r"Task automation\.run_time_rules\[[^\]]+\] succeeded in [^:]+: (\d+)", log
                )
                return done if len(done) == 2 else None

            counts = wait_for(finished, timeout=60, message="the worker did not run both passes")
    finally:
        worker.stop()

    assert here + sum(int(c) for c in counts) == len(tickets)
    assert_once_per_ticket(rule, tickets)
