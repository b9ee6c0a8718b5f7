"""Emails to the requester: rendered from the outbox, threaded, linking to the right place,
carrying replies but never notes, and inert whatever people typed."""

import pytest
from django.core import mail

from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import Notification
from tickets.outbox import notifications_send_pending
from tickets.services import (
    ticket_add_note,
    ticket_reply,
    ticket_resolve,
    ticket_revoke_access_link,
    ticket_submit,
)

Kind = Notification.Kind


@pytest.fixture
def guest_ticket(desk):
    return ticket_submit(
        name="Pam Beesly",
        email="pam@example.com",
        help_topic=desk.topic,
        subject="CRM is down",
        body="Nobody in Sales can work.",
    )


def send_all():
    mail.outbox.clear()
    notifications_send_pending()
    return {message.subject: message for message in mail.outbox}


def test_the_whole_story_threads_under_one_root_message_id(desk, guest_ticket, settings):
    settings.SITE_URL = "https://help.example.com"
    ticket_reply(ticket=guest_ticket, body="The vendor is updating it.", by=desk.agent.user)
    ticket_resolve(ticket=guest_ticket, by=desk.agent.user)

    messages = send_all()

    n = guest_ticket.number
    ack = messages[f"[#{n}] We received your request: CRM is down"]
    reply = messages[f"Re: [#{n}] CRM is down"]
    resolved = messages[f"[#{n}] Resolved: CRM is down"]
    root = ack.extra_headers["Message-ID"]
    assert "In-Reply-To" not in ack.extra_headers
    for message in (reply, resolved):
        assert message.extra_headers["In-Reply-To"] == root
        assert message.extra_headers["References"] == root
        assert message.extra_headers["Message-ID"] != root
    assert all(m.to == ["pam@example.com"] for m in (ack, reply, resolved))
    # Every Message-ID is ours, random and stored: nothing about it can be guessed from
    # the ticket, so nobody can thread into a ticket by making one up.
    ids = {m.extra_headers["Message-ID"] for m in (ack, reply, resolved)}
    to_pam = Notification.objects.filter(recipient__email="pam@example.com")
    assert ids == set(to_pam.values_list("message_id", flat=True))
    for message_id in ids:
        assert message_id.endswith("@help.example.com>") and str(n) not in message_id
        assert len(message_id) > 30
    assert "The vendor is updating it." in reply.body
    assert "The vendor is updating it." in reply.alternatives[0][0]


def test_a_guest_gets_the_private_link_and_a_member_the_portal_page(desk, guest_ticket, settings):
    settings.SITE_URL = "https://help.example.com"
    member_ticket = desk.ticket()

    send_all()
    by_recipient = {message.to[0]: message for message in mail.outbox}

    guest_link = (
        f"https://help.example.com/tickets/{guest_ticket.number}/access/{guest_ticket.access_key}/"
    )
    assert guest_link in by_recipient["pam@example.com"].body
    assert guest_link in by_recipient["pam@example.com"].alternatives[0][0]
    member_mail = by_recipient[desk.requester.email]
    assert f"https://help.example.com/tickets/{member_ticket.number}/" in member_mail.body
    assert member_ticket.access_key not in member_mail.body


def test_notes_never_reach_the_requester(desk, guest_ticket):
    ticket_add_note(ticket=guest_ticket, body="SECRET-NOTE vendor contract", by=desk.agent.user)
    ticket_reply(ticket=guest_ticket, body="On it", by=desk.agent.user)

    send_all()

    for message in mail.outbox:
        assert "SECRET-NOTE" not in message.body
        assert "SECRET-NOTE" not in message.alternatives[0][0]


def test_a_note_sneaked_into_a_requester_notification_is_not_rendered(desk, guest_ticket):
    note = ticket_add_note(ticket=guest_ticket, body="SECRET-NOTE", by=desk.agent.user)
    Notification.objects.create(
        kind=Kind.REQUESTER_REPLY,
        ticket=guest_ticket,
        recipient=guest_ticket.requester,
        entry=note,
    )

    send_all()

    assert all("SECRET-NOTE" not in m.body for m in mail.outbox)


