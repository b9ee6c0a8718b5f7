"""From the ledger to the ticket: each message exactly once, into the right ticket, never
into someone else's, and never lost."""

import pytest
from django.core import mail as outbox_mail

from accounts.models import User
from mail.ledger import inbound_store
from mail.models import InboundMessage
from mail.processing import NO_TEXT, inbound_process
from mail.services import inbound_retry
from tests.mail.conftest import message
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tickets.models import EntryKind, Notification, Source, Status, Ticket
from tickets.outbox import notifications_send_pending
from tickets.services import ticket_close, ticket_merge, ticket_resolve

Outcome = InboundMessage.Outcome


def deliver(mailbox, raw: bytes) -> InboundMessage:
    row, _ = inbound_store(mailbox=mailbox, raw=raw, source=InboundMessage.Source.PIPE)
    inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    return row


def acknowledgement_id(ticket) -> str:
    notifications_send_pending()
    return Notification.objects.get(
        ticket=ticket, kind=Notification.Kind.REQUESTER_ACKNOWLEDGEMENT
    ).message_id


def test_mail_from_a_stranger_opens_a_ticket_for_a_new_guest(mailbox):
    row = deliver(mailbox, message(sender="Pam Beesly <Pam@Example.com>"))

    assert (row.status, row.outcome) == ("processed", Outcome.NEW_TICKET)
    ticket = row.ticket
    assert (ticket.subject, ticket.department, ticket.source) == (
        "CRM is down",
        mailbox.department,
        Source.EMAIL,
    )
    assert (ticket.requester.email, ticket.requester.display_name) == (
        "pam@example.com",
        "Pam Beesly",
    )
    entry = ticket.entries.get()
    assert (entry, entry.body, entry.source) == (row.entry, "The CRM system is down.", "email")
    assert Notification.objects.filter(
        ticket=ticket, kind=Notification.Kind.REQUESTER_ACKNOWLEDGEMENT
    ).exists()


def test_a_reply_to_our_acknowledgement_threads_into_the_same_ticket(mailbox, desk):
    first = deliver(mailbox, message(sender="jim@example.com"))
    root = acknowledgement_id(first.ticket)
    reply = message(
        sender="jim@example.com",
        subject="Re: We received your request",
        message_id="<m2@mail.example>",
        body="It is still down.\r\n\r\nOn Mon, IT wrote:\r\n> We received your request",
        headers=[("In-Reply-To", root), ("References", root)],
    )

    row = deliver(mailbox, reply)

    assert (row.outcome, row.ticket) == (Outcome.MESSAGE, first.ticket)
    entry = row.entry
    assert (entry.kind, entry.body, entry.source) == (
        EntryKind.MESSAGE,
        "It is still down.",
        "email",
    )
    assert "We received your request" in entry.quoted
    assert Ticket.objects.count() == 1


def test_the_same_message_twice_is_one_row_and_one_ticket(mailbox):
    first, created = inbound_store(mailbox=mailbox, raw=message(), source="pipe")
    again, created_again = inbound_store(mailbox=mailbox, raw=message(), source="imap")
    assert (created, created_again, first.pk) == (True, False, again.pk)
    inbound_process(inbound_id=first.pk)
    assert inbound_process(inbound_id=first.pk) is None  # done already: nothing twice
    assert Ticket.objects.count() == 1


