"""Messages larger than MAIL_MAX_MESSAGE_BYTES, by every path: recorded once by their
headers, never downloaded whole, answered once (never to a machine), the admins told once,
and the IMAP server's copy moved so that they never stall the mailbox."""

import os
import subprocess
import sys
import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail as sent_mail
from django.db import connection
from django.utils import timezone

from mail.fetching import mailbox_fetch
from mail.models import InboundMessage, Mailbox
from mail.oversized import (
    HEAD_MAX_BYTES,
    LEASE,
    NOT_SENT_ANSWERED,
    NOT_SENT_CAPPED,
    NOT_SENT_OURS,
    _claim,
    header_block,
    inbound_answer_oversized,
    inbound_oversized_owed,
    inbound_store_oversized,
)
from tests.mail.conftest import message
from tests.mail.test_webhooks import MAILGUN_RAW, basic_auth, mailgun_raw_fields
from tests.support.admin_helpers import admin_url
from tests.support.celery_harness import BASE_DIR, database_url, sending_to_workers, wait_for
from tickets.models import Notification, Ticket
from tickets.outbox import notifications_send_pending

LIMIT = 2000  # bytes: a test's "too large" is a few KB, not 25 MB

REPLY_SUBJECT = "Too large to accept: "


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.MAIL_MAX_MESSAGE_BYTES = LIMIT
    settings.ADMINS = [("Kevin", "kevin@theoffice.example")]


def big(**kwargs) -> bytes:
    kwargs.setdefault("subject", "Scans of the warehouse")
    kwargs.setdefault("message_id", "<big1@mail.example>")
    return message(body="x" * (LIMIT * 3), **kwargs)


def replies() -> list:
    return [m for m in sent_mail.outbox if m.subject.startswith(REPLY_SUBJECT)]


def notices() -> list:
    return [m for m in sent_mail.outbox if "Message too large for" in m.subject]


def test_header_block_is_the_headers_only():
    raw = big()
    head = header_block(raw)
    assert raw.startswith(head) and head.endswith(b"\r\n\r\n")
    assert b"xxx" not in head
    long_line = b"Subject: " + b"a" * 100_000 + b"\r\nFrom: x\r\n"
    assert len(header_block(long_line)) == HEAD_MAX_BYTES + 2
    assert header_block(b"From: x\r\n" + long_line) == b"From: x\r\n"


# IMAP ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_oversized_message_among_normal_ones(
    imap_box, imap_mailbox, django_capture_on_commit_callbacks
):
    first = message(message_id="<n1@x>", subject="Printer jammed", sender="pam@example.com")
    last = message(message_id="<n2@x>", subject="Mouse broken", sender="dwight@example.com")
    for raw in (first, big(), last):
        imap_mailbox.append(raw)

    with django_capture_on_commit_callbacks(execute=True):
        result = mailbox_fetch(mailbox=imap_box)

    assert (result.stored, result.too_large, result.known, result.error) == (2, 1, 0, "")
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Mouse broken",
        "Printer jammed",
    ]
    row = InboundMessage.objects.get(oversized=True)
    assert (row.status, row.outcome, row.size, row.source, row.imap_uid) == (
        "processed",
        "too_large",
        len(big()),
        "imap",
        2,
    )
    assert bytes(row.raw) == header_block(big())  # only the headers were downloaded
    assert (row.subject, row.from_address, row.ticket) == (
        "Scans of the warehouse",
        "jim@example.com",
        None,
    )
    assert (row.reply, row.reply_sent_at is not None, row.admins_notified_at is not None) == (
        "sent",
        True,
        True,
    )
    [reply] = replies()
    assert reply.to == ["jim@example.com"]
    [notice] = notices()
    assert "in the folder Processed" in notice.body
    # Moved like the others: nothing left to block the next batch; the original is kept.
    assert imap_mailbox.messages("INBOX") == []
    assert big() in [m.raw for m in imap_mailbox.messages("Processed")]

    # Fetched again (delivered again, say): the same row, nothing new, no second reply.
    imap_mailbox.append(big())
    with django_capture_on_commit_callbacks(execute=True):
        again = mailbox_fetch(mailbox=imap_box)
        nothing = mailbox_fetch(mailbox=imap_box)
    assert (again.stored, again.too_large, again.known) == (0, 0, 1)
    assert (nothing.stored, nothing.too_large, nothing.known) == (0, 0, 0)
    assert InboundMessage.objects.filter(oversized=True).count() == 1
    assert (len(replies()), len(notices())) == (1, 1)


