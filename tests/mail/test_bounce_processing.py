"""A bounce of our mail: an internal note by the system on the ticket whose email came
back, a stop on an address that failed for good, and nothing else."""

import pytest
from django.core import mail as outbox_mail

from mail.models import InboundMessage
from tests.mail.conftest import message
from tests.mail.test_bounces import CORPUS, dsn
from tests.mail.test_processing import acknowledgement_id, deliver
from tickets.models import (
    EntryKind,
    EventKind,
    MailSuppression,
    Notification,
    Status,
    ThreadEntry,
    TicketEvent,
)
from tickets.services import ticket_resolve

pytestmark = pytest.mark.postgres
Outcome = InboundMessage.Outcome


@pytest.fixture
def ticket(desk, mailbox):
    desk.requester.email = "jim@example.com"
    desk.requester.save(update_fields=["email"])
    return desk.ticket()


def test_a_permanent_failure_is_a_note_and_stops_mail_to_the_address(ticket, mailbox):
    ours = acknowledgement_id(ticket)
    outbox_mail.outbox.clear()
    entries_before = ThreadEntry.objects.filter(ticket=ticket).count()

    row = deliver(mailbox, dsn(action="failed", status="5.1.1", original_id=ours))

    assert (row.status, row.outcome, row.ticket) == ("processed", Outcome.BOUNCE, ticket)
    assert row.reason == "delivery status report: jim@example.com (permanent, 5.1.1)"
    note = row.entry
    assert (note.kind, note.author, note.ticket) == (EntryKind.NOTE, None, ticket)
    assert note.body == (
        "Mail to jim@example.com bounced: permanent failure (5.1.1). Nothing more is sent to "
        "this address until an agent chooses “Send mail again” beside the person.\n"
        "The server said: 550 5.1.1 <jim@example.com>: Recipient address rejected: User unknown"
    )
    assert ThreadEntry.objects.filter(ticket=ticket).count() == entries_before + 1
    stop = MailSuppression.objects.get()
    assert (stop.address, stop.status, stop.ticket, stop.is_active) == (
        "jim@example.com",
        "5.1.1",
        ticket,
        True,
    )
    assert "User unknown" in stop.reason
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.MAIL_STOPPED)
    assert (event.actor, event.data) == (
        None,
        {"to": {"id": stop.pk, "name": "jim@example.com"}, "status": "5.1.1"},
    )
    # Nobody is told by email, and nothing else about the ticket changed.
    assert not Notification.objects.filter(ticket=ticket, sent_at__isnull=True).exists()
    assert outbox_mail.outbox == []


def test_a_transient_failure_is_a_note_only(ticket, mailbox):
    ours = acknowledgement_id(ticket)

    row = deliver(mailbox, dsn(action="delayed", status="4.4.1", original_id=ours))

    assert (row.outcome, row.ticket) == (Outcome.BOUNCE, ticket)
    assert row.entry.body.startswith(
        "Mail to jim@example.com was not delivered yet: temporary failure (4.4.1). "
        "The mail server may still deliver it; nothing is stopped."
    )
    assert not MailSuppression.objects.exists()


def test_a_bounce_never_reopens_or_changes_the_ticket(desk, ticket, mailbox):
    ours = acknowledgement_id(ticket)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    ticket.refresh_from_db()
    before = (ticket.status, ticket.priority, ticket.assignee_id, ticket.department_id)
    events_before = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    unsent_before = Notification.objects.filter(sent_at__isnull=True).count()

    row = deliver(mailbox, dsn(action="failed", status="5.1.1", original_id=ours))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id, ticket.department_id) == before
    assert ticket.status == Status.RESOLVED
    new_kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert new_kinds - events_before == {EventKind.MAIL_STOPPED}
    assert Notification.objects.filter(sent_at__isnull=True).count() == unsent_before
    assert row.outcome == Outcome.BOUNCE


