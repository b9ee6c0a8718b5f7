import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.attachments import attachments_validate, detect_kind
from tickets.errors import InvalidInput

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n%...\n"


def office(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 10, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (PDF, "application/pdf"),
        ("Error 42 at 09:00 — café\n".encode(), "text/plain"),
        (
            office("word"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (office("xl"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_allowed_kinds_are_recognised_by_their_bytes(content, expected):
    assert detect_kind(content).content_type == expected


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"<!DOCTYPE html><p>hi",
        b'<?xml version="1.0"?><svg onload="alert(1)"/>',
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable
        b"\x7fELF\x02\x01\x01",
        b"\x00\x01\x02\x03binary",
        b"\xff\xfe\x00\x00not utf-8 \xff",
    ],
)
def test_anything_else_is_refused(content):
    assert detect_kind(content) is None


def test_a_plain_zip_is_refused_whatever_it_holds():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    assert detect_kind(buffer.getvalue()) is None


def test_the_name_and_type_the_browser_sends_decide_nothing():
    with pytest.raises(InvalidInput, match="not a kind of file we accept"):
        attachments_validate([upload("screenshot.png", b"<html><script>", "image/png")])

    [checked] = attachments_validate([upload("notes.html", PNG, "text/html")])
    assert checked.kind.content_type == "image/png"


def test_size_and_count_limits(settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    settings.ATTACHMENT_MAX_COUNT = 2

    with pytest.raises(InvalidInput, match="too large"):
        attachments_validate([upload("big.txt", b"a" * 101)])
    with pytest.raises(InvalidInput, match="at most 2 files"):
        attachments_validate([upload(f"{i}.txt", b"a") for i in range(3)])
    with pytest.raises(InvalidInput, match="empty"):
        attachments_validate([upload("empty.txt", b"")])
    assert len(attachments_validate([upload("ok.txt", b"a" * 100)])) == 1


def test_filenames_are_data_without_paths_or_control_characters():
    [checked] = attachments_validate([upload("../../etc/passwd\x07.txt", b"root")])
    assert checked.filename == "passwd.txt"
    [checked] = attachments_validate([upload("..\\..\\boot.ini", b"x")])
    assert checked.filename == "boot.ini"


def test_checked_files_carry_their_sha256():
    [checked] = attachments_validate([upload("a.txt", b"hello")])
    assert checked.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert checked.size == 5
