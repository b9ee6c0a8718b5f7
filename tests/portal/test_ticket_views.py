"""The requester's ticket pages: who sees what, guest links, replies, files, and XSS."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import EntryKind, Status
from tickets.services import (
    ticket_add_note,
    ticket_close,
    ticket_reply,
    ticket_resolve,
    ticket_revoke_access_link,
    ticket_submit,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, "image/png")


def page(ticket):
    return f"/tickets/{ticket.number}/"


def access_link(ticket):
    return f"/tickets/{ticket.number}/access/{ticket.access_key}/"


def snapshot(ticket):
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.updated_at,
        ticket.entries.count(),
        ticket.events.count(),
        ticket.attachments.count(),
    )


@pytest.fixture
def guest_ticket(desk):
    return ticket_submit(
        name="Pam",
        email="pam@example.com",
        help_topic=desk.topic,
        subject="Guest ticket",
        body="From a guest",
        attachments=[png("guest.png")],
    )


# The list ------------------------------------------------------------------------------


def test_list_needs_login(client):
    response = client.get("/tickets/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/tickets/")


def test_list_shows_only_my_tickets(client, desk):
    mine = desk.ticket(subject="Mine")
    desk.ticket(subject="Not mine", requester=desk.other_requester)
    client.force_login(desk.requester)

    html = client.get("/tickets/").content.decode()

    assert "Mine" in html and f"#{mine.number}" in html
    assert "Not mine" not in html
    assert "Open" in html


def test_list_costs_the_same_queries_for_many_tickets(client, desk):
    client.force_login(desk.requester)
    desk.ticket()
    with CaptureQueriesContext(connection) as few:
        client.get("/tickets/")
    for _ in range(10):
        desk.ticket()
    with CaptureQueriesContext(connection) as many:
        client.get("/tickets/")
    assert len(many) == len(few)


def test_ticket_page_costs_the_same_queries_for_a_long_thread(client, desk):
    ticket = desk.ticket(attachments=[png()])
    client.force_login(desk.requester)
    with CaptureQueriesContext(connection) as short:
        client.get(page(ticket))
    for _ in range(5):
        ticket_reply(ticket=ticket, body="reply", by=desk.agent.user, attachments=[png()])
        ticket_resolve(ticket=ticket, by=desk.agent.user)
        client.post(f"{page(ticket)}reply/", {"body": "again"})
    with CaptureQueriesContext(connection) as long:
        client.get(page(ticket))
    assert len(long) == len(short)


# Who may see a ticket -------------------------------------------------------------------


def test_requester_sees_messages_and_replies_but_never_notes(client, desk):
    ticket = desk.ticket(body="The CRM is down")
    ticket_add_note(ticket=ticket, body="SECRET-NOTE suspect vendor", by=desk.agent.user)
    ticket_reply(ticket=ticket, body="Vendor maintenance", by=desk.agent.user)
    client.force_login(desk.requester)

    html = client.get(page(ticket)).content.decode()

    assert "The CRM is down" in html and "Vendor maintenance" in html
    assert "SECRET-NOTE" not in html
    assert desk.agent.user.display_name in html


@pytest.mark.parametrize("who", ["other_requester", "sales_agent", "agent", "anonymous"])
def test_someone_elses_ticket_is_not_found_and_nothing_changes(client, desk, who):
    ticket = desk.ticket(attachments=[png()])
    attachment = ticket.attachments.get()
    if who != "anonymous":
        user = getattr(desk, who)
        client.force_login(getattr(user, "user", user))
    before = snapshot(ticket)

    responses = [
        client.get(page(ticket)),
        client.get(f"{page(ticket)}files/{attachment.token}/"),
        client.post(f"{page(ticket)}reply/", {"body": "hijack"}),
        client.post(f"{page(ticket)}solved/"),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assert snapshot(ticket) == before


def test_missing_and_absurd_numbers_are_404s(client, desk):
    client.force_login(desk.requester)
    for path in ["/tickets/999999/", "/tickets/99999999999999999999/", "/tickets/-1/"]:
        assert client.get(path).status_code == 404


# Guest links ----------------------------------------------------------------------------


def test_the_access_link_opens_the_ticket_for_this_session(client, guest_ticket):
    response = client.get(access_link(guest_ticket))

    assert response.status_code == 302
    assert response["Location"] == page(guest_ticket)
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    html = client.get(page(guest_ticket)).content.decode()
    assert "From a guest" in html and "private link" in html
    assert guest_ticket.access_key not in html
    assert Client().get(page(guest_ticket)).status_code == 404  # another browser


@pytest.mark.parametrize(
    "key",
    [
        "wrong",
        "A" * 43,
        lambda t: t.access_key[:-1],
        lambda t: t.access_key.upper(),
        lambda t: t.access_key + "x",
    ],
)
def test_a_guessed_or_altered_key_is_not_found(client, guest_ticket, key):
    key = key(guest_ticket) if callable(key) else key
    assert client.get(f"/tickets/{guest_ticket.number}/access/{key}/").status_code == 404
    assert client.get(page(guest_ticket)).status_code == 404


def test_a_key_opens_only_its_own_ticket(client, desk, guest_ticket):
    other = desk.ticket()
    link = f"/tickets/{other.number}/access/{guest_ticket.access_key}/"
    assert client.get(link).status_code == 404


def test_a_guest_replies_attaches_and_marks_solved(client, guest_ticket):
    client.get(access_link(guest_ticket))

    response = client.post(
        f"{page(guest_ticket)}reply/", {"body": "More details", "attachments": [png("2.png")]}
    )
    assert response.status_code == 302
    entry = guest_ticket.entries.last()
    assert (entry.kind, entry.author, entry.body) == (
        EntryKind.MESSAGE,
        guest_ticket.requester,
        "More details",
    )
    assert entry.attachments.count() == 1

    client.post(f"{page(guest_ticket)}solved/")
    guest_ticket.refresh_from_db()
    assert guest_ticket.status == Status.RESOLVED


def test_revoking_the_link_ends_old_links_and_sessions(client, desk, guest_ticket):
    old_link = access_link(guest_ticket)
    client.get(old_link)
    assert client.get(page(guest_ticket)).status_code == 200

    ticket_revoke_access_link(ticket=guest_ticket, by=desk.agent.user)
    guest_ticket.refresh_from_db()

    assert client.get(page(guest_ticket)).status_code == 404
    assert client.get(old_link).status_code == 404
    assert Client().get(access_link(guest_ticket)).status_code == 302


# Replies and status ---------------------------------------------------------------------


def test_a_reply_to_a_resolved_ticket_reopens_it(client, desk):
    ticket = desk.ticket()
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    client.force_login(desk.requester)

    response = client.post(f"{page(ticket)}reply/", {"body": "Still broken"}, follow=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert b"open again" in response.content


def test_an_empty_reply_is_an_error_that_changes_nothing(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.requester)
    before = snapshot(ticket)

    response = client.post(f"{page(ticket)}reply/", {"body": "   "})

    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert snapshot(ticket) == before


def test_a_closed_ticket_takes_no_reply(client, desk):
    ticket = desk.ticket()
    ticket_close(ticket=ticket, by=desk.agent.user)
    client.force_login(desk.requester)

    html = client.get(page(ticket)).content.decode()
    assert "This ticket is closed" in html and "Send reply" not in html
    assert "Mark as solved" not in html

    response = client.post(f"{page(ticket)}reply/", {"body": "Hello?"})
    assert b"closed; please open a new ticket" in response.content
    assert ticket.entries.count() == 1

    response = client.post(f"{page(ticket)}solved/", follow=True)
    assert b"cannot go from closed" in response.content


# Files ------------------------------------------------------------------------------------


def test_downloads_are_attachments_with_nosniff(client, desk):
    ticket = desk.ticket(attachments=[png('evil".png')])
    attachment = ticket.attachments.get()
    client.force_login(desk.requester)

    response = client.get(f"{page(ticket)}files/{attachment.token}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_files_of_internal_notes_and_guessed_tokens_are_not_found(client, desk):
    ticket = desk.ticket()
    note = ticket_add_note(ticket=ticket, body="note", by=desk.agent.user)
    from tickets.attachments import attachments_store, attachments_validate

    [stored] = attachments_store(
        ticket=ticket, entry=note, files=attachments_validate([png()]), written=[]
    )
    client.force_login(desk.requester)

    assert client.get(f"{page(ticket)}files/{stored.token}/").status_code == 404
    assert client.get(f"{page(ticket)}files/{'0' * 32}/").status_code == 404
    assert stored.filename.encode() not in client.get(page(ticket)).content


def test_a_file_is_only_reachable_under_its_own_ticket(client, desk):
    mine = desk.ticket()
    theirs = desk.ticket(requester=desk.other_requester, attachments=[png()])
    token = theirs.attachments.get().token
    client.force_login(desk.requester)

    assert client.get(f"{page(mine)}files/{token}/").status_code == 404


# Hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_everything_people_write_renders_inert(client, desk, payload):
    desk.agent.user.display_name = payload
    desk.agent.user.save()
    ticket = ticket_submit(
        name=payload,
        email="mallory@example.com",
        help_topic=desk.topic,
        subject=payload,
        body=payload,
        attachments=[SimpleUploadedFile(payload[:200] + ".png", PNG, "image/png")],
    )
    ticket_reply(ticket=ticket, body=payload, by=desk.agent.user)
    requester = ticket.requester
    requester.set_password("pw")
    requester.save()
    client.force_login(requester)
    client.post(f"{page(ticket)}reply/", {"body": payload})

    for path in [page(ticket), "/tickets/", "/accounts/profile/"]:
        response = client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert_inert(html, where=path)
        assert "pbkdf2" not in html and "md5$" not in html

    # The form re-rendered with errors keeps hostile text as text too.
    response = client.post(
        "/tickets/new/",
        {"subject": payload, "body": payload, "help_topic": "x", "intake_token": "t"},
    )
    assert_inert(response.content.decode(), where="new-ticket form with errors")


def test_a_refused_file_keeps_what_the_requester_typed(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.requester)
    page_html = SimpleUploadedFile("page.html", b"<html><script>alert(1)</script>", "text/html")

    response = client.post(
        f"{page(ticket)}reply/",
        {"body": "Here is what I see on screen.", "attachments": [page_html]},
    )

    html = response.content.decode()
    assert "not a kind of file we accept" in html
    assert "Here is what I see on screen.</textarea>" in html
    assert ticket.entries.count() == 1


def test_a_reply_to_a_ticket_closed_meanwhile_stays_on_screen(client, desk):
    ticket = desk.ticket()
    client.force_login(desk.requester)
    html = client.get(page(ticket)).content.decode()
    assert "Send reply" in html
    ticket_close(ticket=ticket, by=desk.agent.user)  # while Jim was typing

    response = client.post(f"{page(ticket)}reply/", {"body": "One more thing: the printer."})

    html = response.content.decode()
    assert "closed; please open a new ticket" in html
    assert "What you wrote (not sent)" in html
    assert "One more thing: the printer.</textarea>" in html