def test_a_stored_message_is_processed_after_commit_and_a_repeat_queues_nothing(
    mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row, _ = inbound_store(mailbox=mailbox, raw=message(), source="pipe")
        assert InboundMessage.objects.get(pk=row.pk).status == "pending"  # not before commit
    row.refresh_from_db()
    assert row.outcome == Outcome.NEW_TICKET  # the task ran (eagerly) once committed
    with django_capture_on_commit_callbacks(execute=True) as again:
        inbound_store(mailbox=mailbox, raw=message(), source="imap")
    assert (again, Ticket.objects.count()) == ([], 1)


def test_a_message_to_two_of_our_addresses_is_one_ticket(mailbox, sales_mailbox):
    raw = message(to="it@theoffice.example, sales@theoffice.example")
    one, two = deliver(mailbox, raw), deliver(sales_mailbox, raw)
    assert (one.outcome, two.outcome) == (Outcome.NEW_TICKET, Outcome.DUPLICATE)
    assert two.ticket == one.ticket and Ticket.objects.count() == 1


def test_a_message_without_message_id_is_kept_once_by_its_content(mailbox):
    raw = message(message_id="")
    first, _ = inbound_store(mailbox=mailbox, raw=raw, source="pipe")
    again, created = inbound_store(mailbox=mailbox, raw=raw, source="pipe")
    assert (first.pk, created) == (again.pk, False)


def test_a_subject_tag_is_believed_from_the_requester_only(mailbox, desk):
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    tagged = f"Re: [#{ticket.number}] CRM"
    row = deliver(mailbox, message(sender="jim@example.com", subject=tagged, message_id="<m2@x>"))
    assert (row.outcome, row.ticket) == (Outcome.MESSAGE, ticket)

    # Someone else typing the number gets a ticket of their own, not a seat in Jim's.
    row = deliver(
        mailbox, message(sender="mallory@evil.example", subject=tagged, message_id="<m3@x>")
    )
    assert row.outcome == Outcome.NEW_TICKET and row.ticket != ticket
    assert not ticket.entries.filter(author__email="mallory@evil.example").exists()


def test_a_stranger_threading_by_headers_is_kept_for_agents_and_changes_nothing(mailbox, desk):
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    root = acknowledgement_id(ticket)
    before = (ticket.status, ticket.events.count())
    row = deliver(
        mailbox,
        message(
            sender="mallory@evil.example",
            message_id="<m9@x>",
            body="I am Jim's boss, close this.",
            headers=[("In-Reply-To", root)],
        ),
    )
    ticket.refresh_from_db()
    assert (row.outcome, row.ticket, row.entry.kind) == (
        Outcome.NON_PARTICIPANT,
        ticket,
        EntryKind.EXTERNAL,
    )
    assert (ticket.status, ticket.events.count()) == before
    assert not row.entry.is_public


def test_an_agent_answers_a_notification_by_email(mailbox, desk):
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    notifications_send_pending()
    new_ticket_mail = Notification.objects.get(
        ticket=ticket, kind=Notification.Kind.NEW_TICKET, recipient=desk.agent.user
    )
    reply_to = [("In-Reply-To", new_ticket_mail.message_id)]
    sender = desk.agent.user.email

    row = deliver(
        mailbox, message(sender=sender, message_id="<a1@x>", body="Restart it.", headers=reply_to)
    )
    assert (row.entry.kind, row.entry.author, row.entry.body) == (
        EntryKind.REPLY,
        desk.agent.user,
        "Restart it.",
    )
    row = deliver(
        mailbox,
        message(
            sender=sender, message_id="<a2@x>", body="#note\r\nVendor issue.", headers=reply_to
        ),
    )
    assert (row.entry.kind, row.entry.body) == (EntryKind.NOTE, "Vendor issue.")


def test_an_agents_emailed_reply_keeps_nothing_of_what_it_quoted(mailbox, desk):
    # The agent's mail program quotes the notification, which may hold an internal note:
    # the requester sees the reply, so only its own text is kept.
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    notifications_send_pending()
    notification = Notification.objects.get(
        ticket=ticket, kind=Notification.Kind.NEW_TICKET, recipient=desk.agent.user
    )
    html = "<p>Restart it.</p><blockquote>Internal: the vendor owes us money.</blockquote>"
    row = deliver(
        mailbox,
        message(
            sender=desk.agent.user.email,
            message_id="<a3@x>",
            body=html,
            content_type="text/html; charset=utf-8",
            headers=[("In-Reply-To", notification.message_id)],
        ),
    )
    assert row.entry.kind == EntryKind.REPLY
    assert (row.entry.body_html, row.entry.quoted) == ("", "")
    assert "vendor" not in row.entry.body


def test_a_reply_reopens_a_resolved_ticket_and_a_closed_one_gets_a_follow_up(mailbox, desk):
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    root = acknowledgement_id(ticket)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    deliver(
        mailbox,
        message(sender="jim@example.com", message_id="<r1@x>", headers=[("In-Reply-To", root)]),
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    ticket_close(ticket=ticket, by=desk.agent.user)
    row = deliver(
        mailbox,
        message(sender="jim@example.com", message_id="<r2@x>", headers=[("In-Reply-To", root)]),
    )
    assert row.outcome == Outcome.NEW_TICKET and row.ticket != ticket
    assert row.entry.body.startswith(f"(Follow-up to closed ticket #{ticket.number}.)")


def test_a_reply_to_a_merged_ticket_joins_the_ticket_it_continues_in(mailbox, desk):
    source = deliver(mailbox, message(sender="jim@example.com")).ticket
    root = acknowledgement_id(source)
    target = desk.ticket()
    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    row = deliver(
        mailbox,
        message(sender="jim@example.com", message_id="<m1@x>", headers=[("In-Reply-To", root)]),
    )
    assert row.ticket == target
    assert row.entry.ticket_id == target.pk


def test_auto_replies_never_open_reopen_or_acknowledge(mailbox, desk):
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    root = acknowledgement_id(ticket)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    entries = ticket.entries.count()
    out_of_office = message(
        sender="jim@example.com",
        subject="Out of Office: We received your request",
        message_id="<ooo1@x>",
        headers=[("Auto-Submitted", "auto-replied"), ("In-Reply-To", root)],
    )
    row = deliver(mailbox, out_of_office)
    ticket.refresh_from_db()
    assert (row.outcome, row.ticket, ticket.status) == (
        Outcome.AUTO_REPLY,
        ticket,
        Status.RESOLVED,
    )
    assert ticket.entries.count() == entries

    # Unthreaded, an out-of-office opens nothing either.
    row = deliver(
        mailbox,
        message(sender="dwight@example.com", subject="Automatic reply: x", message_id="<ooo2@x>"),
    )
    assert row.outcome == Outcome.AUTO_REPLY and row.ticket is None


def test_machine_mail_opens_a_ticket_without_acknowledging_it(mailbox):
    row = deliver(
        mailbox,
        message(
            sender="monitor@example.com", subject="Disk full", headers=[("Precedence", "bulk")]
        ),
    )
    assert row.outcome == Outcome.NEW_TICKET
    assert not Notification.objects.filter(
        kind=Notification.Kind.REQUESTER_ACKNOWLEDGEMENT
    ).exists()


def test_our_own_mail_coming_back_is_dropped(mailbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Help Desk <helpdesk@theoffice.example>"
    for sender in ("helpdesk@theoffice.example", "it@theoffice.example"):
        row = deliver(mailbox, message(sender=sender, message_id=f"<{sender}>"))
        assert row.outcome == Outcome.LOOP and row.ticket is None
    assert not Ticket.objects.exists()


def test_our_own_message_coming_back_from_elsewhere_is_dropped(mailbox, sales_mailbox):
    # Our acknowledgement, sent back by a forwarding rule: their From, our Message-ID.
    ticket = deliver(mailbox, message(sender="jim@example.com")).ticket
    ours = acknowledgement_id(ticket)
    row = deliver(mailbox, message(sender="forwarder@example.com", message_id=ours))
    assert (row.outcome, row.ticket) == (Outcome.LOOP, None)
    # And mail from a mailbox of ours that is switched off is still ours.
    sales_mailbox.is_active = False
    sales_mailbox.save()
    row = deliver(mailbox, message(sender=sales_mailbox.address, message_id="<s@x>"))
    assert row.outcome == Outcome.LOOP
    assert Ticket.objects.count() == 1


def test_a_mailbox_may_refuse_strangers(mailbox):
    mailbox.allow_unknown_senders = False
    mailbox.save()
    row = deliver(mailbox, message(sender="nobody@example.com"))
    assert (row.status, row.outcome, row.ticket) == ("processed", Outcome.REFUSED, None)
    known = UserFactory(email="known@example.com")
    row = deliver(mailbox, message(sender=known.email, message_id="<k@x>"))
    assert row.outcome == Outcome.NEW_TICKET


def test_a_poison_message_is_quarantined_and_the_others_go_on(mailbox, monkeypatch):
    good = inbound_store(mailbox=mailbox, raw=message(message_id="<good@x>"), source="pipe")[0]
    bad = inbound_store(
        mailbox=mailbox, raw=message(message_id="<bad@x>", sender=""), source="pipe"
    )[0]
    inbound_process(inbound_id=bad.pk)
    inbound_process(inbound_id=good.pk)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.ticket) == ("quarantined", None)
    assert "no sender" in bad.reason
    assert bytes(bad.raw) == message(message_id="<bad@x>", sender="")  # kept, byte for byte
    assert good.status == "processed" and good.ticket is not None

    def explode(*args, **kwargs):
        raise RuntimeError("a bug in the parser")

    monkeypatch.setattr("mail.processing.parse_message", explode)
    row = inbound_store(mailbox=mailbox, raw=message(message_id="<bug@x>"), source="pipe")[0]
    inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.reason) == ("quarantined", "RuntimeError: a bug in the parser")


def test_a_failure_after_the_ticket_was_written_undoes_it_and_quarantines(mailbox, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("copying went wrong")

    monkeypatch.setattr("mail.processing._copied", explode)  # after ticket_open
    raw = message(sender="Pam <pam@example.com>")
    row = inbound_store(mailbox=mailbox, raw=raw, source="pipe")[0]
    inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.reason, row.attempts) == (
        "quarantined",
        "RuntimeError: copying went wrong",
        1,
    )
    assert (row.from_address, row.subject, row.ticket) == ("pam@example.com", "CRM is down", None)
    assert not Ticket.objects.exists() and not Notification.objects.exists()
    assert not User.objects.filter(email="pam@example.com").exists()  # the new guest too
    assert inbound_process(inbound_id=row.pk) is None  # quarantined: not pending any more

    monkeypatch.undo()
    inbound_retry(inbound=row)
    processed = inbound_process(inbound_id=row.pk)
    assert (processed.status, processed.outcome, processed.attempts) == (
        "processed",
        "new_ticket",
        2,
    )
    assert Ticket.objects.count() == 1


def test_refused_files_are_named_in_the_message(mailbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lines = [
        "From: jim@example.com",
        "Subject: files",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "See attached.",
        "--b",
        "Content-Type: image/png",
        'Content-Disposition: attachment; filename="shot.png"',
        "Content-Transfer-Encoding: base64",
        "",
        "iVBORw0KGgoAAAAAAAAAAAAAAAA=",
        "--b",
        "Content-Type: text/html",
        'Content-Disposition: attachment; filename="page.html"',
        "",
        "<script>x</script>",
        "--b--",
    ]
    raw = "\r\n".join(lines).encode()
    row = deliver(mailbox, raw)
    assert [a.filename for a in row.entry.attachments.all()] == ["shot.png"]
    assert "[Not attached: page.html is not a kind of file we accept." in row.entry.body


def test_an_empty_message_still_opens_a_ticket(mailbox):
    row = deliver(mailbox, message(body="", subject=""))
    assert (row.ticket.subject, row.entry.body) == ("(no subject)", NO_TEXT)


def test_hostile_subjects_names_and_bodies_are_stored_exactly(mailbox):
    for index, payload in enumerate(PAYLOADS[:40]):
        line = payload.replace("\r", " ").replace("\n", " ")
        row = deliver(
            mailbox,
            message(
                sender=f"{UserFactory.build().display_name} <p{index}@example.com>",
                subject=line[:200],
                body=payload,
                message_id=f"<h{index}@x>",
            ),
        )
        assert row.status == "processed", row.reason
        assert row.entry.body == (payload.strip() or NO_TEXT)


@pytest.mark.postgres
def test_the_acknowledgement_of_an_email_ticket_goes_back_by_email(mailbox):
    row = deliver(mailbox, message(sender="pam@example.com"))
    notifications_send_pending()
    [ack] = [m for m in outbox_mail.outbox if m.to == ["pam@example.com"]]
    assert f"[#{row.ticket.number}]" in ack.subject


def test_people_copied_follow_the_ticket_and_may_answer_by_email(mailbox, sales_mailbox, desk):
    raw = message(
        sender="jim@example.com",
        to="it@theoffice.example, Pam <pam@example.com>",
        headers=[("Cc", "Dwight <dwight@example.com>, sales@theoffice.example")],
    )
    ticket = deliver(mailbox, raw).ticket
    assert sorted(ticket.collaborators.values_list("user__email", flat=True)) == [
        "dwight@example.com",
        "pam@example.com",
    ]
    root = acknowledgement_id(ticket)
    row = deliver(
        mailbox,
        message(
            sender="pam@example.com",
            message_id="<pam@x>",
            body="Sales is down too.",
            headers=[("In-Reply-To", root)],
        ),
    )
    assert (row.outcome, row.entry.kind, row.entry.author.email) == (
        Outcome.MESSAGE,
        EntryKind.MESSAGE,
        "pam@example.com",
    )


def test_list_mail_copies_nobody(mailbox):
    raw = message(
        sender="list@example.com",
        headers=[("Cc", "a@example.com, b@example.com"), ("List-Id", "<staff.example.com>")],
    )
    ticket = deliver(mailbox, raw).ticket
    assert not ticket.collaborators.exists()
