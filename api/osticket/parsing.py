"""osTicket's request bodies (JSON and XML), read as osTicket 1.18's ApiJsonDataParser and
ApiXmlDataParser read them, into one shape: a TicketRequest.

`message` may be plain text or an RFC 2397 `data:` URL (its media type says whether it is
HTML, its charset and `;base64` are honoured); attachments are osTicket's one-key objects
(`{"name.txt": "data:text/plain;base64,..."}`) in JSON and `<file name type encoding>`
elements in XML. XML goes through defusedxml: a DTD's entities (a "billion laughs") are
refused before they are expanded. Nothing here touches the database.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

# osTicket's texts (class.json.php, class.xml.php), which its clients may show or log.
JSON_SYNTAX = "Syntax error, malformed JSON"
JSON_UTF8 = "Malformed UTF-8 characters, possibly incorrectly encoded"
JSON_DEPTH = "Maximum stack depth exceeded"
# json_decode of "{}" or "[]" is an empty array, which osTicket's getRequest takes for a
# failed parse, and answers with json_last_error's text: there was none.
JSON_EMPTY = "No errors"
XML_ERROR = "XML error: {reason} at line {line}:{column}"
# Ours: osTicket's expat would expand the entities (or give up on them); we refuse the DTD.
XML_ENTITIES = "XML error: entity declarations are not allowed"
XML_UNREADABLE = "XML error: cannot read the document (its encoding, or its depth)"
POORLY_ENCODED = "{name}: Poorly encoded base64 data"

# The keys osTicket's TicketApiController knows, and the ones it takes from its forms.
KNOWN_KEYS = frozenset(
    {
        "name", "email", "subject", "message", "alert", "autorespond", "source", "topicId",
        "priority", "priorityId", "ip", "phone", "deptId", "slaId", "staffId", "statusId",
        "attachments", "duedate",
    }
)  # fmt: skip


class Malformed(Exception):
    """The body is not what osTicket would have parsed: a 400 with this text."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


@dataclass
class File:
    name: str
    content: bytes = b""
    content_type: str = ""
    error: str = ""  # why it cannot be attached (osTicket attaches the others)


@dataclass
class TicketRequest:
    fields: dict[str, str] = field(default_factory=dict)
    message: str = ""
    message_is_html: bool = False
    alert: bool = True
    autorespond: bool = True
    files: list[File] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DataUrl:
    content_type: str
    data: bytes
    charset: str


def parse_data_url(value: str) -> DataUrl | None:
    """RFC 2397 `data:[<mediatype>][;base64],<data>`; None if `value` is not one.
    binascii.Error for base64 that does not decode."""
    if value[:5].lower() != "data:" or "," not in value:
        return None
    header, _, payload = value[5:].partition(",")
    params = [p.strip() for p in header.split(";")]
    is_base64 = bool(params) and params[-1].lower() == "base64"
    if is_base64:
        params = params[:-1]
    content_type = (params[0].lower() if params and "=" not in params[0] else "") or "text/plain"
    charset = "utf-8"
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip('"')
    if is_base64:
        encoded = unquote_to_bytes(payload).decode("ascii", "replace")
        data = base64.b64decode("".join(encoded.split()), validate=True)
    else:
        data = unquote_to_bytes(payload)
    return DataUrl(content_type, data, charset)


def decode_text(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", "replace")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, dict | list):
        return ""
    return str(value)


def _message(request: TicketRequest, value) -> None:
    value = _text(value)
    try:
        url = parse_data_url(value)
    except (binascii.Error, ValueError):
        url = None
        value = ""
    if url is None:
        request.message = value
        return
    request.message = decode_text(url.data, url.charset)
    request.message_is_html = url.content_type == "text/html"


def _json_file(item) -> File:
    if not isinstance(item, dict) or not item:
        return File(name="attachment", error="attachment: not a file")
    name, value = next(iter(item.items()))
    name = str(name) or "attachment"
    try:
        url = parse_data_url(value) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        return File(name=name, error=POORLY_ENCODED.format(name=name))
    if url is None:
        return File(name=name, error=f"{name}: not a data: URL")
    return File(name=name, content=url.data, content_type=url.content_type)


def _flag(value) -> bool:
    """osTicket's (bool) cast: "" , "0", 0, false and null are false; XML's "false" too."""
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false"}
    return bool(value)


def _take(request: TicketRequest, key: str, value) -> None:
    if key in ("alert", "autorespond"):
        setattr(request, key, _flag(value))
    elif key == "message":
        _message(request, value)
    elif key == "attachments":
        return
    elif key in KNOWN_KEYS:
        request.fields[key] = _text(value).strip()
    else:
        request.unknown.append(key)


def parse_json(body: bytes) -> TicketRequest:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise Malformed(JSON_UTF8) from None
    except RecursionError:
        raise Malformed(JSON_DEPTH) from None
    except ValueError:
        raise Malformed(JSON_SYNTAX) from None
    if not data:
        raise Malformed(JSON_EMPTY)
    request = TicketRequest()
    if not isinstance(data, dict):
        request.unknown.append("(not an object)")
        return request
    for key, value in data.items():
        _take(request, key, value)
    attachments = data.get("attachments")
    if isinstance(attachments, list):
        request.files = [_json_file(item) for item in attachments]
    elif attachments:
        request.files = [File(name="attachments", error="attachments: not a list")]
    return request


def _xml_file(element: Element) -> File:
    name = element.get("name") or "attachment"
    text = (element.text or "").strip()
    if (element.get("encoding") or "").lower() == "base64":
        try:
            content = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            return File(name=name, error=POORLY_ENCODED.format(name=name))
    else:
        content = text.encode()
    return File(name=name, content=content, content_type=element.get("type") or "")


def _xml_message(request: TicketRequest, element: Element) -> None:
    request.message = (element.text or "").strip()
    request.message_is_html = (element.get("type") or "").lower() == "text/html"


def parse_xml(body: bytes) -> TicketRequest:
    try:
        root = defusedxml.ElementTree.fromstring(body)
    except DefusedXmlException:
        raise Malformed(XML_ENTITIES) from None
    except ParseError as error:
        line, column = error.position
        raise Malformed(
            XML_ERROR.format(reason=expat.ErrorString(error.code), line=line, column=column)
        ) from None
    except (ValueError, LookupError, RecursionError):
        raise Malformed(XML_UNREADABLE) from None
    request = TicketRequest()
    if root.tag != "ticket":
        # osTicket takes another root for a field it does not know: validation errors follow.
        request.unknown.append(str(root.tag))
        return request
    for key, value in root.attrib.items():
        _take(request, key, value)
    for child in root:
        if child.tag == "message":
            _xml_message(request, child)
        elif child.tag == "attachments":
            request.files = [_xml_file(f) for f in child if f.tag == "file"]
        else:
            _take(request, str(child.tag), (child.text or "").strip())
    return request