@pytest.mark.django_db
def test_oversized_messages_no_longer_stall_the_oldest_first_batch(imap_box, imap_mailbox):
    for n in range(3):
        imap_mailbox.append(big(message_id=f"<big{n}@x>"))
    imap_mailbox.append(message(message_id="<small@x>", subject="Small one"))

    first = mailbox_fetch(mailbox=imap_box, limit=2)
    second = mailbox_fetch(mailbox=imap_box, limit=2)

    assert (first.too_large, first.stored) == (2, 0)
    assert (second.too_large, second.stored) == (1, 1)
    assert InboundMessage.objects.filter(oversized=False).get().message_id == "small@x"
    assert imap_mailbox.messages("INBOX") == []


@pytest.mark.django_db
def test_in_flag_mode_the_oversized_copy_is_marked_seen_and_left(
    imap_box, imap_mailbox, django_capture_on_commit_callbacks
):
    imap_box.after_processing = Mailbox.AfterProcessing.FLAG
    imap_box.save()
    imap_mailbox.append(big())

    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox_fetch(mailbox=imap_box).too_large == 1
    [kept] = imap_mailbox.messages("INBOX")
    assert "\\Seen" in kept.flags and kept.raw == big()
    assert mailbox_fetch(mailbox=imap_box).too_large == 0
    assert "in INBOX, marked as seen" in notices()[0].body


# The pipe ------------------------------------------------------------------------------


def pipe(raw: bytes, mail_dir: Path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(django_settings.DATABASES["default"]),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "ERROR",
        "MAIL_MAX_MESSAGE_BYTES": str(LIMIT),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "ADMINS": "kevin@theoffice.example",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "mail_pipe", "--mailbox", "it@theoffice.example"],
        input=raw,
        capture_output=True,
        cwd=BASE_DIR,
        env=env,
        timeout=60,
        check=False,
    )


def sent_files(mail_dir: Path) -> list:
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        # The file backend writes each message followed by a line of dashes.
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(message_from_bytes(chunk.lstrip(), policy=policy.default))
    return found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_pipe_answers_once_and_exits_0_so_the_mta_does_not_bounce_too(mailbox, tmp_path):
    raw = big(subject="Scans of the warehouse")
    first = pipe(raw, tmp_path)
    again = pipe(raw, tmp_path)

    assert (first.returncode, first.stderr) == (0, b"")
    assert b"too large" in first.stdout and b"already recorded" in again.stdout
    assert again.returncode == 0
    row = InboundMessage.objects.get()
    assert (row.oversized, row.size, bytes(row.raw), row.source, row.reply) == (
        True,
        len(raw),
        header_block(raw),
        "pipe",
        "sent",
    )
    sent = sent_files(tmp_path)
    answers = [m for m in sent if str(m["Subject"]).startswith(REPLY_SUBJECT)]
    assert [str(m["To"]) for m in answers] == ["jim@example.com"]
    assert answers[0]["Message-ID"] == row.reply_message_id
    assert len([m for m in sent if "Message too large" in str(m["Subject"])]) == 1
    assert not Ticket.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_pipe_never_answers_an_auto_reply(mailbox, tmp_path):
    raw = big(headers=[("Auto-Submitted", "auto-replied")])
    assert pipe(raw, tmp_path).returncode == 0
    row = InboundMessage.objects.get()
    assert (row.reply, row.reply_note) == ("not_sent", "Not sent: sent by a machine "
                                           "(Auto-Submitted: auto-replied).")  # fmt: skip
    assert not [m for m in sent_files(tmp_path) if str(m["Subject"]).startswith(REPLY_SUBJECT)]


