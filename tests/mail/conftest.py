import pytest

from mail.models import Mailbox


@pytest.fixture
def mailbox(desk):
    """it@theoffice.example, for the desk fixture's IT department."""
    return Mailbox.objects.create(address="it@theoffice.example", department=desk.it)


@pytest.fixture
def imap_box(desk, imap_mailbox):
    """it@theoffice.example, fetched by IMAP from a fresh user of the private Dovecot."""
    return Mailbox.objects.create(
        address="it@theoffice.example",
        department=desk.it,
        transport=Mailbox.Transport.IMAP,
        imap_host="127.0.0.1",
        imap_port=imap_mailbox.port,
        imap_security=Mailbox.Security.NONE,
        imap_user=imap_mailbox.username,
        imap_password=imap_mailbox.password,
    )


@pytest.fixture
def sales_mailbox(desk):
    return Mailbox.objects.create(address="sales@theoffice.example", department=desk.sales)


def message(
    *,
    sender="Jim Halpert <jim@example.com>",
    to="it@theoffice.example",
    subject="CRM is down",
    body="The CRM system is down.",
    message_id="<m1@mail.example>",
    headers=(),
    content_type="text/plain; charset=utf-8",
) -> bytes:
    """A plain message as a mail program would write it (CRLF line ends)."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}", "", body]
    return "\r\n".join(lines).encode("utf-8")
