"""Opening a ticket with files: multipart/form-data, the requester as `requester.email` and
`requester.name` fields, each file an `attachments` part, checked as on the pages. A file
refused is a 400 naming it, and nothing at all is created: no ticket, no requester, no
file on disk, no email."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart

from accounts.models import User
from tests.api.conftest import bearer
from tests.support.hostile import PAYLOADS
from tickets.models import Attachment, Notification, Priority, Source, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LOG = b"12:00:01 CRM: connection refused\n12:00:02 CRM: retrying\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def writer(make_key):
    return bearer(make_key(name="Monitoring", scopes=["tickets:read", "tickets:write"])[1])


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def form(desk, **fields) -> dict:
    return {
        "help_topic": desk.topic.pk,
        "requester.email": "Pam@Example.com",
        "requester.name": "Pam Beesly",
        "subject": "Printer jams",
        "body": "It jams on every page; the log is attached.",
        **fields,
    }


def files_on_disk(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


def assert_nothing_created(media) -> None:
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="pam@example.com").exists()
    assert not Attachment.objects.exists()
    assert not TicketEvent.objects.exists()
    assert not Notification.objects.exists()
    assert files_on_disk(media) == []


def test_a_ticket_with_files_for_a_new_requester(client, desk, writer, media):
    response = client.post(
        TICKETS,
        form(
            desk,
            priority="urgent",
            attachments=[upload("shot.png", PNG, "image/png"), upload("printer.log", LOG)],
        ),
        **writer,
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.subject, ticket.priority, ticket.source) == (
        "Printer jams",
        Priority.URGENT,
        Source.API,
    )
    assert (ticket.requester.email, ticket.requester.display_name) == (
        "pam@example.com",
        "Pam Beesly",
    )
    message = ticket.entries.get()
    assert [(a.filename, a.content_type, a.size) for a in message.attachments.all()] == [
        ("shot.png", "image/png", len(PNG)),
        ("printer.log", "text/plain", len(LOG)),
    ]
    assert ticket.events.get(kind="created").data["via"] == "API key Monitoring"
    assert len(files_on_disk(media)) == 2

    # What was sent comes back, byte for byte, from the urls the thread gives.
    thread = client.get(f"{TICKETS}{ticket.number}/?include=thread", **writer).json()["thread"]
    urls = [a["url"] for a in thread[0]["attachments"]]
    downloads = [client.get(url.split("127.0.0.1:8000", 1)[-1], **writer) for url in urls]
    assert [b"".join(d.streaming_content) for d in downloads] == [PNG, LOG]


def test_without_files_and_with_the_hostile_corpus(client, desk, writer):
    response = client.post(TICKETS, form(desk, subject=PAYLOADS[0], body=PAYLOADS[1]), **writer)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.entries.get().body) == (PAYLOADS[0], PAYLOADS[1])
    assert response.json()["subject"] == PAYLOADS[0]


def test_an_existing_requester_is_found_and_not_renamed(client, desk, writer):
    response = client.post(
        TICKETS,
        form(
            desk, **{"requester.email": desk.requester.email.upper(), "requester.name": "Someone"}
        ),
        **writer,
    )
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().requester == desk.requester
    desk.requester.refresh_from_db()
    assert desk.requester.display_name == "Jim Halpert"


@pytest.mark.parametrize(
    ("files", "named"),
    [
        ([upload("evil.exe", b"MZ\x90\x00" + b"\x00" * 64)], "evil.exe"),
        ([upload("page.html", b"<html><script>alert(1)</script></html>", "text/plain")],
         "page.html"),
        ([upload("shot.png", PNG), upload("payload.svg", b"<svg onload=alert(1)>")],
         "payload.svg"),
        ([upload("empty.txt", b"")], "empty.txt"),
    ],
)  # fmt: skip
def test_a_refused_file_is_400_naming_it_and_nothing_is_created(
    client, desk, writer, media, files, named
):
    response = client.post(TICKETS, form(desk, attachments=files), **writer)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert named in response.json()["detail"]
    assert_nothing_created(media)


def test_a_file_too_large_is_400_naming_it(client, desk, writer, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = upload("printer.log", b"paper jam\n" * 200)
    response = client.post(TICKETS, form(desk, attachments=[upload("ok.log", LOG), big]), **writer)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("printer.log is too large (at most ")
    assert_nothing_created(media)


def test_too_many_files_is_400(client, desk, writer, media, settings):
    files = [upload(f"{i}.log", LOG) for i in range(settings.ATTACHMENT_MAX_COUNT + 1)]
    response = client.post(TICKETS, form(desk, attachments=files), **writer)
    assert response.status_code == 400
    assert str(settings.ATTACHMENT_MAX_COUNT) in response.json()["detail"]
    assert_nothing_created(media)


def test_a_refused_department_leaves_no_requester_behind(client, desk, writer, media):
    response = client.post(
        TICKETS, form(desk, department=desk.sales.pk, attachments=[upload("a.log", LOG)]), **writer
    )
    assert response.status_code == 403
    assert_nothing_created(media)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"requester.email": "not an address"}, "requester"),
        ({"requester.role": "admin"}, "requester"),
        ({"requester": "pam@example.com"}, "requester"),
        ({"colour": "red"}, "colour"),
        ({"subject": ""}, "subject"),
        ({"priority": "extreme"}, "priority"),
        ({"help_topic": "abc"}, "help_topic"),
    ],
)
def test_bad_form_fields_are_400_naming_them(client, desk, writer, media, fields, error):
    response = client.post(
        TICKETS, form(desk, attachments=[upload("a.log", LOG)], **fields), **writer
    )
    assert response.status_code == 400, response.content
    assert error in response.json()["errors"]
    assert_nothing_created(media)


def test_without_the_requesters_email_is_400(client, desk, writer, media):
    fields = form(desk)
    del fields["requester.email"]
    response = client.post(TICKETS, fields, **writer)
    assert response.status_code == 400
    assert response.json()["errors"]["requester"]["email"]
    del fields["requester.name"]
    response = client.post(TICKETS, fields, **writer)
    assert response.status_code == 400 and "requester" in response.json()["errors"]
    assert_nothing_created(media)


def test_files_under_another_name_are_refused(client, desk, writer, media):
    response = client.post(TICKETS, form(desk, file=upload("a.log", LOG)), **writer)
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert_nothing_created(media)


def test_a_retry_with_the_same_idempotency_key_opens_one_ticket(client, desk, writer):
    def send():
        return client.post(
            TICKETS,
            form(desk, attachments=[upload("a.log", LOG)]),
            HTTP_IDEMPOTENCY_KEY="printer-42",
            **writer,
        )

    first, second = send(), send()
    assert first.status_code == second.status_code == 201, first.content
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == second.json()["number"]
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1


def multipart(fields: dict, boundary: str) -> dict:
    return {
        "data": encode_multipart(boundary, fields),
        "content_type": f"multipart/form-data; boundary={boundary}",
    }


def test_a_retry_with_another_part_boundary_is_the_same_request(client, desk, writer):
    """Clients draw a new boundary for every request (requests, curl): a retry is the same
    request by its fields and files, not by its bytes."""
    fields = form(desk, attachments=[upload("a.log", LOG)])
    first = client.post(TICKETS, **multipart(fields, "first"), HTTP_IDEMPOTENCY_KEY="k", **writer)
    fields["attachments"] = [upload("a.log", LOG)]
    again = client.post(TICKETS, **multipart(fields, "again"), HTTP_IDEMPOTENCY_KEY="k", **writer)
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert again["Idempotent-Replayed"] == "true"
    fields["attachments"] = [upload("a.log", LOG + b"more\n")]
    other = client.post(TICKETS, **multipart(fields, "other"), HTTP_IDEMPOTENCY_KEY="k", **writer)
    assert other.status_code == 422
    assert Ticket.objects.count() == 1


def test_a_file_larger_than_djangos_memory_limit_with_an_idempotency_key(
    client, desk, writer, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # 2.5 MB by default; the file is larger
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # and it goes to a temporary file
    log = b"paper jam on tray 2\n" * 1000
    response = client.post(
        TICKETS,
        form(desk, attachments=[upload("tray.log", log)]),
        HTTP_IDEMPOTENCY_KEY="big-one",
        **writer,
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert (attachment.size, attachment.file.read()) == (len(log), log)


def test_a_json_body_over_the_limit_with_an_idempotency_key_is_413(client, desk, writer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"requester": {"email": "pam@example.com"}, "subject": "s", "body": "x" * 20_000,
            "help_topic": desk.topic.pk}  # fmt: skip
    response = client.post(
        TICKETS, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k", **writer
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "too large" in response.json()["detail"]
    assert not Ticket.objects.exists()
