"""An emailed screenshot shows in place, in Chromium: the agent opens the whole message and
the picture is drawn from the desk's file view (the page's CSP and the file's headers let
it through, and nothing else)."""

import base64
import struct
import zlib

import pytest
from playwright.sync_api import expect

from mail.demo import demo_mailboxes
from mail.ledger import inbound_store
from mail.models import Mailbox
from mail.processing import inbound_process
from tickets.demo import DEMO_PASSWORD, demo_email


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, written by hand: no imaging library needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def screenshot_mail(number: int) -> bytes:
    image = base64.encodebytes(png(240, 60, (220, 53, 69))).decode("ascii")
    return (
        (
            "From: Jim Halpert <{jim}>\r\nTo: it@theoffice.example\r\n"
            "Subject: Re: [#{number}] CRM is down\r\nMessage-ID: <shot1@mail.example>\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="R"\r\n\r\n'
            "--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            '<p>This is what I see:</p><p><img src="cid:error-shot@mail.example" alt="the error">'
            "</p>\r\n"
            "--R\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-ID: <error-shot@mail.example>\r\n"
            'Content-Disposition: inline; filename="error.png"\r\n\r\n{image}\r\n--R--\r\n'
        )
        .format(jim=demo_email("Jim Halpert"), number=number, image=image)
        .encode()
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_agent_sees_the_emailed_screenshot_in_place(page, live_server, crm, screenshot):
    demo_mailboxes()
    mailbox = Mailbox.objects.get(address="it@theoffice.example")
    # Committed at once (transaction=True), so the worker's task (eager here) processes it.
    row, _ = inbound_store(mailbox=mailbox, raw=screenshot_mail(crm.number), source="pipe")
    inbound_process(inbound_id=row.pk)  # a no-op if the task already did it
    row.refresh_from_db()
    assert row.ticket == crm

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(demo_email("Kevin Benavides"))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/agent/tickets/{crm.number}/")
    page.get_by_role("button", name="Show the whole message").last.click()

    image = page.get_by_alt_text("the error")
    expect(image).to_be_visible()
    # Drawn, not a broken-image icon: the browser decoded the stored part.
    assert image.evaluate("img => img.complete && img.naturalWidth") == 240
    screenshot("inline-image")
