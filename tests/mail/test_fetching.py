"""The IMAP fetcher against a real server (a private Dovecot): by UID, unread, into the
ledger before the server's copy moves, exactly once whatever breaks in between."""

import pytest
from django.core import mail as sent_mail

from mail.fetching import ALERT_AFTER_FAILURES, mailbox_fetch, mailboxes_due
from mail.models import InboundMessage, Mailbox
from tests.mail.conftest import message
from tickets.models import Ticket


def test_fetched_into_the_ledger_byte_exact_then_moved(imap_box, imap_mailbox):
    raws = [message(message_id=f"<f{i}@x>", subject=f"Ticket {i}") for i in range(3)]
    uids = [imap_mailbox.append(raw) for raw in raws]

    result = mailbox_fetch(mailbox=imap_box)

    assert (result.stored, result.known, result.error) == (3, 0, "")
    rows = InboundMessage.objects.order_by("imap_uid")
    assert [(r.imap_uid, bytes(r.raw), r.source) for r in rows] == [
        (uid, raw, "imap") for uid, raw in zip(uids, raws, strict=True)
    ]
    assert imap_mailbox.messages("INBOX") == []
    assert [m.raw for m in imap_mailbox.messages("Processed")] == raws
    imap_box.refresh_from_db()
    assert (imap_box.failures, imap_box.last_fetched_at is not None) == (0, True)


def test_flag_mode_marks_seen_and_never_fetches_twice(imap_box, imap_mailbox):
    imap_box.after_processing = Mailbox.AfterProcessing.FLAG
    imap_box.save()
    imap_mailbox.append(message())

    assert mailbox_fetch(mailbox=imap_box).stored == 1
    [kept] = imap_mailbox.messages("INBOX")
    assert "\\Seen" in kept.flags
    assert mailbox_fetch(mailbox=imap_box).stored == 0


def test_batches_are_bounded_and_oldest_first(imap_box, imap_mailbox):
    for i in range(5):
        imap_mailbox.append(message(message_id=f"<b{i}@x>", subject=f"n{i}"))
    assert mailbox_fetch(mailbox=imap_box, limit=2).stored == 2
    assert sorted(InboundMessage.objects.values_list("imap_uid", flat=True)) == [1, 2]
    assert mailbox_fetch(mailbox=imap_box, limit=10).stored == 3
    assert sorted(InboundMessage.objects.values_list("imap_uid", flat=True)) == [1, 2, 3, 4, 5]


def test_a_fetcher_killed_before_moving_leaves_nothing_twice(imap_box, imap_mailbox, monkeypatch):
    """Stored, then the connection drops before the move: the next run fetches the same
    messages again, and the ledger makes them nothing new."""
    for i in range(3):
        imap_mailbox.append(message(message_id=f"<k{i}@x>"))

    def drop(*args, **kwargs):
        imap_mailbox.kill_connections()
        raise OSError("connection lost")

    monkeypatch.setattr("mail.fetching._after", drop)
    result = mailbox_fetch(mailbox=imap_box)
    assert (result.stored, "connection lost" in result.error) == (3, True)
    assert len(imap_mailbox.messages("INBOX")) == 3  # still there: not moved
    monkeypatch.undo()

    again = mailbox_fetch(mailbox=imap_box)

    assert (again.stored, again.known, again.error) == (0, 3, "")
    assert InboundMessage.objects.count() == 3
    assert imap_mailbox.messages("INBOX") == []


def test_the_connection_dropped_mid_batch_loses_nothing(imap_box, imap_mailbox, monkeypatch):
    for i in range(4):
        imap_mailbox.append(message(message_id=f"<d{i}@x>"))
    from mail import fetching

    real_store = fetching.inbound_store
    calls = []

    def store_then_drop(**kwargs):
        row = real_store(**kwargs)
        calls.append(1)
        if len(calls) == 2:
            imap_mailbox.kill_connections()
        return row

    monkeypatch.setattr("mail.fetching.inbound_store", store_then_drop)
    first = mailbox_fetch(mailbox=imap_box)
    assert first.error and first.stored == 2
    monkeypatch.undo()

    second = mailbox_fetch(mailbox=imap_box)
    assert second.error == ""
    assert InboundMessage.objects.count() == 4
    assert imap_mailbox.messages("INBOX") == []


@pytest.mark.django_db(transaction=True)
def test_fetched_mail_becomes_tickets(imap_box, imap_mailbox):
    imap_mailbox.append(message(sender="pam@example.com", subject="Printer jammed"))
    mailbox_fetch(mailbox=imap_box)
    assert Ticket.objects.get().subject == "Printer jammed"


def test_a_failing_mailbox_backs_off_and_tells_the_admins_once(imap_box, settings):
    settings.ADMINS = [("Kevin", "kevin@theoffice.example")]
    imap_box.imap_password = "wrong"
    imap_box.save()
    delays = []
    for _ in range(ALERT_AFTER_FAILURES + 1):
        result = mailbox_fetch(mailbox=imap_box)
        imap_box.refresh_from_db()
        delays.append(imap_box.next_fetch_at)
        assert result.error
    assert imap_box.failures == ALERT_AFTER_FAILURES + 1
    assert "wrong" not in imap_box.last_error  # the password is never in an error we keep
    assert delays == sorted(delays)
    alerts = [m for m in sent_mail.outbox if "cannot be fetched" in m.subject]
    assert len(alerts) == 1


def test_tls_is_required_to_a_remote_server(imap_box):
    imap_box.imap_host = "imap.example.com"
    imap_box.save()
    result = mailbox_fetch(mailbox=imap_box)
    assert "only allowed to a server on this machine" in result.error


def test_tls_with_the_servers_certificate(imap_box, imap_mailbox, imap_server, monkeypatch):
    if not imap_mailbox.tls_port:
        pytest.skip("no TLS port (openssl missing)")
    imap_box.imap_security = Mailbox.Security.TLS
    imap_box.imap_port = imap_mailbox.tls_port
    imap_box.save()
    imap_mailbox.append(message())
    # Trust the test server's self-signed certificate, as a real one is trusted by the system.
    monkeypatch.setattr("mail.fetching.tls_context", imap_server.ssl_context)
    assert mailbox_fetch(mailbox=imap_box).stored == 1


def test_one_mailbox_is_claimed_by_one_fetcher_per_interval(imap_box):
    assert mailboxes_due() == [imap_box.pk]
    assert mailboxes_due() == []  # claimed until its interval passes
