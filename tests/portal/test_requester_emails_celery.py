"""Requester emails leave through a real Celery worker, after the change commits."""

import pytest

from tests.support.celery_harness import wait_for
from tickets.models import Notification
from tickets.services import ticket_reply, ticket_submit


@pytest.fixture
def mailbox(monkeypatch, tmp_path):
    """The worker's outgoing mail, as files: its process is not ours to inspect."""
    folder = tmp_path / "mail"
    folder.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(folder))
    return folder


def mails(folder):
    return [path.read_text() for path in sorted(folder.glob("*.log"))]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_acknowledgement_and_reply_are_sent_by_the_worker(desk, mailbox, celery_worker):
    ticket = ticket_submit(
        name="Pam Beesly",
        email="pam@example.com",
        help_topic=desk.topic,
        subject="CRM is down",
        body="Nobody in Sales can work.",
    )
    ticket_reply(ticket=ticket, body="The vendor is updating it.", by=desk.agent.user)

    wait_for(
        lambda: Notification.objects.filter(ticket=ticket, sent_at__isnull=True).count() == 0,
        timeout=30,
        message="the worker never sent the requester's emails",
    )
    text = "\n".join(mails(mailbox))
    assert "We received your request" in text
    assert f"/tickets/{ticket.number}/access/{ticket.access_key}/" in text
    assert "The vendor is updating it." in text
    root = Notification.objects.get(kind=Notification.Kind.REQUESTER_ACKNOWLEDGEMENT).message_id
    assert f"Message-ID: {root}" in text and f"References: {root}" in text
