"""Reading a message from its bytes: people, subject, the new text, HTML, attachments.

Mail is written by thousands of programs, many of them wrong. The parser works on bytes
(Python's email package, modern policy) and never gives up on a message: a header with raw
8-bit bytes, a charset that does not exist or lies, a missing Content-Transfer-Encoding,
CR-only lines, all end as readable text. What people wrote is kept exactly; HTML is kept
only as sanitised by nh3.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.parser
import email.utils
import functools
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.policy import EmailPolicy

import nh3
import tnefparse
from charset_normalizer import from_bytes

from mail.quote_headers import latest_reply
from tickets.outbox import REPLY_ABOVE_MARKER  # our mail's line above the quoted history
from web.html import sanitize_html

# Languages whose quote headers ("On ... wrote:") the reply parser knows ("cs" is Czech:
# mailparser_reply ignores codes it does not know, as "cz" was).
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "ja", "cs", "da"]
# Control characters are never part of an id (RFC 5322's msg-id is printable ASCII), and
# PostgreSQL cannot store a NUL: an id holding one is no id, and the ledger keys the
# message by its content instead.
MESSAGE_ID_RE = re.compile(r"<([^<>\s\x00-\x1f\x7f]+)>")
# Charsets that mail programs name but Python does not know under that name.
CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "windows-874": "cp874",
    "gb2312": "gb18030",  # a superset: mail "in GB2312" often uses GBK characters
    "ansi_x3.4-1968": "ascii",
}


class _ParsedOncePolicy(EmailPolicy):
    """The modern policy (policy.default), except that a header is parsed once, not at
    every read: the standard library parses it anew each time, a part's Content-Type a
    dozen times while its body is read, and that was most of the cost of reading a
    message. Header objects do not change once made, so one can serve every read."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


PARSE_POLICY = _ParsedOncePolicy()


@functools.lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str):
    return EmailPolicy.header_fetch_parse(PARSE_POLICY, name, value)


@dataclass(frozen=True)
class Person:
    address: str  # the addr-spec, lower-cased; empty when the header held none
    name: str = ""


@dataclass
class Part:
    """An attachment or an inline image, as bytes."""

    filename: str
    content_type: str
    content: bytes
    content_id: str = ""  # without angle brackets
    inline: bool = False


@dataclass
class ParsedMessage:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    sender: Person
    to: list[Person]
    cc: list[Person]
    subject: str
    date: datetime | None
    text: str  # what the sender wrote, quoted history split off
    quoted: str  # the history that was split off ("show the whole message")
    html: str  # sanitised, or empty
    attachments: list[Part] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), "")

    @property
    def recipients(self) -> list[Person]:
        return [*self.to, *self.cc]


def message_id_of(raw: bytes) -> str:
    """The Message-ID of raw bytes, from the headers alone (cheap: for the ledger's key)."""
    message = email.parser.BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return _first_id(str(message.get("Message-ID", "")).encode("ascii", "replace").decode())


