"""manage.py mail_pipe, as an MTA runs it: a subprocess, a message on standard input, and
an exit status the MTA understands. Never a traceback."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from mail.models import InboundMessage, Mailbox
from tests.mail.conftest import message
from tests.support.celery_harness import BASE_DIR, database_url
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def pipe(raw: bytes, *, mailbox="it@theoffice.example", database=None):
    env = {
        **os.environ,
        "DATABASE_URL": database or database_url(settings.DATABASES["default"]),
        # The message is processed right away in the pipe's own process, as a worker would.
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "mail_pipe", "--mailbox", mailbox],
        input=raw,
        capture_output=True,
        cwd=BASE_DIR,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def it(desk):
    return Mailbox.objects.create(address="it@theoffice.example", department=desk.it)


def test_a_message_is_stored_once_and_opens_a_ticket(it):
    first = pipe(message())
    assert (first.returncode, first.stderr) == (0, b"")
    again = pipe(message())
    assert again.returncode == 0 and b"already stored" in again.stdout

    row = InboundMessage.objects.get()
    assert (row.source, row.status, bytes(row.raw)) == ("pipe", "processed", message())
    assert Ticket.objects.get().subject == "CRM is down"


def test_an_unknown_mailbox_is_77(it):
    result = pipe(message(), mailbox="nobody@theoffice.example")
    assert result.returncode == 77
    assert b"no active mailbox" in result.stderr and b"Traceback" not in result.stderr
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"just some words, no headers\n"])
def test_what_is_not_a_message_is_65(it, raw):
    result = pipe(raw)
    assert result.returncode == 65 and b"Traceback" not in result.stderr
    assert not InboundMessage.objects.exists()


def test_a_database_that_is_down_is_75_so_the_mta_tries_again():
    result = pipe(message(), database="postgres://postgres@127.0.0.1:9/helpdesk")
    assert result.returncode == 75
    assert b"database is unavailable" in result.stderr and b"Traceback" not in result.stderr


def test_control_characters_in_message_ids_are_no_ids_and_the_message_is_kept(it):
    # PostgreSQL cannot store a NUL: such an id is dropped, and the ledger keys the
    # message by its content, so a redelivery is still the same message.
    raw = message(message_id="<m1\x00@mail.example>", headers=[("In-Reply-To", "<a\x00b@x>")])
    first, again = pipe(raw), pipe(raw)
    assert (first.returncode, again.returncode) == (0, 0)
    row = InboundMessage.objects.get()
    assert (row.message_id, row.status, bytes(row.raw)) == ("", "processed", raw)
    assert Ticket.objects.count() == 1
