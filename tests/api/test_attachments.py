"""Downloading a ticket's files through the API: the file exactly as the pages send it,
only for an agent of the ticket's department (404 for any other file, whatever its id or
the number it is asked under), with the tickets:read scope; the thread's and a reply's
files say where to fetch them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.keys import api_key_revoke
from tests.api.conftest import bearer
from tests.support.factories import UserFactory
from tickets.models import Attachment, EntryKind
from tickets.services import ticket_add_note

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LOG = b"2024-05-01 12:00:01 CRM: connection refused\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reader(make_key):
    return bearer(make_key(name="Monitoring", scopes=["tickets:read"])[1])


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def url_of(attachment: Attachment, number: int | None = None) -> str:
    return f"{TICKETS}{number or attachment.ticket.number}/attachments/{attachment.pk}/"


@pytest.fixture
def shot(desk) -> Attachment:
    """A screenshot the requester sent with the ticket (an IT ticket)."""
    ticket = desk.ticket(attachments=[upload("shot.png", PNG, "text/html")])
    return ticket.attachments.get()


def test_the_file_as_the_pages_send_it(client, shot, reader):
    response = client.get(url_of(shot), **reader)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    # The type detected from the content, not the sender's claim (text/html).
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="shot.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private"
    assert response["RateLimit-Limit"]


def test_the_same_headers_as_the_desk(client, desk, shot, reader, client_for):
    api = client.get(url_of(shot), **reader)
    page = client_for(desk.agent.user).get(f"/agent/attachments/{shot.pk}/")
    assert page.status_code == 200
    for header in ("Content-Type", "Content-Disposition", "X-Content-Type-Options",
                   "Content-Security-Policy", "Cache-Control", "Content-Length"):  # fmt: skip
        assert api[header] == page[header], header


def test_whatever_the_client_accepts(client, shot, reader):
    for accept in ("*/*", "application/octet-stream", "image/png", "application/pdf"):
        response = client.get(url_of(shot), HTTP_ACCEPT=accept, **reader)
        assert response.status_code == 200, (accept, response.content)


def test_a_notes_file_for_agents(client, desk, reader):
    ticket = desk.ticket()
    note = ticket_add_note(
        ticket=ticket, body="The log.", by=desk.agent.user, attachments=[upload("crm.log", LOG)]
    )
    attachment = note.attachments.get()
    response = client.get(url_of(attachment), **reader)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert b"".join(response.streaming_content) == LOG


def test_another_departments_file_is_404(client, desk, reader):
    theirs = desk.ticket(
        help_topic=None, department=desk.sales, attachments=[upload("shot.png", PNG)]
    )
    response = client.get(url_of(theirs.attachments.get()), **reader)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "Content-Disposition" not in response


def test_a_file_asked_for_under_another_tickets_number_is_404(client, desk, shot, reader):
    other = desk.ticket(subject="Another one of ours")
    assert client.get(url_of(shot, number=other.number), **reader).status_code == 404
    assert client.get(url_of(shot), **reader).status_code == 200


@pytest.mark.parametrize("pk", ["0", "999999", "99999999999999999999999999"])
def test_missing_ids_are_404(client, shot, reader, pk):
    response = client.get(f"{TICKETS}{shot.ticket.number}/attachments/{pk}/", **reader)
    assert response.status_code == 404


def test_not_an_id_is_not_a_route(client, shot, reader):
    response = client.get(f"{TICKETS}{shot.ticket.number}/attachments/abc/", **reader)
    assert response.status_code == 404


def test_a_key_without_the_scope_is_403(client, shot, make_key):
    _key, plaintext = make_key(scopes=["tickets:write", "departments:read"])
    response = client.get(url_of(shot), **bearer(plaintext))
    assert response.status_code == 403
    assert "tickets:read" in response.json()["detail"]


def test_a_revoked_key_is_401(client, shot, make_key):
    key, plaintext = make_key(scopes=["tickets:read"])
    api_key_revoke(key=key, by=UserFactory(is_superuser=True))
    response = client.get(url_of(shot), **bearer(plaintext))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_no_key_no_session_is_401(client, shot):
    assert client.get(url_of(shot)).status_code == 401


def test_sessions_as_on_the_pages(desk, shot, client_for):
    assert client_for(desk.agent.user).get(url_of(shot)).status_code == 200
    assert client_for(desk.sales_agent.user).get(url_of(shot)).status_code == 404
    # The requester's own file: they download it from the portal, never through the
    # agents' API (and a note's file never reaches them at all).
    note = ticket_add_note(
        ticket=shot.ticket, body="x", by=desk.agent.user, attachments=[upload("n.log", LOG)]
    )
    requester = client_for(desk.requester)
    assert requester.get(url_of(shot)).status_code == 404
    assert requester.get(url_of(note.attachments.get())).status_code == 404


def test_the_thread_links_each_file(client, desk, shot, reader):
    ticket_add_note(
        ticket=shot.ticket, body="x", by=desk.agent.user, attachments=[upload("n.log", LOG)]
    )
    body = client.get(f"{TICKETS}{shot.ticket.number}/?include=thread", **reader).json()
    files = [(e["kind"], a) for e in body["thread"] for a in e["attachments"]]
    assert [(kind, a["filename"]) for kind, a in files] == [
        (EntryKind.MESSAGE, "shot.png"),
        (EntryKind.NOTE, "n.log"),
    ]
    for _kind, described in files:
        assert described["url"].startswith("http")
        path = described["url"].split("://", 1)[1].split("/", 1)[1]
        response = client.get(f"/{path}", **reader)
        assert response.status_code == 200
        assert response["Content-Length"] == str(described["size"])


def test_a_reply_answers_with_its_files_links(client, desk, make_key):
    ticket = desk.ticket()
    writer = bearer(make_key(scopes=["tickets:read", "replies:write"])[1])
    response = client.post(
        f"{TICKETS}{ticket.number}/replies/",
        {"body": "See the log.", "attachments": [upload("crm.log", LOG)]},
        **writer,
    )
    assert response.status_code == 201, response.content
    (described,) = response.json()["attachments"]
    assert described["url"].endswith(f"{TICKETS}{ticket.number}/attachments/{described['id']}/")
