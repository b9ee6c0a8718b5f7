import pytest

from mail.models import Mailbox


@pytest.fixture
def mailbox(desk):
    """it@theoffice.example, for the desk fixture's IT department."""
    return Mailbox.objects.create(address="it@theoffice.example", department=desk.it)


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