def summary_of(raw: bytes) -> tuple[str, str]:
    """(sender address, subject) from the headers alone, for listing a message that could
    not be parsed; never raises."""
    try:
        message = email.parser.BytesHeaderParser(policy=policy.default).parsebytes(raw[:65536])
        headers = _Headers(message)
        return _first(headers.people("From")).address, headers.get("Subject")
    except Exception:  # a summary, for a list: anything rather than nothing
        return "", ""


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything we use of a message. Never raises for what is in the bytes."""
    message = email.message_from_bytes(_normal_line_ends(raw), policy=PARSE_POLICY)
    headers = _Headers(message)
    text, html_body = _body(message)
    visible, quoted = split_quoted(text)
    return ParsedMessage(
        message_id=_first_id(headers.get("Message-ID")),
        in_reply_to=_ids(headers.get("In-Reply-To")),
        references=_ids(headers.get("References")),
        sender=_first(headers.people("From")),
        to=headers.people("To"),
        cc=headers.people("Cc"),
        subject=headers.get("Subject"),
        date=_date(headers.get("Date")),
        text=visible,
        quoted=quoted,
        html=sanitize_html(html_body) if html_body else "",
        attachments=list(_attachments(message, headers)),
        headers=headers.items(),
        defects=[type(d).__name__ for d in message.defects],
    )


# Headers -----------------------------------------------------------------------------


def _normal_line_ends(raw: bytes) -> bytes:
    # Old Macs' CR-only lines: the parser would see one line.
    if b"\r" in raw and b"\n" not in raw:
        return raw.replace(b"\r", b"\r\n")
    return raw


def _has_raw_bytes(text: str) -> bool:
    # The parser keeps 8-bit bytes it could not decode as surrogate escapes.
    return any("\udc80" <= char <= "\udcff" for char in text)


ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
BETWEEN_WORDS = re.compile(r"(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?)")


def decode_encoded_words(text: str) -> str:
    """RFC 2047 encoded words (=?utf-8?q?...?=) decoded where they stand; the text around
    them is left as it is, and the blanks between two words go, as the RFC says."""

    def decoded(match: re.Match) -> str:
        try:
            [(data, charset)] = email.header.decode_header(match.group(0))
        except (ValueError, email.errors.HeaderParseError):
            return match.group(0)
        return decode_bytes(data, charset) if isinstance(data, bytes) else data

    return ENCODED_WORD.sub(decoded, BETWEEN_WORDS.sub(r"\1", text))


class _Headers:
    """A message's headers as text, robustly.

    8-bit bytes in a header (which the standard forbids, and many programs send) are read
    as UTF-8, else in the charset the message's body declares, else Windows-1252.
    """

    def __init__(self, message: Message):
        self.message = message
        self.charset = _declared_charset(message)

    def raw(self, name: str) -> str | None:
        for key, value in _raw_items(self.message):
            if key.lower() == name.lower():
                return value
        return None

    def text(self, value) -> str:
        text = str(value)
        if _has_raw_bytes(text):
            text = self.decode_raw(text.encode("utf-8", "surrogateescape"))
        return " ".join(text.split())

    def decode_raw(self, data: bytes) -> str:
        for name in ("utf-8", self.charset, _guess_single_byte(data), "cp1252"):
            if not name:
                continue
            try:
                return data.decode(CHARSET_ALIASES.get(name, name))
            except (LookupError, UnicodeDecodeError):
                continue
        return data.decode("latin-1")

    def get(self, name: str) -> str:
        raw = self.raw(name)
        if raw is None:
            return ""
        if _has_raw_bytes(raw):
            return self.text(decode_encoded_words(self.text(raw)))
        try:
            value = self.message.get(name)
        except (IndexError, ValueError, TypeError, AttributeError, LookupError):
            value = decode_encoded_words(raw)
        return "" if value is None else self.text(value)

    def people(self, name: str) -> list[Person]:
        """The addresses of an address header: always the addr-spec, never a display
        name (where "boss@company.example" <someone@else.example> may hide)."""
        raw = self.raw(name)
        if raw is None:
            return []
        try:
            if _has_raw_bytes(raw):
                raise ValueError("8-bit bytes in an address header")
            header = self.message.get(name)
            found = [(a.display_name, a.addr_spec) for a in header.addresses]
        except (IndexError, ValueError, TypeError, AttributeError, LookupError):
            found = email.utils.getaddresses([self.text(raw)])
        people = [
            Person(address.lower(), self.text(decode_encoded_words(display)))
            for display, address in found
        ]
        people = [p for p in people if "@" in p.address and " " not in p.address]
        return people or _trailing_angle_address(self.text(raw))

    def items(self) -> list[tuple[str, str]]:
        return [(name, self.text(value)) for name, value in _raw_items(self.message)]


# name-addr is [display-name] angle-addr: whatever comes before, the address is the last
# <...> of the header.
TRAILING_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>\s*$")


def _trailing_angle_address(value: str) -> list[Person]:
    """For a display name no parser reads (unquoted specials: `<a href="x">click</a>
    <jim@example.com>`, as Python's own folding writes it), the address it ends with."""
    found = TRAILING_ANGLE_ADDRESS.search(value)
    if found is None:
        return []
    name = " ".join(value[: found.start()].split()).strip('"').strip()
    return [Person(found.group(1).lower(), decode_encoded_words(name))]


# Enough 8-bit bytes to tell one legacy charset from another; fewer ("Jürgen") are read
# as Windows-1252, the likeliest.
GUESS_MIN_BYTES = 6
GUESS_CHARSETS = ["cp1251", "koi8-r", "cp1252", "iso-8859-2", "cp1250", "iso-8859-7", "cp1253"]


def _guess_single_byte(data: bytes) -> str | None:
    if sum(byte > 0x7F for byte in data) < GUESS_MIN_BYTES:
        return None
    best = from_bytes(data, cp_isolation=GUESS_CHARSETS).best()
    return best.encoding if best is not None else None


def _declared_charset(message: Message) -> str | None:
    for part in _own_parts(message):
        charset = part.get_content_charset()
        if charset:
            return charset.lower()
    return None


def _raw_items(message: Message):
    try:
        return list(message.raw_items())
    except (ValueError, TypeError):
        return []


def _ids(value: str) -> list[str]:
    return MESSAGE_ID_RE.findall(value or "")


def _first_id(value: str) -> str:
    ids = _ids(value)
    if ids:
        return ids[0][:998]
    bare = (value or "").strip()
    return bare[:998] if bare and bare.isprintable() and " " not in bare else ""


def _first(people: list[Person]) -> Person:
    return people[0] if people else Person("")


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


# Bodies ------------------------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes: the declared charset if it decodes them, else a good guess."""
    names = [CHARSET_ALIASES.get(charset.lower(), charset)] if charset else []
    names.append("utf-8")
    for name in names:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("cp1252", errors="replace")


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_bytes(payload, part.get_content_charset())


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (
        disposition == "inline" and part.get_content_maintype() != "text"
    )


def _body(message: Message) -> tuple[str, str]:
    """The first plain text and the first HTML of the message itself (not of attached
    messages, nor of attachments)."""
    if message.get_content_type() == "message/rfc822" and message.is_multipart():
        # The whole message is a forwarded one: its text is what there is to read.
        inner = message.get_payload(0)
        if isinstance(inner, Message):
            return _body(inner)
    plain = html_body = None
    for part in _own_parts(message):
        if part.is_multipart() or _is_attachment(part) or part.get_filename():
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part_text(part)
        elif kind == "text/html" and html_body is None:
            html_body = part_text(part)
    if not (plain or "").strip() and html_body:
        plain = html_to_text(html_body)  # an empty plain alternative beside real HTML
    # A multipart whose boundary is missing or broken arrives as one unparsed body: better
    # shown as text than not at all.
    unparsed = message.get_content_maintype() == "multipart" and not message.is_multipart()
    if unparsed and not (plain or "").strip() and not html_body:
        plain = part_text(message)
    # NUL: nothing a person wrote, and PostgreSQL text cannot hold it.
    plain = (plain or "").replace("\r\n", "\n").replace("\x00", "")
    return plain.strip("\n"), (html_body or "").replace("\x00", "")


def _own_parts(message: Message):
    """The parts of the message, not descending into attached messages."""
    yield message
    if message.get_content_type() == "message/rfc822":
        return
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _own_parts(part)


_BLOCK_END = re.compile(r"</(p|div|tr|li|h[1-6]|blockquote|table)\s*>|<br\s*/?>", re.I)


_BLOCKQUOTE = re.compile(r"<(/?)blockquote\b[^>]*>", re.I)


def html_to_text(source: str) -> str:
    """Readable text from HTML, for mail that has no plain part. What a mail program put in
    a <blockquote> (the history it quotes) comes out as "> " lines, as in a plain-text
    reply, so that split_quoted finds it."""
    cleaned = nh3.clean(source, tags={"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4",
                                      "h5", "h6", "blockquote", "table"})  # fmt: skip
    out, depth = [], 0
    for number, piece in enumerate(_BLOCKQUOTE.split(cleaned)):
        if number % 2:  # the split's group: "/" closes a blockquote, "" opens one
            depth = max(depth - 1, 0) if piece else depth + 1
            out.append("\n")
        else:
            text = html.unescape(re.sub(r"<[^>]+>", "", _BLOCK_END.sub("\n", piece)))
            lines = [" ".join(line.split()) for line in text.splitlines()]
            if depth:
                lines = [("> " * depth + line).rstrip() if line else "" for line in lines]
            out.append("\n".join(lines))
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def split_quoted(text: str) -> tuple[str, str]:
    """(what was written, the history quoted below it). Never leaves nothing: when every
    line looks quoted, all of it is what was written."""
    if REPLY_ABOVE_MARKER in text:
        above, _, below = text.partition(REPLY_ABOVE_MARKER)
        visible, quoted = above, REPLY_ABOVE_MARKER + below
    else:
        try:
            visible = latest_reply(text, REPLY_LANGUAGES)
        except Exception:  # a third-party heuristic: never let it lose a message
            visible = text
        visible = visible or ""
        quoted = text[len(visible) :] if text.startswith(visible) else ""
        visible, more = _trailing_quote(visible)
        quoted = more + quoted
    visible = visible.strip()
    if not visible:
        return text.strip(), ""
    return visible, quoted.strip()


def _trailing_quote(text: str) -> tuple[str, str]:
    """("written", "> quoted") for text that ends in "> " lines with no "wrote:" line
    above them (a quoted <blockquote>, a bare quote): mail-parser-reply keeps those."""
    lines = text.splitlines(keepends=True)
    start = len(lines)
    while start and (not lines[start - 1].strip() or lines[start - 1].lstrip().startswith(">")):
        start -= 1
    if start == len(lines) or not any(line.strip() for line in lines[start:]):
        return text, ""
    return "".join(lines[:start]), "".join(lines[start:])


# Attachments -------------------------------------------------------------------------


def _attachments(message: Message, headers: _Headers):
    count = 0
    for part in _own_parts(message):
        if part is message:
            continue
        kind = part.get_content_type()
        name = part.get_filename()
        if kind == "message/rfc822":
            count += 1
            yield Part(name or f"forwarded-{count}.eml", "message/rfc822", _message_bytes(part))
            continue
        if part.is_multipart():
            continue
        if not (name or _is_attachment(part) or part.get("Content-ID")):
            continue
        if kind in ("text/plain", "text/html") and not name and not _is_attachment(part):
            continue
        count += 1
        content = part.get_payload(decode=True) or b""
        if kind == "application/ms-tnef" or (name or "").lower() == "winmail.dat":
            unpacked = _tnef_parts(content)
            if unpacked is not None:
                yield from unpacked
                continue
        yield Part(
            filename=headers.text(name) if name else f"attachment-{count}",
            content_type=kind,
            content=content,
            content_id=_first_id(headers.text(part.get("Content-ID", ""))),
            inline=(part.get("Content-Disposition") or "").lower().startswith("inline"),
        )


def _tnef_parts(content: bytes) -> list[Part] | None:
    """The files inside Outlook's winmail.dat (its text is the message's own text too, so
    only the files matter); None when it cannot be read, and it is kept as it is."""
    try:
        tnef = tnefparse.TNEF(content)
        return [
            Part(
                item.long_filename() or item.name or "attachment",
                "application/octet-stream",
                item.data,
            )
            for item in tnef.attachments
        ]
    except Exception:  # a third-party decoder of a proprietary format: never lose the file
        return None


def _tnef_name(item) -> str:
    name = item.long_filename() or item.name or "attachment"
    return decode_bytes(name) if isinstance(name, bytes) else str(name)


def _message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(inner, EmailMessage | Message):
        try:
            return inner.as_bytes(policy=policy.compat32)
        except (UnicodeError, LookupError, ValueError, TypeError):
            return str(inner).encode("utf-8", "surrogateescape")
    return part.get_payload(decode=True) or b""
