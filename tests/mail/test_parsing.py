"""Reading mail from bytes, the way mail programs really write it."""

import pytest

from mail.parsing import REPLY_ABOVE_MARKER, message_id_of, parse_message, split_quoted
from tests.mail.conftest import message


def test_people_subject_ids_and_text():
    parsed = parse_message(
        message(
            sender='"Jim Halpert" <Jim@Example.com>',
            to="it@theoffice.example, Pam <pam@example.com>",
            subject="=?utf-8?q?Caf=C3=A9?= is =?utf-8?b?ZG93bg==?=",
            headers=[("In-Reply-To", "<a@ours>"), ("References", "<root@ours> <a@ours>")],
        )
    )
    assert (parsed.sender.address, parsed.sender.name) == ("jim@example.com", "Jim Halpert")
    assert [p.address for p in parsed.to] == ["it@theoffice.example", "pam@example.com"]
    assert parsed.subject == "Café is down"
    assert (parsed.message_id, parsed.in_reply_to) == ("m1@mail.example", ["a@ours"])
    assert parsed.references == ["root@ours", "a@ours"]
    assert parsed.text == "The CRM system is down."


def test_an_address_in_a_display_name_is_never_the_sender():
    parsed = parse_message(message(sender='"boss@theoffice.example" <mallory@evil.example>'))
    assert parsed.sender.address == "mallory@evil.example"


@pytest.mark.parametrize(
    ("charset", "text"),
    [("koi8-r", "Привет, мир"), ("windows-1252", "Café – déjà vu"), ("iso-2022-jp", "テスト")],
)
def test_bodies_in_their_charsets(charset, text):
    raw = (
        f"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset={charset}\r\n\r\n"
    ).encode() + text.encode(charset)
    assert parse_message(raw).text == text


def test_8bit_headers_a_lying_charset_and_cr_only_lines():
    raw = (
        "From: Jürgen <j@x.de>\rSubject: été\rContent-Type: text/plain; charset=us-ascii\r\rÄrger"
    )
    parsed = parse_message(raw.encode("utf-8"))
    assert (parsed.sender.name, parsed.subject, parsed.text) == ("Jürgen", "été", "Ärger")
    koi = "From: Иван <i@x.ru>\nSubject: Привет\nContent-Type: text/plain; charset=koi8-r\n\nок"
    parsed = parse_message(koi.encode("koi8-r"))
    assert (parsed.sender.name, parsed.subject) == ("Иван", "Привет")


def test_an_unknown_charset_and_no_transfer_encoding_still_read():
    raw = b"From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=x-made-up\n\n"
    raw += b"hello \xc3\xa9"
    assert parse_message(raw).text == "hello é"


def test_html_only_mail_is_sanitised_and_read_as_text():
    raw = message(
        body="<p>Hello <b>Jim</b></p><script>alert(1)</script><p><a href='javascript:x'>x</a>"
        "<img src='cid:logo@x' onerror='alert(1)'></p>",
        content_type="text/html; charset=utf-8",
    )
    parsed = parse_message(raw)
    assert "<script" not in parsed.html and "onerror" not in parsed.html
    assert "javascript:" not in parsed.html
    assert '<img src="cid:logo@x">' in parsed.html
    assert parsed.text.startswith("Hello Jim")


def test_quoted_history_is_split_off_and_kept():
    body = (
        "Thanks, that worked!\r\n\r\nOn Mon, Dec 1, 2026 at 2:02 PM IT <it@x> wrote:\r\n> Restart."
    )
    parsed = parse_message(message(body=body))
    assert parsed.text == "Thanks, that worked!"
    assert "> Restart." in parsed.quoted
    ours = f"It works now\n\n{REPLY_ABOVE_MARKER}\nYour ticket #1001 ..."
    assert split_quoted(ours) == ("It works now", f"{REPLY_ABOVE_MARKER}\nYour ticket #1001 ...")
    # Nothing but quotes: everything is kept as what was written.
    assert split_quoted("> only quoted\n> text")[0] == "> only quoted\n> text"


def test_attachments_with_encoded_names_inline_images_and_forwarded_mail():
    raw = b"""From: a@example.com
Subject: files
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See attached.
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b
Content-Type: image/png
Content-ID: <logo@x>
Content-Disposition: inline

PNG
--b
Content-Type: message/rfc822

From: b@example.com
Subject: the original

Forwarded text.
--b--
"""
    parsed = parse_message(raw)
    assert parsed.text == "See attached."
    names = [(p.filename, p.content_type, p.inline) for p in parsed.attachments]
    assert names == [
        ("Rechnung März.pdf", "application/pdf", False),
        ("attachment-2", "image/png", True),
        ("forwarded-3.eml", "message/rfc822", False),
    ]
    assert parsed.attachments[0].content == b"%PDF-1.4\n"
    assert parsed.attachments[1].content_id == "logo@x"
    assert b"Forwarded text." in parsed.attachments[2].content


@pytest.mark.parametrize(
    "raw", [b"", b"\x00\xff\xfe", b"no headers at all", b"From: \r\n\r\n", b"Subject: =?x?q?="]
)
def test_nothing_in_the_bytes_makes_it_raise(raw):
    parsed = parse_message(raw)
    assert "\x00" not in parsed.text


def test_the_ledger_key_is_read_from_the_headers_alone():
    assert message_id_of(message(message_id="<Key@Mail.Example>")) == "Key@Mail.Example"
    assert message_id_of(message(message_id="")) == ""


@pytest.mark.parametrize(
    "html",
    [
        # Thunderbird and Apple Mail: the history in <blockquote type="cite">.
        '<p>Restart it.</p><div>On Mon, Jim wrote:</div><blockquote type="cite">'
        "<p>Internal: the vendor owes us money.</p></blockquote>",
        # Gmail: "On ... wrote:" and the blockquote inside div.gmail_quote.
        '<div dir="ltr">Restart it.</div><br><div class="gmail_quote"><div class="gmail_attr">'
        "On Mon, Dec 1, 2026 at 9:00 AM Jim &lt;jim@example.com&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Internal: the vendor owes us money.</blockquote></div>',
        # A bare blockquote with no "wrote:" line.
        "<p>Restart it.</p><blockquote>Internal: the vendor owes us money.</blockquote>",
    ],
)
def test_the_history_an_html_only_reply_quotes_is_split_off(html):
    parsed = parse_message(message(body=html, content_type="text/html; charset=utf-8"))
    assert parsed.text == "Restart it."
    assert "vendor owes us money" in parsed.quoted


def test_a_display_name_no_parser_reads_still_gives_the_address_it_ends_with():
    # Unquoted specials in the name, as Python's own folding writes a long one.
    raw = message(sender='<a href="x">click</a>\r\n <jim@example.com>')
    sender = parse_message(raw).sender
    assert (sender.address, sender.name) == ("jim@example.com", '<a href="x">click</a>')
