"""Files in the agent's reply box: stored on the reply, listed for the requester, refused by
content with the typed reply kept, and only for agents of the ticket's department."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.models import Attachment, EntryKind, ThreadEntry
from tickets.services import ticket_add_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(desk):
    return desk.ticket()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def reply_url(ticket) -> str:
    return f"/agent/tickets/{ticket.number}/reply/"


def replies(ticket):
    return ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY)


def test_the_reply_box_sends_files_as_multipart_on_both_paths(desk, ticket, client_for):
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    form = html[html.index(f'action="{reply_url(ticket)}"') :]
    form = form[: form.index("</form>")]
    assert 'enctype="multipart/form-data"' in form
    assert 'hx-encoding="multipart/form-data"' in form
    assert 'type="file" name="reply-attachments"' in form and " multiple" in form
    assert "up to 5 files of 10\xa0MB each" in form


@pytest.mark.parametrize("htmx", [False, True], ids=["full-page", "htmx"])
def test_a_reply_with_a_png_and_a_pdf_stores_them_on_the_reply(desk, ticket, client_for, htmx):
    client = client_for(desk.agent.user)
    response = client.post(
        reply_url(ticket),
        {
            "reply-body": "Here is the fix.",
            "reply-attachments": [
                upload("fix.png", PNG, "image/png"),
                upload("steps.pdf", PDF, "application/pdf"),
            ],
        },
        follow=True,
        **(HTMX if htmx else {}),
    )
    assert response.status_code == 200
    assert "Reply sent to the requester with 2 attachments." in response.content.decode()
    reply = replies(ticket).get()
    stored = {a.filename: a for a in Attachment.objects.filter(entry=reply)}
    assert set(stored) == {"fix.png", "steps.pdf"}
    assert stored["fix.png"].content_type == "image/png"
    assert stored["steps.pdf"].content_type == "application/pdf"
    assert stored["fix.png"].file.read() == PNG
    # The agent's page lists them on the reply.
    page = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f"/agent/attachments/{stored['steps.pdf'].pk}/" in page


def test_the_requester_sees_and_downloads_the_replys_files(desk, ticket, client_for):
    client_for(desk.agent.user).post(
        reply_url(ticket),
        {"reply-body": "See the screenshot.", "reply-attachments": upload("fix.png", PNG)},
    )
    stored = Attachment.objects.get(entry__in=replies(ticket))
    requester = client_for(desk.requester)
    html = requester.get(f"/tickets/{ticket.number}/").content.decode()
    link = f"/tickets/{ticket.number}/files/{stored.token}/"
    assert "fix.png" in html and link in html
    download = requester.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG


@pytest.mark.parametrize("htmx", [False, True], ids=["full-page", "htmx"])
def test_a_forbidden_type_is_refused_with_the_reply_kept_and_nothing_stored(
    desk, ticket, client_for, htmx
):
    client = client_for(desk.agent.user)
    response = client.post(
        reply_url(ticket),
        {
            "reply-body": "My carefully typed answer",
            "reply-attachments": [
                upload("fine.png", PNG, "image/png"),
                upload("evil.html", b"<html><script>alert(1)</script></html>", "image/png"),
            ],
        },
        **(HTMX if htmx else {}),
    )
    assert response.status_code == (200 if htmx else 400)
    html = response.content.decode()
    assert "evil.html is not a kind of file we accept" in html
    assert "alert alert-danger" in html
    assert "My carefully typed answer</textarea>" in html
    assert not replies(ticket).exists()
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_too_many_files_are_refused(desk, ticket, client_for, settings):
    settings.ATTACHMENT_MAX_COUNT = 1
    response = client_for(desk.agent.user).post(
        reply_url(ticket),
        {
            "reply-body": "Two files",
            "reply-attachments": [upload("a.png", PNG), upload("b.png", PNG)],
        },
    )
    assert response.status_code == 400
    assert "Attach at most 1 files." in response.content.decode()
    assert not replies(ticket).exists()


def test_an_agent_of_another_department_cannot_post_files(desk, ticket, client_for):
    client = client_for(desk.sales_agent.user)
    for extra in ({}, HTMX):
        response = client.post(
            reply_url(ticket),
            {"reply-body": "Not mine", "reply-attachments": upload("x.png", PNG)},
            **extra,
        )
        assert response.status_code == 404
    assert not replies(ticket).exists()
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_end_users_and_anonymous_visitors_cannot_post_files(desk, ticket, client_for):
    data = {"reply-body": "Hi", "reply-attachments": upload("x.png", PNG)}
    assert client_for(desk.requester).post(reply_url(ticket), data).status_code == 403
    data["reply-attachments"] = upload("x.png", PNG)
    anonymous = client_for(None).post(reply_url(ticket), data)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_a_reply_held_back_by_a_new_message_stores_no_files_and_says_so(desk, ticket, client_for):
    seen = ThreadEntry.objects.filter(ticket=ticket).latest("pk").pk
    ticket_add_message(ticket=ticket, body="Never mind, it works", by=desk.requester)
    response = client_for(desk.agent.user).post(
        reply_url(ticket),
        {
            "reply-body": "Here is the fix.",
            "reply-last_seen_entry": seen,
            "reply-attachments": upload("fix.png", PNG),
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "your reply was not sent" in html and "Attach your files again." in html
    assert "Here is the fix.</textarea>" in html
    assert not Attachment.objects.filter(ticket=ticket).exists()