# A provider's webhook ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_webhook_post_of_an_oversized_message_is_recorded_and_answered_once(
    desk, settings, client, django_capture_on_commit_callbacks
):
    signing_key = "key-0123456789abcdef0123456789abcdef"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": signing_key}
    Mailbox.objects.create(
        address="it@theoffice.example", department=desk.it, transport=Mailbox.Transport.WEBHOOK
    )
    raw = message(body="x" * (LIMIT + 500), message_id="<big1@mail.example>")
    assert LIMIT < len(raw) < 2 * LIMIT  # read (under the post limit), too large to take

    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(MAILGUN_RAW, data=mailgun_raw_fields(raw), **basic_auth()),
            client.post(MAILGUN_RAW, data=mailgun_raw_fields(raw), **basic_auth()),
        ]

    assert [r.status_code for r in responses] == [200, 200]
    row = InboundMessage.objects.get()
    assert (row.oversized, row.size, bytes(row.raw), row.source) == (
        True,
        len(raw),
        header_block(raw),
        "webhook",
    )
    assert (len(replies()), len(notices())) == (1, 1)
    assert "the provider's logs may still hold it" in notices()[0].body
    assert not Ticket.objects.exists()


# The reply -------------------------------------------------------------------------------


def store(mailbox, raw: bytes, capture) -> InboundMessage:
    with capture(execute=True):
        row, _ = inbound_store_oversized(mailbox=mailbox, head=raw, size=len(raw), source="pipe")
    row.refresh_from_db()
    return row