def test_a_bounce_of_mail_we_never_sent_is_recorded_without_a_ticket(ticket, mailbox):
    tickets_before = type(ticket).objects.count()

    row = deliver(mailbox, dsn(action="failed", status="5.1.1", original_id="<not@ours>"))

    assert (row.status, row.outcome, row.ticket, row.entry) == (
        "processed",
        Outcome.BOUNCE,
        None,
        None,
    )
    assert row.reason == (
        "delivery status report: jim@example.com (permanent, 5.1.1); "
        "not about mail of ours: no ticket"
    )
    assert type(ticket).objects.count() == tickets_before
    assert not MailSuppression.objects.exists()


def test_a_prose_bounce_threads_by_the_id_in_its_text(ticket, mailbox):
    """qmail style: no report fields, the returned message quoted below the text."""
    ours = acknowledgement_id(ticket)
    body = (
        "Hi. This is the qmail-send program at mx.example.com.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        "<jim@example.com>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        f"Message-ID: {ours}\r\nTo: jim@example.com\r\nSubject: We received your request\r\n"
    )
    row = deliver(
        mailbox,
        message(sender="MAILER-DAEMON@mx.example.com", subject="failure notice", body=body),
    )

    assert (row.outcome, row.ticket) == (Outcome.BOUNCE, ticket)
    assert "Sorry, no mailbox here by that name. (#5.1.1)" in row.entry.body
    assert MailSuppression.objects.get().address == "jim@example.com"


def test_the_same_bounce_twice_is_one_note(ticket, mailbox, sales_mailbox):
    ours = acknowledgement_id(ticket)
    raw = dsn(action="failed", status="5.1.1", original_id=ours)

    first = deliver(mailbox, raw)
    second = deliver(sales_mailbox, raw)

    assert first.outcome == Outcome.BOUNCE
    assert (second.outcome, second.entry) == (Outcome.DUPLICATE, first.entry)
    assert ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).count() == 1
    assert MailSuppression.objects.count() == 1


def test_a_second_bounce_while_stopped_is_another_note_and_the_same_stop(ticket, mailbox):
    ours = acknowledgement_id(ticket)
    deliver(mailbox, dsn(action="failed", status="5.1.1", original_id=ours))
    again = dsn(action="failed", status="5.1.1", original_id=ours).replace(
        b"<bounce1@mx.example.com>", b"<bounce2@mx.example.com>"
    )

    row = deliver(mailbox, again)

    assert row.outcome == Outcome.BOUNCE
    assert ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).count() == 2
    assert MailSuppression.objects.count() == 1
    assert TicketEvent.objects.filter(kind=EventKind.MAIL_STOPPED).count() == 1


def test_the_requester_never_sees_the_bounce_note(desk, ticket, mailbox, client_for):
    ours = acknowledgement_id(ticket)
    deliver(mailbox, dsn(action="failed", status="5.1.1", original_id=ours))

    html = client_for(desk.requester).get(f"/tickets/{ticket.number}/").content.decode()

    assert ticket.subject in html
    assert "bounced" not in html and "Recipient address rejected" not in html


@pytest.mark.parametrize(
    ("name", "returned_id", "address", "stopped"),
    [
        (
            "bounces/cpython-pmdf-dsn.eml",
            "002001c144a6$8752e060$56104586@oxy.edu",
            "jangel1@cougar.noc.ucla.edu",
            True,
        ),
        (
            "bounces/mailparser-mailsite-malformed-dsn.eml",
            "004801d1fc84$01c934ac$b247f0b7$@infospacemail.com",
            "abh@netpar.com.br",
            False,  # 4.2.2, a full mailbox
        ),
        (
            "bounces/flufl-exim.eml",
            "19990920022322.A19735@stereo.rotzorg.org",
            "userx@its.example.nl",
            True,
        ),
    ],
)
def test_real_reports_of_our_mail_become_notes(
    ticket, mailbox, name, returned_id, address, stopped
):
    """Real reports from the corpus, as if the message they return were ours."""
    ours = acknowledgement_id(ticket)
    raw = (CORPUS / name).read_bytes().replace(returned_id.encode(), ours.strip("<>").encode())

    row = deliver(mailbox, raw)

    assert (row.status, row.outcome, row.ticket) == ("processed", Outcome.BOUNCE, ticket)
    assert row.entry.kind == EntryKind.NOTE
    assert f"Mail to {address}" in row.entry.body
    assert MailSuppression.objects.filter(address=address).exists() is stopped
