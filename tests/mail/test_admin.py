"""The admin: mailboxes whose password never shows, a ledger that lists what became of
each message and sends a quarantined one round again."""

import pytest
from django.contrib.admin.models import LogEntry

from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from tests.mail.conftest import message
from tests.support.admin_helpers import admin_url, form_errors


def mailbox_form(desk, **changes) -> dict:
    data = {
        "address": "IT@TheOffice.example",
        "department": desk.it.pk,
        "is_active": "on",
        "transport": "imap",
        "allow_unknown_senders": "on",
        "imap_host": "imap.example.com",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_user": "it",
        "imap_password": "s3cret-imap",
        "imap_folder": "INBOX",
        "after_processing": "move",
        "processed_folder": "Processed",
        "fetch_interval_seconds": "60",
    }
    data.update(changes)
    return data


def test_the_password_is_stored_never_shown_kept_and_never_in_the_history(admin_client, desk):
    response = admin_client.post(admin_url(Mailbox, "add"), mailbox_form(desk))
    assert response.status_code == 302, form_errors(response)
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.imap_password) == ("it@theoffice.example", "s3cret-imap")

    page = admin_client.get(admin_url(Mailbox, "change", mailbox.pk)).content.decode()
    assert "s3cret-imap" not in page

    # Saved again with the password left empty: the stored one is kept.
    response = admin_client.post(
        admin_url(Mailbox, "change", mailbox.pk),
        mailbox_form(desk, imap_password="", imap_port="143"),
    )
    assert response.status_code == 302, form_errors(response)
    mailbox.refresh_from_db()
    assert (mailbox.imap_password, mailbox.imap_port) == ("s3cret-imap", 143)
    admin_client.post(
        admin_url(Mailbox, "change", mailbox.pk), mailbox_form(desk, imap_password="n3w-one")
    )
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "n3w-one"
    history = " ".join(str(entry.get_change_message()) for entry in LogEntry.objects.all())
    assert (
        "s3cret" not in history and "n3w-one" not in history and "password" not in history.lower()
    )


def test_tls_is_required_except_for_a_server_on_this_machine(admin_client, desk):
    response = admin_client.post(
        admin_url(Mailbox, "add"), mailbox_form(desk, imap_security="none")
    )
    assert "Without TLS the password would cross the network in clear" in " ".join(
        form_errors(response)
    )
    response = admin_client.post(
        admin_url(Mailbox, "add"), mailbox_form(desk, imap_security="none", imap_host="127.0.0.1")
    )
    assert response.status_code == 302


def test_a_quarantined_message_is_listed_and_processed_again(admin_client, desk, monkeypatch):
    mailbox = Mailbox.objects.create(address="it@theoffice.example", department=desk.it)
    row, _ = inbound_store(mailbox=mailbox, raw=message(), source="pipe")
    monkeypatch.setattr(
        "mail.processing.parse_message", lambda raw: (_ for _ in ()).throw(ValueError("bug"))
    )
    inbound_process(inbound_id=row.pk)
    monkeypatch.undo()
    listing = admin_client.get(admin_url(InboundMessage, "changelist"), {"status": "quarantined"})
    assert "CRM is down" in listing.content.decode() or str(row) in listing.content.decode()

    response = admin_client.post(
        admin_url(InboundMessage, "changelist"),
        {"action": "process_again", "_selected_action": [row.pk]},
        follow=True,
    )
    row.refresh_from_db()
    assert (row.status, row.outcome) == ("processed", "new_ticket")
    assert "1 of 1 quarantined message processed" in response.content.decode()
    # The ledger is never edited or deleted by hand.
    assert admin_client.get(admin_url(InboundMessage, "delete", row.pk)).status_code == 403


pytestmark = pytest.mark.django_db
