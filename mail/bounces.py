"""Reading a delivery failure report: who could not be reached, whether for good, and
which of our messages came back.

RFC 3464 reports (`multipart/report; report-type=delivery-status`) say it in fields, one
block per recipient: Final-Recipient / Original-Recipient, Action (failed, delayed,
delivered, relayed, expanded), Status (5.x.x permanent, 4.x.x transient), Diagnostic-Code.
Many mail servers (qmail, old Exim, Domino, Exchange, GroupWise) write only prose; from it
we take, best effort, the addresses the text names and any SMTP status near them. A report
whose boundary is broken still has its fields as text, and is read as fields.

The returned message (a `message/rfc822` or `text/rfc822-headers` part, or its headers
quoted in the text) gives the Message-IDs that tell us which email of ours bounced
(mail.threading.our_notification_for). Never raises for what is in the bytes.
"""

from __future__ import annotations

import email
import email.parser
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from mail.parsing import MESSAGE_ID_RE, ParsedMessage, html_to_text, part_text

FAILED, DELAYED = "failed", "delayed"
# Actions that mean the mail did not arrive; delivered, relayed and expanded mean it did.
FAILURE_ACTIONS = frozenset({FAILED, DELAYED})
ACTION_ALIASES = {"failure": FAILED, "fail": FAILED, "delay": DELAYED}
DIAGNOSTIC_MAX_LENGTH = 500

# An enhanced status code (RFC 3463), and a bare SMTP reply code (550).
STATUS_CODE = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
SMTP_CODE = re.compile(r"(?:^|(?<=[\s:#(]))([245]\d\d)(?=[\s:-]|$)")
ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)
FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$")
# Where a prose report starts quoting the returned message: no recipient below this line.
ORIGINAL_FOLLOWS = re.compile(
    r"^[\s>-]*(below this line is a copy of the message|this is a copy of the message|"
    r"original message|forwarded message|returned message|undelivered message|"
    r"a copy of the original message)",
    re.IGNORECASE | re.MULTILINE,
)
# Lines of the returned message's headers quoted in the prose: its own To, From...
QUOTED_HEADER = re.compile(
    r"^\s*(to|from|cc|bcc|subject|sent|date|reply-to|sender|return-path|message-id)\s*:",
    re.IGNORECASE,
)
QUOTED_ID = re.compile(
    r"^\s*(message-id|in-reply-to|references)\s*:\s*((?:<[^<>\s]+>\s*)+)",
    re.IGNORECASE | re.MULTILINE,
)
TEMPORARY = re.compile(
    r"temporar|delayed|will (?:be )?retr|still trying|not (?:yet )?been delivered yet|"
    r"deferred|try again later|mailbox (?:is )?full|quota",
    re.IGNORECASE,
)
MACHINE_LOCAL_PARTS = frozenset({"postmaster", "mailer-daemon", "mail-daemon", "mailer_daemon"})


@dataclass(frozen=True)
class Recipient:
    address: str  # lower-cased
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str = ""  # "5.1.1", or an SMTP code ("553") when the report gives no better
    diagnostic: str = ""

    @property
    def failed(self) -> bool:
        return self.action in FAILURE_ACTIONS

    @property
    def permanent(self) -> bool:
        """A failure for good: a 5.x.x status, or "failed" with no status at all."""
        if self.status:
            return self.failed and self.status.startswith("5")
        return self.action == FAILED


@dataclass
class BounceReport:
    recipients: list[Recipient] = field(default_factory=list)
    # The returned message's Message-ID first, then what it answered (In-Reply-To,
    # References), then the report's own In-Reply-To and References.
    original_ids: list[str] = field(default_factory=list)
    standard: bool = False  # read from RFC 3464 fields, not guessed from prose
    text: str = ""  # the report's human-readable part, before the returned message

    @property
    def failures(self) -> list[Recipient]:
        return [r for r in self.recipients if r.failed]

    def for_address(self, address: str) -> Recipient:
        """A failure of `address` as the report's text tells it, for a report that names
        nobody (the one recipient of our email that came back is the one that failed)."""
        return _from_prose(address.lower(), self.text, paragraph="")