@pytest.mark.django_db
def test_the_reply_is_polite_automatic_and_threaded(
    mailbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_NAME = "Dunder Mifflin IT"
    row = store(mailbox, big(), django_capture_on_commit_callbacks)
    [reply] = replies()
    assert reply.from_email == '"Dunder Mifflin IT" <it@theoffice.example>' or (
        reply.from_email == "Dunder Mifflin IT <it@theoffice.example>"
    )
    assert reply.to == ["jim@example.com"]
    assert reply.subject == "Too large to accept: Scans of the warehouse"
    assert {name: reply.extra_headers[name] for name in ("Auto-Submitted", "In-Reply-To")} == {
        "Auto-Submitted": "auto-replied",
        "In-Reply-To": "<big1@mail.example>",
    }
    assert reply.extra_headers["References"] == "<big1@mail.example>"
    assert reply.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert reply.extra_headers["Message-ID"] == row.reply_message_id
    assert (
        "Your message 'Scans of the warehouse' of 6 KB is larger than the 2 KB we accept; "
        "send it again with smaller files or links." in reply.body
    )
    # As it goes on the wire: one line of each, nothing added by the sender's text.
    wire = reply.message().as_bytes()
    assert wire.count(b"\nAuto-Submitted: auto-replied") == 1


@pytest.mark.django_db
def test_the_subject_is_text_one_line_and_never_html(mailbox, django_capture_on_commit_callbacks):
    # An encoded word hiding a line break and a header, and HTML.
    subject = "=?utf-8?q?Hi=0D=0ABcc=3A_dwight=40example.com_=3Cb=3Ebold=3C/b=3E?="
    store(mailbox, big(subject=subject), django_capture_on_commit_callbacks)
    [reply] = replies()
    assert reply.subject == "Too large to accept: Hi Bcc: dwight@example.com <b>bold</b>"
    wire = reply.message().as_bytes()
    assert b"\nBcc:" not in wire and reply.bcc == []
    html = reply.alternatives[0][0]
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "<b>bold</b>" in reply.body  # text stays text


@pytest.mark.parametrize(
    ("headers", "sender", "note"),
    [
        ([("Auto-Submitted", "auto-replied")], None, "Auto-Submitted: auto-replied"),
        ([("List-Id", "<staff.theoffice.example>")], None, "mailing list"),
        ([("Precedence", "bulk")], None, "Precedence: bulk"),
        ([], "MAILER-DAEMON@mail.example", "from mailer-daemon@mail.example"),
        ([], "it@theoffice.example", NOT_SENT_OURS),
        ([], "not an address", "no sender address"),
    ],
    ids=["auto-reply", "list", "bulk", "bounce", "our own", "no address"],
)
@pytest.mark.django_db
def test_no_reply_to_a_machine_or_ourselves_and_the_admins_hear_anyway(
    mailbox, django_capture_on_commit_callbacks, headers, sender, note
):
    raw = big(headers=headers, **({"sender": sender} if sender else {}))
    row = store(mailbox, raw, django_capture_on_commit_callbacks)
    assert row.reply == "not_sent" and note in row.reply_note
    assert replies() == []
    [notice] = notices()
    assert "No reply to the sender." in notice.body


@pytest.mark.django_db
def test_the_reply_counts_against_the_cap_of_automatic_mail(
    mailbox, django_capture_on_commit_callbacks, settings
):
    settings.AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR = 1
    store(mailbox, big(message_id="<a@x>"), django_capture_on_commit_callbacks)
    second = store(mailbox, big(message_id="<b@x>"), django_capture_on_commit_callbacks)
    assert len(replies()) == 1
    assert (second.reply, second.reply_note) == ("not_sent", NOT_SENT_CAPPED.format(cap=1))


@pytest.mark.django_db
def test_the_same_message_to_two_mailboxes_is_answered_once(
    mailbox, sales_mailbox, django_capture_on_commit_callbacks
):
    store(mailbox, big(), django_capture_on_commit_callbacks)
    other = store(sales_mailbox, big(), django_capture_on_commit_callbacks)
    assert len(replies()) == 1
    assert other.reply_note == NOT_SENT_ANSWERED.format(mailbox=mailbox)


# Exactly once ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_answered_once_however_often_the_task_runs(mailbox):
    row, _ = inbound_store_oversized(mailbox=mailbox, head=big(), size=99_999, source="pipe")
    assert inbound_oversized_owed() == [row.pk]

    assert inbound_answer_oversized(inbound_id=row.pk) is not None
    assert inbound_answer_oversized(inbound_id=row.pk) is None
    assert inbound_oversized_owed() == []
    assert (len(replies()), len(notices())) == (1, 1)


@pytest.mark.django_db
def test_a_worker_that_died_holding_it_delays_it_and_the_sweep_sends_it_once(mailbox):
    row, _ = inbound_store_oversized(mailbox=mailbox, head=big(), size=99_999, source="pipe")
    assert _claim(row.pk) is not None  # a worker took it, then died before sending
    claimed_id = InboundMessage.objects.get().reply_message_id

    assert inbound_answer_oversized(inbound_id=row.pk) is None  # held by the lease
    assert inbound_oversized_owed() == []
    with time_machine.travel(timezone.now() + LEASE + timezone.timedelta(seconds=1)):
        assert inbound_oversized_owed() == [row.pk]
        assert inbound_answer_oversized(inbound_id=row.pk) is not None
    [reply] = replies()
    assert reply.extra_headers["Message-ID"] == claimed_id  # the id stored at the claim


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_reply(mailbox, monkeypatch):
    monkeypatch.setattr("mail.oversized.enqueue_on_commit", lambda *args, **kwargs: None)
    row, _ = inbound_store_oversized(mailbox=mailbox, head=big(), size=99_999, source="pipe")
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(inbound_answer_oversized(inbound_id=row.pk) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert (len(replies()), len(notices())) == (1, 1)


@pytest.mark.django_db
def test_a_failed_send_is_retried_and_sent_once(mailbox, monkeypatch):
    row, _ = inbound_store_oversized(mailbox=mailbox, head=big(), size=99_999, source="pipe")

    def refuse(self, fail_silently=False):
        raise OSError("SMTP server unavailable")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    inbound_answer_oversized(inbound_id=row.pk)
    row.refresh_from_db()
    assert (row.reply, row.reply_attempts, row.reply_note) == (
        "pending",
        1,
        "SMTP server unavailable",
    )
    monkeypatch.undo()
    assert inbound_oversized_owed() == []  # not before the next try is due
    with time_machine.travel(timezone.now() + LEASE + timezone.timedelta(seconds=1)):
        assert inbound_oversized_owed() == [row.pk]
        inbound_answer_oversized(inbound_id=row.pk)
    row.refresh_from_db()
    assert (row.reply, row.reply_attempts, len(replies())) == ("sent", 2, 1)
    assert inbound_oversized_owed() == []


# The admin -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_size_the_oversized_state_and_the_reply(
    admin_client, mailbox, django_capture_on_commit_callbacks
):
    store(mailbox, big(), django_capture_on_commit_callbacks)
    store(
        mailbox,
        big(
            message_id="<auto@x>",
            subject="Out of office",
            headers=[("Auto-Submitted", "auto-replied")],
        ),
        django_capture_on_commit_callbacks,
    )
    InboundMessage.objects.create(
        mailbox=mailbox, message_id="small@x", sha256="0" * 64, raw=b"x", size=1, source="pipe",
        subject="A small one",
    )  # fmt: skip
    url = admin_url(InboundMessage, "changelist")

    page = admin_client.get(url).content.decode()
    assert page.count("(too large)") == 2 and "A small one" in page
    assert "Sent " in page and "Not sent: sent by a machine" in page

    oversized = admin_client.get(url, {"oversized__exact": "1"}).content.decode()
    assert "A small one" not in oversized and "Scans of the warehouse" in oversized
    not_sent = admin_client.get(url, {"reply__exact": "not_sent"}).content.decode()
    assert "Out of office" in not_sent and "Scans of the warehouse" not in not_sent

    row = InboundMessage.objects.get(message_id="big1@mail.example")
    detail = admin_client.get(admin_url(InboundMessage, "change", row.pk)).content.decode()
    assert "Subject: Scans of the warehouse" in detail and "xxxx" not in detail


# A real worker -------------------------------------------------------------------------------


@pytest.fixture
def worker_mail(monkeypatch, tmp_path):
    """The worker's outgoing mail, as files (its process is not ours to inspect), and the
    settings it needs, from its environment."""
    folder = tmp_path / "mail"
    folder.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(folder))
    monkeypatch.setenv("MAIL_MAX_MESSAGE_BYTES", str(LIMIT))
    monkeypatch.setenv("ADMINS", "kevin@theoffice.example")
    return folder


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_reply_and_notice_leave_through_a_real_worker_once(
    worker_mail, mailbox, celery_worker
):
    with sending_to_workers():
        row, _ = inbound_store_oversized(mailbox=mailbox, head=big(), size=99_999, source="pipe")

    wait_for(
        lambda: InboundMessage.objects.filter(
            pk=row.pk, reply="sent", admins_notified_at__isnull=False
        ).exists(),
        timeout=30,
        message="the worker never answered the oversized message",
    )
    # Beat's sweep after it: nothing is owed, nothing more is sent.
    assert inbound_oversized_owed() == []
    sent = sent_files(worker_mail)
    assert [str(m["To"]) for m in sent if str(m["Subject"]).startswith(REPLY_SUBJECT)] == [
        "jim@example.com"
    ]
    assert len([m for m in sent if "Message too large" in str(m["Subject"])]) == 1


@pytest.mark.django_db
def test_a_nul_in_the_subject_or_message_id_is_recorded_and_answered_once(
    mailbox, django_capture_on_commit_callbacks
):
    raw = big(subject="CRM\x00 is down", message_id="<m1\x00@mail.example>")
    first = store(mailbox, raw, django_capture_on_commit_callbacks)
    again = store(mailbox, raw, django_capture_on_commit_callbacks)
    assert first.pk == again.pk and first.message_id == ""
    [reply] = replies()
    assert "\x00" not in reply.subject and "CRM" in reply.subject


@pytest.mark.django_db
def test_the_outboxs_automatic_mail_counts_against_the_same_cap(
    desk, mailbox, django_capture_on_commit_callbacks, settings
):
    settings.AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR = 1
    desk.ticket()  # acknowledged by the outbox: one automatic email to the requester
    notifications_send_pending()
    assert Notification.objects.filter(recipient=desk.requester, sent_at__isnull=False).exists()

    row = store(
        mailbox, big(sender=desk.requester.email.upper()), django_capture_on_commit_callbacks
    )

    assert (row.reply, row.reply_note) == ("not_sent", NOT_SENT_CAPPED.format(cap=1))
    assert replies() == []
