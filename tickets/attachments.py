"""Files that come with a message: checked by their content, stored under random names.

The name and Content-Type a browser sends are claims, not facts, so neither decides what a
file is. The first bytes do: a small allow-list of formats that people send to a help desk
(screenshots, PDFs, plain text and logs, office documents), each recognised by its magic
bytes. Anything else (HTML, SVG, executables, scripts, unknown binaries) is refused. The
type we detect, never the browser's, is stored and sent back on download, always as
`Content-Disposition: attachment` with `nosniff`. See docs/decisions/0009.

Validation runs before the service's transaction; storing runs inside it, and a
transaction that rolls back deletes the files it wrote.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile

from tickets.errors import InvalidInput
from tickets.models import Attachment, ThreadEntry, Ticket

FILENAME_MAX_LENGTH = Attachment._meta.get_field("filename").max_length
CONTENT_ID_MAX_LENGTH = Attachment._meta.get_field("content_id").max_length
# Bytes read to recognise a file; enough for every signature below.
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Kind:
    content_type: str
    label: str


PNG = Kind("image/png", "PNG image")
JPEG = Kind("image/jpeg", "JPEG image")
GIF = Kind("image/gif", "GIF image")
WEBP = Kind("image/webp", "WebP image")
PDF = Kind("application/pdf", "PDF document")
TEXT = Kind("text/plain", "text file")
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"
)
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel sheet")
PPTX = Kind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
)
ODF = {
    b"application/vnd.oasis.opendocument.text": Kind(
        "application/vnd.oasis.opendocument.text", "OpenDocument text"
    ),
    b"application/vnd.oasis.opendocument.spreadsheet": Kind(
        "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet"
    ),
}
ZIP = Kind("application/zip", "ZIP archive")

ALLOWED_DESCRIPTION = "images (PNG, JPEG, GIF, WebP), PDF, plain text, Word, Excel, PowerPoint"

# Control characters that text files do not contain (tabs, newlines, form feeds and the
# escape of coloured logs excepted); binaries are full of them.
_CONTROL_CHARACTERS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
# Text that a browser could be talked into running, whatever it is called.
_ACTIVE_TEXT_MARKERS = (
    b"<html",
    b"<!doctype",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<body",
    b"<iframe",
)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed validation, read into memory (they are small by rule)."""

    filename: str
    content: bytes
    kind: Kind
    sha256: str
    # A mail part's Content-ID (without brackets), for the message's `cid:` references.
    content_id: str = ""

    @property
    def size(self) -> int:
        return len(self.content)


def _detect_zip(content: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return ODF.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
                if any(n.startswith("ppt/") for n in names):
                    return PPTX
                return None
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError, EOFError):
        return None
    return ZIP


def _is_plain_text(head: bytes, *, complete: bool) -> bool:
    if _CONTROL_CHARACTERS.search(head):
        return False
    try:
        # Incremental, so a multi-byte character cut at the end of the sample is fine.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    lowered = head.lower()
    return not any(marker in lowered for marker in _ACTIVE_TEXT_MARKERS)


def detect_kind(content: bytes) -> Kind | None:
    """What the bytes are, from the allow-list; None for anything else."""
    head = content[:SNIFF_BYTES]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        kind = _detect_zip(content)
        # Plain ZIP archives can hide anything; only recognised office documents pass.
        return None if kind is ZIP else kind
    if head and _is_plain_text(head, complete=len(content) <= SNIFF_BYTES):
        return TEXT
    return None


def _safe_filename(name: str) -> str:
    # Only the last path component, without control characters; it is data, never a path.
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    if not name:
        name = "attachment"
    if len(name) > FILENAME_MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = (stem or name)[: FILENAME_MAX_LENGTH - len(ext) - 1] + (f".{ext}" if ext else "")
    return name


def attachments_validate(files: Sequence) -> list[CheckedFile]:
    """Check count, size and content of uploaded files; InvalidInput names the first problem."""
    files = [f for f in files if f is not None]
    if len(files) > settings.ATTACHMENT_MAX_COUNT:
        raise InvalidInput(f"Attach at most {settings.ATTACHMENT_MAX_COUNT} files.")
    return [
        file_check(
            upload,
            max_bytes=settings.ATTACHMENT_MAX_BYTES,
            allowed_description=ALLOWED_DESCRIPTION,
        )
        for upload in files
    ]


IMAGE_KINDS = frozenset({PNG, JPEG, GIF, WEBP})
IMAGES_DESCRIPTION = "PNG, JPEG, GIF or WebP images"


def image_validate(upload, *, max_bytes: int) -> CheckedFile:
    """One upload that must be a raster image (knowledge-base articles' pictures): the
    same checks as every attachment, then only the image kinds. SVG never passes: it is
    text that can hold script, and detect_kind does not take it as an image."""
    return file_check(
        upload, max_bytes=max_bytes, kinds=IMAGE_KINDS, allowed_description=IMAGES_DESCRIPTION
    )


def file_check(
    upload,
    *,
    max_bytes: int,
    allowed_description: str,
    kinds: frozenset[Kind] | None = None,
) -> CheckedFile:
    """One upload checked by size and content (never its name or the browser's type);
    `kinds` narrows the allow-list. InvalidInput names the problem."""
    name = _safe_filename(getattr(upload, "name", ""))
    size = getattr(upload, "size", None)
    too_large = f"{name} is too large (at most {_megabytes(max_bytes)} per file)."
    if size is not None and size > max_bytes:
        raise InvalidInput(too_large)
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InvalidInput(too_large)
    if not content:
        raise InvalidInput(f"{name} is empty.")
    kind = detect_kind(content)
    if kind is None or (kinds is not None and kind not in kinds):
        raise InvalidInput(
            f"{name} is not a kind of file we accept. Allowed: {allowed_description}."
        )
    return CheckedFile(
        filename=name,
        content=content,
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        content_id=_safe_content_id(getattr(upload, "content_id", "")),
    )


def _safe_content_id(value) -> str:
    # Uploads from the mail channel carry their part's Content-ID; nothing else does.
    value = str(value or "").strip()
    return value if value.isprintable() and len(value) <= CONTENT_ID_MAX_LENGTH else ""


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


@contextlib.contextmanager
def files_removed_on_error() -> Iterator[list]:
    """Collects the files a service writes, and deletes them if the service fails.

    Files are not transactional: a change that rolls back must not leave its uploads behind.
    Wrap the service's `transaction.atomic()` in it and pass the list to attachments_store.
    """
    written: list = []
    try:
        yield written
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


def attachments_store(
    *, ticket: Ticket, entry: ThreadEntry, files: Sequence[CheckedFile], written: list
) -> list[Attachment]:
    """Save checked files for an entry; call inside the service's transaction."""
    stored = []
    for checked in files:
        attachment = Attachment(
            ticket=ticket,
            entry=entry,
            token=secrets.token_hex(16),
            filename=checked.filename,
            content_type=checked.kind.content_type,
            size=checked.size,
            sha256=checked.sha256,
            content_id=checked.content_id,
            created_at=entry.created_at,
        )
        # The storage name comes from attachment_path: ticket id, hash prefix, random token.
        attachment.file.save("upload", ContentFile(checked.content), save=False)
        written.append((attachment.file.storage, attachment.file.name))
        attachment.save()
        stored.append(attachment)
    return stored