def read_bounce(raw: bytes, message: ParsedMessage) -> BounceReport:
    """Everything a delivery failure report says about our mail. Never raises."""
    try:
        return _read(raw, message)
    except Exception:  # best effort over what thousands of programs write: never lose mail
        return BounceReport(original_ids=_own_references(message))


def _read(raw: bytes, message: ParsedMessage) -> BounceReport:
    root = email.message_from_bytes(_normal_line_ends(raw), policy=policy.compat32)
    parts = list(_own_parts(root))
    recipients = [
        r
        for part in parts
        if part.get_content_type() == "message/delivery-status"
        for r in _fields_recipients(_delivery_status_text(part))
    ]
    full_text = _readable_text(parts)
    text = ORIGINAL_FOLLOWS.split(full_text, maxsplit=1)[0]
    if not recipients:
        recipients = _fields_recipients(full_text)  # a report whose boundary is broken
    standard = bool(recipients)
    if not recipients:
        recipients = _prose_recipients(text, message)
    return BounceReport(
        recipients=_unique(recipients),
        original_ids=_original_ids(parts, full_text, message),
        standard=standard,
        text=text.strip(),
    )


def _normal_line_ends(raw: bytes) -> bytes:
    if b"\r" in raw and b"\n" not in raw:
        return raw.replace(b"\r", b"\r\n")
    return raw


def _own_parts(message: Message):
    """The report's parts, without descending into the returned message."""
    yield message
    if message.get_content_maintype() == "message" or not message.is_multipart():
        return
    for part in message.get_payload():
        if isinstance(part, Message):
            yield from _own_parts(part)


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen, out = set(), []
    for recipient in recipients:
        if recipient.address not in seen:
            seen.add(recipient.address)
            out.append(recipient)
    return out


# RFC 3464 fields -----------------------------------------------------------------------


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package reads each block as headers
        return "\n\n".join(
            "\n".join(f"{name}: {value}" for name, value in block.items())
            for block in payload
            if isinstance(block, Message)
        )
    return part_text(part)


def _blocks(text: str) -> list[dict[str, str]]:
    """Blocks of `Name: value` fields separated by blank lines, names lower-cased, folded
    lines unfolded; lines that are not fields are skipped."""
    blocks, current, last = [], {}, None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t" and last is not None:
            current[last] += " " + line.strip()
            continue
        found = FIELD.match(line)
        if found is None:
            last = None
            continue
        last = found.group(1).lower()
        current.setdefault(last, found.group(2).strip())
    if current:
        blocks.append(current)
    return blocks


def _fields_recipients(text: str) -> list[Recipient]:
    recipients = []
    for block in _blocks(text):
        if not ({"action", "status"} & block.keys()):
            continue
        address = _typed_address(block.get("original-recipient", "")) or _typed_address(
            block.get("final-recipient", "")
        )
        if not address:
            continue
        diagnostic = _after_type(block.get("diagnostic-code", ""))
        status_field = block.get("status", "")
        status = _status_in(status_field) or _status_in(diagnostic)
        if not diagnostic:
            # "5.0.0 (recipient reached disk quota)": the words after the code.
            diagnostic = status_field.replace(status, "", 1).strip(" ()") if status else ""
        recipients.append(
            Recipient(
                address, _action(block.get("action", ""), status), status, _short(diagnostic)
            )
        )
    return recipients


def _typed_address(value: str) -> str:
    """`rfc822; jim@example.com` (the type is optional in practice) as the address."""
    found = ADDRESS.search(_after_type(value))
    return found.group(0).lower() if found else ""


def _after_type(value: str) -> str:
    kind, sep, rest = value.partition(";")
    if sep and re.fullmatch(r"\s*[A-Za-z][\w.-]*\s*", kind):
        value = rest
    return " ".join(value.split())


def _action(value: str, status: str) -> str:
    action = (value.split() or [""])[0].lower().strip(";,.")
    action = ACTION_ALIASES.get(action, action)
    if action:
        return action
    return DELAYED if status.startswith("4") else FAILED


def _status_in(text: str) -> str:
    found = STATUS_CODE.search(text) or SMTP_CODE.search(text)
    return found.group(1) if found else ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DIAGNOSTIC_MAX_LENGTH else text[: DIAGNOSTIC_MAX_LENGTH - 1] + "…"


