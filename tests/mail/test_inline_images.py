"""Inline images (`cid:`): a message's pictures are stored with their Content-ID and shown
in place in its HTML, on the desk and in the portal, to those who may see the entry; a
reference with no stored image behind it, or to a file that is not an image, shows none."""

import base64
import re
from pathlib import Path

import pytest

from mail.ledger import inbound_store
from mail.processing import inbound_process
from tests.support.inert import assert_inert
from tickets.access import access_key_fingerprint
from tickets.models import Attachment

pytestmark = pytest.mark.postgres

DATA = Path(__file__).resolve().parents[1] / "data" / "mail"
# A real Apple Mail message: multipart/related, an <img src="cid:..."> and its PNG part.
APPLE_MAIL = DATA / "inline" / "enmime-apple-mail-cid.eml"
APPLE_CID = "8B8481A2-25CA-4886-9B5A-8EB9115DD064@skynet"

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _related(html: str, parts: list[tuple[str, str, bytes]]) -> bytes:
    """multipart/related: the HTML, then (content-id, content type, bytes) parts."""
    lines = [
        "From: Jim Halpert <jim@example.com>",
        "To: it@theoffice.example",
        "Subject: Screenshot of the error",
        "Message-ID: <inline1@mail.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/related; boundary="REL"; type="text/html"',
        "",
        "--REL",
        "Content-Type: text/html; charset=utf-8",
        "",
        html,
    ]
    for number, (content_id, content_type, content) in enumerate(parts):
        lines += [
            "--REL",
            f"Content-Type: {content_type}",
            "Content-Transfer-Encoding: base64",
            f"Content-ID: <{content_id}>",
            f'Content-Disposition: inline; filename="part{number}"',
            "",
            base64.b64encode(content).decode("ascii"),
        ]
    lines.append("--REL--")
    return "\r\n".join(lines).encode()


def _emailed(mailbox, raw: bytes):
    row, _ = inbound_store(mailbox=mailbox, raw=raw, source="pipe")
    return inbound_process(inbound_id=row.pk)


def _portal_client(client, ticket):
    session = client.session
    session["guest_tickets"] = {str(ticket.number): access_key_fingerprint(ticket)}
    session.save()
    return client


def test_an_apple_mail_inline_image_is_stored_and_shown_in_place(mailbox, desk, client_for):
    result = _emailed(mailbox, APPLE_MAIL.read_bytes())
    image = Attachment.objects.get(ticket=result.ticket)
    assert (image.content_id, image.content_type) == (APPLE_CID, "image/png")

    agent = client_for(desk.agent.user)
    html = agent.get(f"/agent/tickets/{result.ticket.number}/").content.decode()
    inline = f"/agent/attachments/{image.pk}/inline/"
    assert f'src="{inline}"' in html
    assert "cid:" not in html
    response = agent.get(inline)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert not response.get("Content-Disposition", "").startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == image.file.open("rb").read()


def test_the_requester_sees_the_image_in_place_and_no_one_else_can_fetch_it(
    mailbox, desk, client, client_for
):
    png_html = '<p>Error:</p><img src="cid:shot%40x" alt="screenshot">'
    result = _emailed(mailbox, _related(png_html, [("shot@x", "image/png", PNG)]))
    image = Attachment.objects.get(ticket=result.ticket)
    ticket = result.ticket

    html = _portal_client(client, ticket).get(f"/tickets/{ticket.number}/").content.decode()
    inline = f"/tickets/{ticket.number}/files/{image.token}/inline/"
    assert f'src="{inline}"' in html  # RFC 2392's URL-encoded reference found its part
    assert client.get(inline).status_code == 200
    assert client.get(inline)["Content-Type"] == "image/png"

    assert client_for(None).get(inline).status_code in (302, 404)
    other_department = client_for(desk.sales_agent.user)
    assert other_department.get(f"/agent/attachments/{image.pk}/inline/").status_code == 404


def test_a_reference_to_what_is_not_an_image_or_not_there_shows_nothing(mailbox, desk, client_for):
    # A PDF given a Content-ID, a reference to a part that was never sent, a remote image
    # and a data: URL: none becomes an image on the page.
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    page = (
        '<img src="cid:doc@x" alt="doc"><img src="cid:missing@x" alt="gone">'
        '<img src="https://tracker.example/p.gif"><img src="data:image/png;base64,AAAA">'
        '<img src="cid:&quot;onerror=alert(1)//" alt="x">'
    )
    result = _emailed(mailbox, _related(page, [("doc@x", "application/pdf", pdf)]))
    pdf_row = Attachment.objects.get(ticket=result.ticket)
    agent = client_for(desk.agent.user)

    html = agent.get(f"/agent/tickets/{result.ticket.number}/").content.decode()
    whole = html[html.index('class="entry-html"') :]
    whole = whole[: whole.index("</div>")]
    assert re.findall(r"<img[^>]*\bsrc=", whole) == []
    assert 'alt="gone"' in whole  # the alt text still says what was there
    assert "tracker.example" not in html
    assert_inert(html, where="the agent's ticket page")
    # The PDF is listed as a file, and is never served inline.
    assert f"/agent/attachments/{pdf_row.pk}/" in html
    assert agent.get(f"/agent/attachments/{pdf_row.pk}/inline/").status_code == 404
    download = agent.get(f"/agent/attachments/{pdf_row.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")


def test_an_inline_image_of_an_internal_entry_is_not_the_requesters(
    mailbox, desk, client, client_for
):
    # An agent's emailed #note with a picture: agents see it; the requester cannot fetch it.
    first = _emailed(mailbox, _related("<p>hi</p>", []))
    ticket = first.ticket
    note = _related('<p>#note</p><img src="cid:n@x">', [("n@x", "image/png", PNG)])
    note = note.replace(b"Jim Halpert <jim@example.com>", desk.agent.user.email.encode())
    note = note.replace(b"<inline1@mail.example>", b"<inline2@mail.example>")
    note = note.replace(
        b"Subject: Screenshot of the error", f"Subject: Re: [#{ticket.number}] x".encode()
    )
    _emailed(mailbox, note)
    image = Attachment.objects.get(ticket=ticket, content_id="n@x")
    assert image.entry.kind == "note"

    inline = f"/tickets/{ticket.number}/files/{image.token}/inline/"
    assert _portal_client(client, ticket).get(inline).status_code == 404
    assert (
        client_for(desk.agent.user).get(f"/agent/attachments/{image.pk}/inline/").status_code
        == 200
    )
