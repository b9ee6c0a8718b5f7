"""Intake and the requester's side of the services: attachments, idempotent submissions,
requester emails in the outbox, and revoking a ticket's private link."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from accounts.models import User
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import Attachment, EventKind, Notification, Ticket
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_reply,
    ticket_resolve,
    ticket_revoke_access_link,
    ticket_submit,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

Kind = Notification.Kind


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def kinds(ticket):
    return list(
        Notification.objects.filter(ticket=ticket, kind__startswith="requester_").values_list(
            "kind", flat=True
        )
    )


def test_create_stores_attachments_under_random_names(desk):
    ticket = desk.ticket(attachments=[png("crm error.png"), png("second.png")])

    first, second = Attachment.objects.filter(ticket=ticket)
    assert first.entry == ticket.entries.get()
    assert (first.filename, first.content_type, first.size) == ("crm error.png", "image/png", 40)
    assert first.sha256 == second.sha256 and len(first.sha256) == 64
    assert first.token != second.token and len(first.token) == 32
    assert "crm" not in first.file.name and first.token in first.file.name
    assert first.file.read() == PNG


def test_a_bad_attachment_creates_nothing(desk):
    with pytest.raises(InvalidInput, match="not a kind of file"):
        desk.ticket(attachments=[png(), SimpleUploadedFile("x.png", b"<script>")])

    assert not Ticket.objects.exists()


def test_a_failed_create_leaves_no_files(desk, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("clock failure")

    monkeypatch.setattr("tickets.clocks.NewClocks.save_for", explode)

    with pytest.raises(RuntimeError):
        desk.ticket(attachments=[png()])

    assert not Ticket.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_every_ticket_gets_its_own_long_random_access_key(desk):
    one, two = desk.ticket(), desk.ticket()

    assert len(one.access_key) >= 43  # 32 random bytes, URL-safe
    assert one.access_key != two.access_key
    assert str(one.number) not in one.access_key


def test_the_same_intake_token_returns_the_first_ticket(desk):
    first = desk.ticket(intake_token="form-1")
    again = desk.ticket(intake_token="form-1", subject="CRM is down (again)")

    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert kinds(first) == [Kind.REQUESTER_ACKNOWLEDGEMENT]


def test_someone_else_cannot_reuse_an_intake_token(desk):
    desk.ticket(intake_token="form-1")

    with pytest.raises(InvalidInput, match="already used"):
        desk.ticket(intake_token="form-1", requester=desk.other_requester)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_form_at_once_make_one_ticket(desk):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under test")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(desk.ticket(intake_token="double-click").pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(set(results)) == 1
    assert Ticket.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.REQUESTER_ACKNOWLEDGEMENT).count() == 1


def test_acknowledgement_is_queued_with_the_ticket(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ticket = desk.ticket()

    [notification] = Notification.objects.filter(ticket=ticket, kind__startswith="requester_")
    assert (notification.kind, notification.recipient) == (
        Kind.REQUESTER_ACKNOWLEDGEMENT,
        desk.requester,
    )
    assert notification.event.kind == EventKind.CREATED
    assert callbacks, "the worker is woken after commit"


def test_a_rolled_back_create_queues_no_email(desk):
    with pytest.raises(RuntimeError), transaction.atomic():
        desk.ticket()
        raise RuntimeError

    assert not Notification.objects.exists()


def test_agent_reply_is_emailed_to_the_requester_but_a_note_is_not(desk):
    ticket = desk.ticket()
    note = ticket_add_note(ticket=ticket, body="Internal: vendor maintenance", by=desk.agent.user)
    reply = ticket_reply(ticket=ticket, body="We're on it.", by=desk.agent.user)

    replies = Notification.objects.filter(kind=Kind.REQUESTER_REPLY)
    assert [(n.entry_id, n.recipient) for n in replies] == [(reply.pk, desk.requester)]
    assert not Notification.objects.filter(entry=note).exists()


def test_reply_takes_attachments(desk, settings):
    ticket = desk.ticket()

    entry = ticket_reply(
        ticket=ticket, body="See the fix", by=desk.agent.user, attachments=[png()]
    )

    assert list(entry.attachments.values_list("filename", flat=True)) == ["screen.png"]


def test_requester_message_takes_attachments_and_reopens(desk):
    ticket = desk.ticket()
    ticket_resolve(ticket=ticket, by=desk.agent.user)

    entry = ticket_add_message(
        ticket=ticket, body="Still broken", by=desk.requester, attachments=[png()]
    )

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert entry.attachments.count() == 1


def test_resolved_notice_only_when_someone_else_resolves(desk):
    by_agent, by_requester = desk.ticket(), desk.ticket()

    ticket_resolve(ticket=by_agent, by=desk.agent.user)
    ticket_resolve(ticket=by_requester, by=desk.requester)

    assert Kind.REQUESTER_RESOLVED in kinds(by_agent)
    assert Kind.REQUESTER_RESOLVED not in kinds(by_requester)


def test_revoking_the_link_issues_a_new_key_records_it_and_emails_the_requester(desk):
    ticket = desk.ticket()
    old_key = ticket.access_key

    ticket_revoke_access_link(ticket=ticket, by=desk.agent.user)

    ticket.refresh_from_db()
    assert ticket.access_key != old_key and len(ticket.access_key) >= 43
    event = ticket.events.get(kind=EventKind.ACCESS_LINK_REVOKED)
    assert event.actor == desk.agent.user
    assert Kind.REQUESTER_NEW_LINK in kinds(ticket)


def test_only_agents_of_the_department_revoke_links(desk):
    ticket = desk.ticket()
    key = ticket.access_key

    for outsider in (desk.requester, desk.sales_agent.user):
        with pytest.raises(NotPermitted):
            ticket_revoke_access_link(ticket=ticket, by=outsider)

    ticket.refresh_from_db()
    assert ticket.access_key == key


def test_submit_as_a_guest_makes_a_passwordless_user_once(desk):
    first = ticket_submit(
        name="Pam Beesly",
        email="Pam@Example.com",
        help_topic=desk.topic,
        subject="Printer",
        body="Out of toner",
    )
    second = ticket_submit(
        name="Someone Else",
        email="pam@example.com",
        help_topic=desk.topic,
        subject="Printer again",
        body="Still out",
    )

    pam = User.objects.get(email="pam@example.com")
    assert first.requester == second.requester == pam
    assert pam.display_name == "Pam Beesly"  # a public form cannot rename anyone
    assert not pam.has_usable_password()


def test_submit_as_a_guest_with_a_members_email_files_it_under_the_member(desk):
    ticket = ticket_submit(
        name="Not Jim",
        email=desk.requester.email.upper(),
        help_topic=desk.topic,
        subject="Hi",
        body="There",
    )

    assert ticket.requester == desk.requester
    desk.requester.refresh_from_db()
    assert desk.requester.display_name == "Jim Halpert"


def test_create_for_a_disabled_requester_is_refused(desk):
    desk.requester.is_active = False
    desk.requester.save()

    with pytest.raises(NotPermitted):
        desk.ticket()
