"""Queueing a task by its name: the services' one way into Celery."""

import pytest
from celery.exceptions import NotRegistered
from django.core import mail

from common.enqueue import enqueue, enqueue_on_commit
from tests.support.factories import UserFactory


def test_a_task_runs_by_its_name(db):
    user = UserFactory(email="pam@example.com")

    enqueue("accounts.send_account_email", user.pk, "signup_confirm")

    assert [m.to for m in mail.outbox] == [["pam@example.com"]]


def test_on_commit_it_waits_for_the_commit(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="pam@example.com")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit("accounts.send_account_email", user.pk, "signup_confirm")
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert len(mail.outbox) == 1


def test_an_unknown_name_is_an_error_not_a_silent_no_op():
    with pytest.raises((KeyError, NotRegistered)):
        enqueue("tickets.no_such_task")