def test_the_new_link_email_carries_the_new_key(desk, guest_ticket):
    old = guest_ticket.access_key
    ticket_revoke_access_link(ticket=guest_ticket, by=desk.agent.user)
    guest_ticket.refresh_from_db()

    messages = send_all()

    [new_link] = [m for s, m in messages.items() if "A new link" in s]
    assert guest_ticket.access_key in new_link.body
    assert old not in new_link.body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_is_inert_in_requester_emails(desk, payload):
    ticket = ticket_submit(
        name=payload,
        email="mallory@example.com",
        help_topic=desk.topic,
        subject=payload,
        body=payload,
    )
    desk.agent.user.display_name = payload
    desk.agent.user.save()
    ticket_reply(ticket=ticket, body=payload, by=desk.agent.user)
    ticket_resolve(ticket=ticket, by=desk.agent.user)

    send_all()

    # Three to the requester; the agents' own (new ticket) carry the same text, inert too.
    assert len([m for m in mail.outbox if m.to == [ticket.requester.email]]) == 3
    for message in mail.outbox:
        assert "\n" not in message.subject
        html = message.alternatives[0][0]
        assert_inert(html, where=f"in {message.subject!r}")
        assert "pbkdf2" not in html and "md5$" not in html


@pytest.mark.parametrize(
    "raw",
    [p for p in PAYLOADS if p.startswith(("<script", "<img", "<svg", "<iframe", "<a href"))],
)
def test_the_inertness_check_itself_catches_the_raw_payloads(raw):
    from tests.support.inert import inert_problems

    assert inert_problems(f"<p>{raw}</p>")


def test_a_burst_of_changes_queues_one_send_task_until_it_starts(monkeypatch, settings):
    from tickets import outbox, tasks

    settings.REDIS_URL = settings.REDIS_URL or "redis://shared"
    queued = []
    monkeypatch.setattr(tasks.send_notifications, "delay", lambda: queued.append(1))

    outbox.outbox_wake()
    outbox.outbox_wake()
    assert len(queued) == 1

    outbox.outbox_sender_awake()  # the task starts: later changes wake it again
    outbox.outbox_wake()
    assert len(queued) == 2


def test_answers_go_to_the_department_and_machines_are_told_not_to_answer(desk, guest_ticket):
    desk.it.email = "it@theoffice.example"
    desk.it.save()
    ticket_reply(ticket=guest_ticket, body="The vendor is updating it.", by=desk.agent.user)

    messages = send_all()

    n = guest_ticket.number
    ack = messages[f"[#{n}] We received your request: CRM is down"]
    reply = messages[f"Re: [#{n}] CRM is down"]
    for message in (ack, reply):
        assert message.extra_headers["Reply-To"] == "it@theoffice.example"
        assert message.body.startswith("##- Please type your reply above this line -##")
        assert "Please type your reply above this line" in message.alternatives[0][0]
    # The acknowledgement is the help desk's own; the reply is a person's.
    assert ack.extra_headers["Auto-Submitted"] == "auto-generated"
    assert ack.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert "Auto-Submitted" not in reply.extra_headers


def test_automatic_mail_to_one_address_is_capped_per_hour(desk, settings):
    settings.AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR = 3
    for i in range(5):
        ticket_submit(
            name="Pam",
            email="pam@example.com",
            help_topic=desk.topic,
            subject=f"Ticket {i}",
            body="Help",
        )

    notifications_send_pending()

    to_pam = Notification.objects.filter(recipient__email="pam@example.com")
    assert to_pam.filter(sent_at__isnull=False).count() == 3
    held = to_pam.filter(sent_at__isnull=True)
    assert held.count() == 2
    assert all("Held back" in n.last_error for n in held)
    assert len([m for m in mail.outbox if m.to == ["pam@example.com"]]) == 3
