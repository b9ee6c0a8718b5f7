"""manage.py osticket_pipe, as an MTA set up for osTicket's pipe.php runs it: a subprocess,
a message on standard input, a sysexits(3) status. Never a traceback, never 255."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from accounts.models import User
from mail.models import InboundMessage, Mailbox
from tests.mail.conftest import message
from tests.support.celery_harness import BASE_DIR, database_url
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def pipe(raw: bytes, *, mailbox="it@theoffice.example", database=None, **extra_env):
    env = {
        **os.environ,
        **extra_env,
        "DATABASE_URL": database or database_url(settings.DATABASES["default"]),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "osticket_pipe", "--mailbox", mailbox],
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


def test_a_message_is_delivered_as_a_ticket_and_again_is_the_same_ticket(it):
    first = pipe(message())
    assert (first.returncode, first.stderr) == (0, b"")
    ticket = Ticket.objects.get()
    # (The acknowledgement, sent at once here, goes to the console mail backend first.)
    assert first.stdout.strip().endswith(f"\nticket {ticket.number}".encode())
    again = pipe(message())
    assert again.returncode == 0
    assert again.stdout.strip().endswith(f"ticket {ticket.number}".encode())
    assert InboundMessage.objects.get().source == InboundMessage.Source.PIPE


def test_no_input_is_66(it):
    result = pipe(b"")
    assert result.returncode == 66 and b"Traceback" not in result.stderr


def test_not_a_message_is_65(it):
    result = pipe(b"just some words, no headers\n")
    assert result.returncode == 65 and b"Traceback" not in result.stderr
    assert not InboundMessage.objects.exists()


def test_a_message_without_a_sender_is_kept_and_65(it):
    result = pipe(message(sender=""))
    assert result.returncode == 65 and b"quarantined" in result.stderr
    assert InboundMessage.objects.get().status == InboundMessage.Status.QUARANTINED


def test_an_unknown_mailbox_is_77_and_a_switched_off_one_69(it):
    result = pipe(message(), mailbox="nobody@theoffice.example")
    assert result.returncode == 77 and b"no mailbox" in result.stderr
    it.is_active = False
    it.save(update_fields=["is_active"])
    result = pipe(message())
    assert result.returncode == 69 and b"switched off" in result.stderr
    assert not InboundMessage.objects.exists()


def test_a_sender_the_mailbox_refuses_is_77(it):
    it.allow_unknown_senders = False
    it.save(update_fields=["allow_unknown_senders"])
    result = pipe(message(sender="Stranger <stranger@example.com>"))
    assert result.returncode == 77 and b"refused" in result.stderr
    assert not User.objects.filter(email="stranger@example.com").exists()


def test_a_database_that_is_down_is_75_so_the_mta_tries_again():
    result = pipe(message(), database="postgres://postgres@127.0.0.1:9/helpdesk")
    assert result.returncode == 75
    assert b"database is unavailable" in result.stderr and b"Traceback" not in result.stderr


def test_a_message_too_large_is_recorded_by_its_headers_and_0(it):
    result = pipe(message(body="x" * 5000), MAIL_MAX_MESSAGE_BYTES="1000")
    assert result.returncode == 0 and b"too large" in result.stdout
    row = InboundMessage.objects.get()
    assert row.outcome == InboundMessage.Outcome.TOO_LARGE and not Ticket.objects.exists()
