"""osTicket 1.18's API, answered as osTicket answers it (api/http.php and its controllers).

    POST /api/tickets.json | .xml | .email      201, the ticket's number
    POST /api/tasks/cron                         200 "Completed"
    (the same under /api/http.php/...)           anything else: 400 "URL not supported"

Every answer is `text/html; charset=UTF-8` with a short text, as osTicket's Http::response
sends it. The body is read raw, whatever the Content-Type says (osTicket's PHP examples send
form-urlencoded, automail.pl text/plain), and never parsed as a form. The key is ours
(`hd_...`) in X-API-Key, with the osticket:* scopes, used from an address it lists.
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.ratelimit import client_ip, rate_count
from api.keys import KeyRefused, api_key_check
from api.models import ApiKey, Scope
from api.osticket import email_in, intake, parsing
from mail.models import InboundMessage

logger = logging.getLogger(__name__)

# osTicket's texts (class.api.php, api.tickets.php, api.cron.php, class.dispatcher.php).
URL_NOT_SUPPORTED = "URL not supported"
KEY_REQUIRED = "Valid API key required"
KEY_NOT_FOUND = "API key not found/active or source IP not authorized"
KEY_NOT_AUTHORIZED = "API key not authorized"
COMPLETED = "Completed"
UNKNOWN_ERROR = "Unable to create new ticket: unknown error"
# Ours: osTicket leaves these to PHP's limits and its web server.
TOO_LARGE = "Request body too large"
RATE_LIMITED = "API rate limit exceeded"

RATE_WINDOW = 60


def json_xml_limit() -> int:
    """A JSON or XML ticket carries at most ATTACHMENT_MAX_COUNT files of
    ATTACHMENT_MAX_BYTES each, base64-encoded (4/3), and a message: no new setting needed."""
    return settings.ATTACHMENT_MAX_COUNT * settings.ATTACHMENT_MAX_BYTES * 4 // 3 + 2**20


def answer(status: int, text: str, **headers) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/html; charset=UTF-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _key(request, scope: str) -> ApiKey | HttpResponse:
    plaintext = request.headers.get("X-API-Key", "")
    if not plaintext.strip():
        return answer(401, KEY_REQUIRED)
    try:
        key = api_key_check(plaintext, address=client_ip(request))
    except KeyRefused as refused:
        logger.info("osTicket API: key refused (%s)", refused.reason)
        # osTicket: no such key is "required", a key it knows but refuses is "not found".
        text = KEY_REQUIRED if refused.reason in ("malformed", "unknown") else KEY_NOT_FOUND
        return answer(401, text)
    if scope not in key.scopes:
        return answer(401, KEY_NOT_AUTHORIZED)
    count = rate_count(scope="api", value=f"key:{key.pk}", window=RATE_WINDOW)
    if count > key.requests_per_minute:
        return answer(429, RATE_LIMITED, Retry_After=str(RATE_WINDOW))
    return key


def _body(request, limit: int) -> bytes | HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return answer(413, TOO_LARGE)
    body = request.read(limit + 1)
    if len(body) > limit:
        return answer(413, TOO_LARGE)
    return body


@csrf_exempt
def not_supported(request, **kwargs):
    return answer(400, URL_NOT_SUPPORTED)


@csrf_exempt
def cron(request):
    if request.method != "POST":
        return answer(400, URL_NOT_SUPPORTED)
    key = _key(request, Scope.OSTICKET_CRON)
    if isinstance(key, HttpResponse):
        return key
    # Our periodic work runs under Celery beat; osTicket's cron client only needs its answer.
    return answer(200, COMPLETED)


@csrf_exempt
def tickets(request, format: str):
    if request.method != "POST":
        return answer(400, URL_NOT_SUPPORTED)
    try:
        key = _key(request, Scope.OSTICKET_TICKETS)
        if isinstance(key, HttpResponse):
            return key
        if format == "email":
            return _email(request, key)
        return _structured(request, key, format)
    except DatabaseError:
        # Not the input: the database. osTicket's 500 is what its clients retry on
        # (automail.pl exits 75, so the MTA tries again; a 503 would make it bounce).
        logger.exception("osTicket API: the database failed")
        return answer(500, UNKNOWN_ERROR)


def _structured(request, key: ApiKey, format: str) -> HttpResponse:
    body = _body(request, json_xml_limit())
    if isinstance(body, HttpResponse):
        return body
    try:
        parsed = parsing.parse_json(body) if format == "json" else parsing.parse_xml(body)
        ticket = intake.osticket_ticket_create(key=key, request=parsed)
    except parsing.Malformed as error:
        return answer(400, error.text)
    except intake.Refused as refused:
        return answer(refused.status, refused.text)
    return answer(201, str(ticket.number))


def _email(request, key: ApiKey) -> HttpResponse:
    body = _body(request, settings.MAIL_MAX_MESSAGE_BYTES)
    if isinstance(body, HttpResponse):
        return body
    if not email_in.looks_like_a_message(body):
        return answer(400, email_in.NOT_A_MESSAGE)
    mailbox = email_in.mailbox_for_key(key)
    if mailbox is None:
        return answer(400, email_in.NO_MAILBOX)
    delivered = email_in.message_deliver(
        mailbox=mailbox, raw=body, source=InboundMessage.Source.API, via=f"API key {key.name}"
    )
    if delivered.number is not None:
        return answer(201, str(delivered.number))
    if delivered.refused:
        return answer(403, intake.TICKET_DENIED)
    reason = delivered.reason or delivered.outcome or "not processed"
    return answer(400, f"{intake.VALIDATION_ERRORS}:\nerr: {reason}")
