"""Tickets created at the same instant by separate OS processes, each its own Django and
its own database connection, on a committed test database (tests/tickets/
test_auto_assign_concurrency.py).

`create_together` starts the processes with multiprocessing's "spawn" (a fresh interpreter:
nothing of the parent's connections is inherited), lets each set Django up and connect,
holds them at a barrier, and releases them together into `ticket_create`. Each answers with
the ticket's id and the assignee it got.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import time
from dataclasses import dataclass

from tests.support.celery_harness import database_url

START_TIMEOUT = 120  # spawning and setting Django up, on a busy two-core machine
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Created:
    index: int
    pid: int
    ticket_id: int
    assignee_id: int | None


def child_environment() -> dict[str, str]:
    """This run's test database and Redis, mail kept in memory."""
    from django.conf import settings

    return {
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "REDIS_URL": settings.REDIS_URL or "",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "helpdesk.settings"),
        "EMAIL_URL": "memorymail://",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }


def _create_one(env, barrier, results, index, department_id, requester_id) -> None:
    try:
        _create(env, barrier, results, index, department_id, requester_id)
    except BaseException as error:  # reported to the parent, which fails the test with it
        results.put(f"process {index}: {type(error).__name__}: {error}")
        barrier.abort()  # the others stop waiting for this one


def _create(env, barrier, results, index, department_id, requester_id) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Department, User
    from tickets.services import ticket_create

    try:
        department = Department.objects.get(pk=department_id)
        requester = User.objects.get(pk=requester_id)
        connection.ensure_connection()
        barrier.wait(timeout=START_TIMEOUT)
        ticket = ticket_create(
            requester=requester,
            by=requester,
            subject=f"Arrived at once {index}",
            body="Many at the same instant.",
            department=department,
        )
        results.put(Created(index, os.getpid(), ticket.pk, ticket.assignee_id))
    finally:
        connection.close()


def _collect(results, processes) -> list:
    """Every process's answer; a process that died without one fails at once."""
    answers = []
    deadline = time.monotonic() + START_TIMEOUT + RUN_TIMEOUT
    while len(answers) < len(processes):
        try:
            answers.append(results.get(timeout=0.5))
        except queue_module.Empty:
            silent = [p for p in processes if not p.is_alive() and p.exitcode != 0]
            if silent:
                return [*answers, f"a process died without answering: {silent}"]
            if time.monotonic() > deadline:
                return [*answers, "a process never answered"]
    return answers


def create_together(*, count: int, department_id: int, requester_id: int) -> list[Created]:
    """`count` processes create one ticket each in the department, released at once."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    env = child_environment()
    processes = [
        context.Process(
            target=_create_one,
            args=(env, barrier, results, index, department_id, requester_id),
        )
        for index in range(count)
    ]
    for process in processes:
        process.start()
    answers = []
    try:
        answers = _collect(results, processes)
    finally:
        for process in processes:
            process.join(timeout=RUN_TIMEOUT)
            if process.is_alive():
                process.kill()
    failures = [answer for answer in answers if not isinstance(answer, Created)]
    assert not failures, failures
    return sorted(answers, key=lambda created: created.index)
