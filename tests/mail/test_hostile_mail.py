"""The hostile corpus by email (issue 10): in the sender's name, the subject, the text and
HTML bodies and an attachment's name, written as a mail program writes them (encoded
words, multipart/alternative). Stored exactly, and inert on every page that shows it and
in every email that repeats it."""

from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from django.core import mail as outbox_mail

from mail.ledger import inbound_store
from mail.models import InboundMessage
from mail.oversized import inbound_store_oversized
from mail.processing import inbound_process
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert, inert_problems
from tickets.access import access_key_fingerprint
from tickets.outbox import notifications_send_pending

pytestmark = pytest.mark.postgres

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def hostile_message(index: int, payload: str) -> bytes:
    line = " ".join(payload.split())
    message = EmailMessage()
    message["From"] = Address(display_name=line[:100], addr_spec=f"p{index}@example.com")
    message["To"] = "it@theoffice.example"
    message["Subject"] = line
    message["Message-ID"] = f"<hostile{index}@mail.example>"
    message.set_content(payload)
    message.add_alternative(f"<p>{payload}</p>", subtype="html")
    message.add_attachment(PNG, maintype="image", subtype="png", filename=f"{line[:60]}.png")
    return message.as_bytes()


@pytest.fixture
def delivered(mailbox):
    rows = []
    for index, payload in enumerate(PAYLOADS):
        row, _ = inbound_store(mailbox=mailbox, raw=hostile_message(index, payload), source="pipe")
        inbound_process(inbound_id=row.pk)
        row.refresh_from_db()
        rows.append((payload, row))
    return rows


def test_hostile_mail_is_stored_exactly(delivered):
    for payload, row in delivered:
        line = " ".join(payload.split())
        assert row.status == InboundMessage.Status.PROCESSED, (payload, row.reason)
        ticket = row.ticket
        assert ticket.subject == line
        assert ticket.requester.email == f"p{delivered.index((payload, row))}@example.com"
        assert ticket.requester.display_name == line[:100]
        assert row.entry.body == payload.strip()
        [attachment] = row.entry.attachments.all()
        assert "/" not in attachment.filename and "\\" not in attachment.filename


def test_hostile_mail_is_inert_on_every_page_and_in_every_email(delivered, desk, client_for):
    agent = client_for(desk.agent.user)
    admin = client_for(UserFactory(superuser=True))
    pages = {
        "the queue": agent.get("/agent/").content.decode(),
        "the admin's inbound list": admin.get("/admin/mail/inboundmessage/").content.decode(),
    }
    for payload, row in delivered:
        ticket = row.ticket
        number = ticket.number
        requester = client_for(None)
        session = requester.session
        session["guest_tickets"] = {str(number): access_key_fingerprint(ticket)}
        session.save()
        pages |= {
            f"agent page {payload!r}": agent.get(f"/agent/tickets/{number}/").content.decode(),
            f"headers {payload!r}": agent.get(
                f"/agent/tickets/{number}/entries/{row.entry.pk}/headers/"
            ).content.decode(),
            f"portal page {payload!r}": requester.get(f"/tickets/{number}/").content.decode(),
            f"admin row {payload!r}": admin.get(
                f"/admin/mail/inboundmessage/{row.pk}/change/"
            ).content.decode(),
        }
    for where, html in pages.items():
        assert "<!DOCTYPE html>" in html or "<html" in html, where  # a page, not an error
        if where.startswith("admin") or where.startswith("the admin"):
            # The admin's own list filters are <details> elements; the payload's would
            # show as an event handler, which the check still catches.
            problems = [p for p in inert_problems(html) if p != "<details> element"]
            assert not problems, f"active content {where}: {problems}"
        else:
            assert_inert(html, where=where)

    outbox_mail.outbox.clear()
    notifications_send_pending()
    assert len(outbox_mail.outbox) >= len(delivered)  # acknowledgements, agents' alerts
    for email in outbox_mail.outbox:
        for content, mimetype in getattr(email, "alternatives", []):
            if mimetype == "text/html":
                assert_inert(content, where=f"email {email.subject!r}")


def test_hostile_oversized_mail_is_inert_in_its_reply_notice_and_the_admin(
    mailbox, settings, client_for, django_capture_on_commit_callbacks
):
    """The subject of a message too large to take goes back to its sender in our reply and
    to the admins: one line each, escaped in HTML, no header it did not have."""
    settings.MAIL_MAX_MESSAGE_BYTES = 100
    settings.ADMINS = [("Kevin", "kevin@theoffice.example")]
    with django_capture_on_commit_callbacks(execute=True):
        for index, payload in enumerate(PAYLOADS):
            raw = hostile_message(index, payload)
            inbound_store_oversized(mailbox=mailbox, head=raw, size=len(raw), source="pipe")
    assert InboundMessage.objects.filter(oversized=True, reply="sent").count() == len(PAYLOADS)
    replies = [m for m in outbox_mail.outbox if m.subject.startswith("Too large to accept")]
    assert len(replies) == len(PAYLOADS)
    for email in outbox_mail.outbox:
        wire = email.message().as_bytes()
        headers = wire.split(b"\n\n", 1)[0]
        assert not any(name in headers for name in (b"\nBcc:", b"\nCc:")), email.subject
        for content, mimetype in getattr(email, "alternatives", []):
            if mimetype == "text/html":
                assert_inert(content, where=f"email {email.subject!r}")
    admin = client_for(UserFactory(superuser=True))
    listing = admin.get("/admin/mail/inboundmessage/", {"oversized__exact": "1"}).content.decode()
    problems = [p for p in inert_problems(listing) if p != "<details> element"]
    assert "<html" in listing and not problems, problems