# Prose -----------------------------------------------------------------------------------


def _readable_text(parts: list[Message]) -> str:
    texts = []
    for part in parts:
        kind = part.get_content_type()
        if part.is_multipart() or kind == "message/delivery-status":
            continue
        if kind == "text/plain" or part.get_content_maintype() == "multipart":
            texts.append(part_text(part))  # a multipart whose boundary is broken: its text
        elif kind == "text/html":
            texts.append(html_to_text(part_text(part)))
    return "\n\n".join(texts).replace("\r\n", "\n").replace("\x00", "")


def _prose_recipients(text: str, message: ParsedMessage) -> list[Recipient]:
    """The addresses a prose report names (not the sender it writes to, not a postmaster),
    each with the paragraph that names it; X-Failed-Recipients (Exim, Gmail) first."""
    ours = {message.sender.address, *(p.address for p in message.recipients)}
    named: dict[str, str] = {}
    for address in ADDRESS.findall(message.header("X-Failed-Recipients")):
        named.setdefault(address.lower(), "")
    quoted_to: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        for line in paragraph.splitlines():
            header = QUOTED_HEADER.match(line)
            for address in ADDRESS.findall(line):
                address = address.lower()
                if address in ours or address.split("@")[0] in MACHINE_LOCAL_PARTS:
                    continue
                if header is None:
                    if not named.get(address):
                        named[address] = paragraph
                elif header.group(1).lower() == "to":
                    quoted_to.append(address)
    if not named:
        # Only the returned message's own To, quoted in the text: that is who failed.
        named = dict.fromkeys(quoted_to, "")
    return [_from_prose(address, text, paragraph) for address, paragraph in named.items()]


def _from_prose(address: str, text: str, paragraph: str) -> Recipient:
    own = re.sub(r"^[\s*-]*<?" + re.escape(address) + r">?\s*:?", "", paragraph, flags=re.I)
    diagnostic = own.strip() if _said_something(own) else _first_telling_paragraph(text)
    status = _status_in(diagnostic) or _status_in(text)
    temporary = bool(TEMPORARY.search(diagnostic or text))
    action = DELAYED if temporary and not status.startswith("5") else FAILED
    return Recipient(address, action, status, _short(diagnostic))


def _said_something(text: str) -> bool:
    return len(re.sub(r"\W", "", text)) >= 4


TELLING = re.compile(
    r"unknown|not (?:listed|found|recognized|recognised|exist)|no such|rejected|refused|"
    r"unavailable|denied|quota|full|too large|exceeded|invalid|disabled|blocked|error",
    re.IGNORECASE,
)


def _first_telling_paragraph(text: str) -> str:
    """The first paragraph with a status code or a reason in it, for a report that says
    why apart from whom (Domino: "was not delivered to: x" ... "because: ...")."""
    for paragraph in re.split(r"\n\s*\n", text):
        if STATUS_CODE.search(paragraph) or TELLING.search(paragraph):
            return paragraph.strip()
    return ""


# The returned message ------------------------------------------------------------------


def _original_ids(parts: list[Message], text: str, message: ParsedMessage) -> list[str]:
    ids: list[str] = []
    for part in parts:
        headers = _returned_headers(part)
        if headers is not None:
            for name in ("Message-ID", "In-Reply-To", "References"):
                ids += MESSAGE_ID_RE.findall(str(headers.get(name, "")))
    for _name, value in QUOTED_ID.findall(text):
        ids += MESSAGE_ID_RE.findall(value)
    ids += _own_references(message)
    return [i for i in dict.fromkeys(ids) if i != message.message_id]


def _returned_headers(part: Message) -> Message | None:
    kind = part.get_content_type()
    if kind in ("text/rfc822-headers", "text/rfc822-header"):
        return email.parser.HeaderParser(policy=policy.compat32).parsestr(part_text(part))
    if part.get_content_maintype() == "message" and kind != "message/delivery-status":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return inner if isinstance(inner, Message) else None
    return None


def _own_references(message: ParsedMessage) -> list[str]:
    return list(dict.fromkeys([*message.in_reply_to, *message.references]))
