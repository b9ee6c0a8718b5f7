"""Faults, for real: a worker or a fetcher killed, two paths at once, an auto-responder
that answers everything. In every case each message ends exactly once: a ticket, a thread
entry, a quarantined row, or a recorded auto-reply."""

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from mail.tasks import process_pending
from tests.mail.conftest import message
from tests.support.celery_harness import BASE_DIR, database_url, sending_to_workers, wait_for
from tickets.models import Notification, Ticket
from tickets.outbox import notifications_send_pending

Outcome = InboundMessage.Outcome


def every_message_once(count: int) -> None:
    rows = InboundMessage.objects.all()
    assert rows.count() == count
    assert not rows.filter(status=InboundMessage.Status.PENDING).exists()
    new = rows.filter(outcome=Outcome.NEW_TICKET)
    # One ticket per message that opened one, and no ticket that no message opened.
    assert new.values("ticket").distinct().count() == new.count() == Ticket.objects.count()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_every_message_exactly_once(desk, celery_worker):
    mailbox = Mailbox.objects.create(address="it@theoffice.example", department=desk.it)
    celery_worker.stop()  # the messages queue up while no worker runs
    with sending_to_workers():
        for i in range(100):
            inbound_store(
                mailbox=mailbox,
                raw=message(sender=f"user{i}@example.com", message_id=f"<kill{i}@x>"),
                source="pipe",
            )
    celery_worker.start()
    celery_worker.wait_ready()
    wait_for(
        lambda: InboundMessage.objects.filter(status="processed").count() >= 5,
        timeout=60,
        message="the worker processed nothing",
    )
    celery_worker.kill()  # SIGKILL, mid-batch: its in-flight task dies with it
    done = InboundMessage.objects.filter(status="processed").count()
    assert done < 100, "the worker finished before it was killed; make the batch bigger"

    # Beat's sweep takes over what waited too long (here: a minute later).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        process_pending()

    every_message_once(100)


def _pipe_process(raw: bytes, mailbox: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "CELERY_TASK_ALWAYS_EAGER": "1",  # each pipe processes what it stored, at once
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mail_pipe", "--mailbox", mailbox],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=BASE_DIR,
        env=env,
    )
    process.stdin.write(raw)
    process.stdin.close()
    return process


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_message_by_two_paths_at_once_is_one_ticket(desk):
    Mailbox.objects.create(address="it@theoffice.example", department=desk.it)
    Mailbox.objects.create(address="sales@theoffice.example", department=desk.sales)
    raw = message(to="it@theoffice.example, sales@theoffice.example", message_id="<twice@x>")
    # Piped twice to one mailbox, and once to the other address, all at the same moment.
    processes = [
        _pipe_process(raw, "it@theoffice.example"),
        _pipe_process(raw, "it@theoffice.example"),
        _pipe_process(raw, "sales@theoffice.example"),
    ]
    codes = [p.wait(timeout=60) for p in processes]
    assert codes == [0, 0, 0], [p.stderr.read() for p in processes]

    assert InboundMessage.objects.count() == 2  # one row per mailbox
    assert Ticket.objects.count() == 1
    assert sorted(InboundMessage.objects.values_list("outcome", flat=True)) == [
        Outcome.DUPLICATE,
        Outcome.NEW_TICKET,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fetcher_killed_mid_batch_loses_and_doubles_nothing(desk, imap_mailbox):
    mailbox = Mailbox.objects.create(
        address="it@theoffice.example",
        department=desk.it,
        transport=Mailbox.Transport.IMAP,
        imap_host="127.0.0.1",
        imap_port=imap_mailbox.port,
        imap_security=Mailbox.Security.NONE,
        imap_user=imap_mailbox.username,
        imap_password=imap_mailbox.password,
    )
    for i in range(10):
        imap_mailbox.append(message(sender=f"u{i}@example.com", message_id=f"<fk{i}@x>"))
    # A fetcher that SIGKILLs itself right after the third message's ledger row commits.
    script = textwrap.dedent(
        f"""
        import os, signal, django
        django.setup()
        from mail import fetching
        from mail.models import Mailbox
        real, stored = fetching.inbound_store, []
        def store(**kwargs):
            row = real(**kwargs)
            stored.append(row)
            if len(stored) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return row
        fetching.inbound_store = store
        fetching.mailbox_fetch(mailbox=Mailbox.objects.get(pk={mailbox.pk}))
        """
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }
    killed = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, timeout=60, check=False
    )
    assert killed.returncode == -9
    assert InboundMessage.objects.count() == 3
    assert len(imap_mailbox.messages("INBOX")) == 10  # nothing moved: the kill came first

    from mail.fetching import mailbox_fetch

    result = mailbox_fetch(mailbox=mailbox)
    assert (result.stored, result.known) == (7, 3)
    for row in InboundMessage.objects.filter(status="pending"):
        inbound_process(inbound_id=row.pk)
    every_message_once(10)
    assert imap_mailbox.messages("INBOX") == []


@pytest.mark.django_db
def test_an_auto_responder_answering_everything_starts_no_storm(desk):
    mailbox = Mailbox.objects.create(address="it@theoffice.example", department=desk.it)
    responder = "robot@example.com"
    row, _ = inbound_store(mailbox=mailbox, raw=message(sender=responder), source="pipe")
    inbound_process(inbound_id=row.pk)
    answered = set()
    for round_ in range(5):
        notifications_send_pending()
        to_robot = Notification.objects.filter(
            recipient__email=responder, sent_at__isnull=False
        ).exclude(message_id__in=answered)
        for ours in to_robot:
            answered.add(ours.message_id)
            robot_reply = message(
                sender=responder,
                subject="Automatic reply: we got your message",
                message_id=f"<robot{round_}-{ours.pk}@example.com>",
                headers=[("Auto-Submitted", "auto-replied"), ("In-Reply-To", ours.message_id)],
            )
            reply_row, _ = inbound_store(mailbox=mailbox, raw=robot_reply, source="pipe")
            inbound_process(inbound_id=reply_row.pk)

    assert Ticket.objects.count() == 1
    assert len(answered) == 1  # our acknowledgement, once: nothing answers an auto-reply
    assert set(InboundMessage.objects.exclude(pk=row.pk).values_list("outcome", flat=True)) <= {
        Outcome.AUTO_REPLY
    }
