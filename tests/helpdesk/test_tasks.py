"""The health-check task, eagerly and through a real worker and beat (the Celery harness)."""

import os
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from helpdesk.tasks import PING_KEY, ping
from tests.support.celery_harness import wait_for


def _answer(token: str):
    return cache.get(PING_KEY.format(token=token))


@pytest.mark.django_db
def test_ping_runs_inline_while_the_suite_is_eager():
    token = uuid.uuid4().hex

    ping.delay(token)

    assert _answer(token)["pid"] == os.getpid()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_ping_sent_from_the_test_runs_in_the_worker_on_the_test_database(celery_worker):
    token = uuid.uuid4().hex

    ping.delay(token)

    answer = wait_for(lambda: _answer(token), timeout=30, message="the worker never pinged")
    assert answer["hostname"] == celery_worker.nodename
    assert answer["pid"] != os.getpid()
    assert answer["database"] == settings.DATABASES["default"]["NAME"]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_beat_sends_a_short_schedule_to_the_worker(celery_worker, celery_beat):
    token = uuid.uuid4().hex

    celery_beat({"ping": {"task": "helpdesk.ping", "schedule": 1.0, "args": [token]}})

    answer = wait_for(lambda: _answer(token), timeout=30, message="beat's ping never ran")
    assert answer["hostname"] == celery_worker.nodename


def test_every_task_on_the_beat_schedule_is_registered():
    from django.conf import settings

    from helpdesk.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
    assert settings.CELERY_BEAT_SCHEDULE["prune-drafts"]["task"] == "tickets.prune_drafts"
    assert settings.CELERY_BEAT_SCHEDULE["prune-audit-log"]["task"] == "accounts.prune_audit_log"
    assert settings.CELERY_BEAT_SCHEDULE["prune-sessions"]["task"] == "accounts.prune_sessions"
