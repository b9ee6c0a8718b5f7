"""Mail in from providers' inbound webhooks: Mailgun, Postmark and SendGrid.

The provider receives the mail for our addresses and posts each message to us. django-
anymail's views check the post (Mailgun's signature, the basic auth of WEBHOOK_SECRET)
and parse it, then send its `inbound` signal; `keep_inbound` answers it by storing the
message in the inbound ledger, raw, before anything reads it (mail.ledger), and a worker
processes it as it does piped or fetched mail. A provider that posts the same message
again (it retries when it is not sure we have it) finds the same ledger row.

`inbound_view` wraps anymail's view with what anymail leaves to us, and answers in the
terms each provider understands (docs/mail-providers.md, docs/decisions/0019):

    200  stored, or stored already; also a message larger than MAIL_MAX_MESSAGE_BYTES in a
         post we could read: its headers are recorded and its sender answered once
         (mail.oversized)
    400  a wrong signature or basic auth, or a post we cannot read as a message
    406  Mailgun; 403 Postmark and SendGrid: refused for good, so that the provider
         stops retrying: no webhook mailbox of ours among the recipients, or a post
         larger than we read (twice MAIL_MAX_MESSAGE_BYTES: oversized.webhook_post_limit)
         (Postmark keeps refused messages for a manual retry)
    503  this provider's secret is not configured, or we cannot store the message now
         (the database is down): every provider retries a 5xx for hours

Never a 500: an unreadable post is the sender's problem, a failure to store is ours.
"""

import email.utils
import html
import json
import logging
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser, BytesParser
from urllib.parse import parse_qsl

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt

from mail.ledger import inbound_store, mailbox_for
from mail.models import InboundMessage, Mailbox
from mail.oversized import inbound_store_oversized, message_limit, webhook_post_limit

logger = logging.getLogger(__name__)


class Refused(Exception):
    """Not a message for us: answered so that the provider does not post it again."""


class Unreadable(Exception):
    """The post does not hold a message we can keep (400)."""


class Unavailable(Exception):
    """We could not store the message now: the provider should post it again (503)."""


@dataclass(frozen=True)
class Provider:
    name: str  # anymail's esp_name
    view: type
    # What the provider takes as "refused, do not retry".
    refused_status: int
    # The form field that holds the raw message, when the provider posts it raw.
    raw_field: str = ""
    # Whether anymail's basic auth is the only check (no signature of the provider's).
    needs_basic_auth: bool = True

    @property
    def secret_variable(self) -> str:
        return "ANYMAIL_WEBHOOK_SECRET" if self.needs_basic_auth else "MAILGUN_WEBHOOK_SIGNING_KEY"

    def configured(self) -> bool:
        if self.needs_basic_auth:
            return bool(get_anymail_setting("webhook_secret", default=None))
        key = get_anymail_setting("webhook_signing_key", esp_name=self.name, default=None)
        return bool(key)


# Mailgun: 200 done, 406 rejected for good, anything else retried for 8 hours.
# Postmark: 200 done, 403 stops the retries (the message stays in its activity, to retry
# by hand), anything else retried 10 times over about 10 hours.
# SendGrid Inbound Parse: 2xx done, 5xx retried for 72 hours, any 4xx dropped at once.
MAILGUN = Provider(
    "Mailgun",
    MailgunInboundWebhookView,
    refused_status=406,
    raw_field="body-mime",
    needs_basic_auth=False,
)
POSTMARK = Provider("Postmark", PostmarkInboundWebhookView, refused_status=403)
SENDGRID = Provider("SendGrid", SendGridInboundWebhookView, refused_status=403, raw_field="email")
PROVIDERS = {provider.name: provider for provider in (MAILGUN, POSTMARK, SENDGRID)}


# The view ---------------------------------------------------------------------------


def inbound_view(provider: Provider):
    """anymail's inbound view for `provider`, refusing while its secret is unset and
    answering every outcome with a status the provider understands."""
    anymail_view = provider.view.as_view()

    @csrf_exempt
    @login_not_required
    def view(request, *args, **kwargs):
        if not provider.configured():
            logger.error(
                "%s inbound webhook called, but %s is not set: answered 503",
                provider.name,
                provider.secret_variable,
            )
            return _answer(503, "Not configured.")
        try:
            _read_body(request)
            return anymail_view(request, *args, **kwargs)
        except Refused as refusal:
            logger.warning("%s inbound webhook: refused: %s", provider.name, refusal)
            return _answer(provider.refused_status, str(refusal))
        except Unavailable as error:
            logger.error(
                "%s inbound webhook: not stored, the provider will retry: %r",
                provider.name,
                error.__cause__,
                exc_info=error.__cause__,
            )
            return _answer(503, "Not stored; try again later.")
        except AnymailWebhookValidationFailure as failure:
            logger.warning("%s inbound webhook: %s", provider.name, failure)
            return _answer(400, "Signature or credentials not accepted.")
        except Exception as error:  # the post could not be read: never a 500
            logger.warning("%s inbound webhook: unreadable post: %r", provider.name, error)
            return _answer(400, "Not a message we can read.")

    return view


def _answer(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")


def _read_body(request) -> None:
    """Take the post's body ourselves, up to webhook_post_limit(), and its form fields.

    Providers post the whole message, attachments and all, as one form field or JSON
    string. Django counts such a field against DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), read
    from settings while it parses, with no per-view limit; raising it for the whole site
    would let any page be posted 50 MB bodies to hold in memory. So these views read the
    body under their own limit and parse a multipart form with the email package, leaving
    the site's limit as it is. The bytes of each field stay on the request, for
    raw_message to read the message as it was sent.
    """
    limit = webhook_post_limit()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise Refused(f"larger than {limit} bytes ({length})")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise Refused(f"larger than {limit} bytes")
    request._body = body  # request.body and the urlencoded form parse from it
    if request.content_type == "multipart/form-data":
        form = _multipart_form(request.META.get("CONTENT_TYPE", ""), body)
        request.form_field_bytes = {name: value for name, value, _, _ in form}
        request._post, request._files = _post_and_files(form, request.encoding)


def _multipart_form(content_type: str, body: bytes) -> list[tuple[str, bytes, str | None, str]]:
    """Each field of a multipart/form-data body: its name, bytes, file name (None for a
    plain field) and content type."""
    form = BytesParser(policy=policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", errors="replace") + b"\r\n\r\n" + body
    )
    if not form.is_multipart():
        raise Unreadable("a multipart form without parts")
    fields = []
    for part in form.get_payload():
        name = part.get_param("name", header="content-disposition")
        if name is None or part.is_multipart():
            continue
        value = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields.append(
            (email.utils.collapse_rfc2231_value(name), value, filename, part.get_content_type())
        )
    return fields


def _post_and_files(form, encoding: str | None) -> tuple[QueryDict, MultiValueDict]:
    post = QueryDict(mutable=True, encoding=encoding)
    files = MultiValueDict()
    charset = encoding or settings.DEFAULT_CHARSET
    for name, value, filename, content_type in form:
        if filename is None:
            post.appendlist(name, value.decode(charset, errors="replace"))
        else:
            upload = SimpleUploadedFile(_safe_file_name(filename), value, content_type)
            files.appendlist(name, upload)
    post._mutable = False
    return post, files


def _safe_file_name(name: str) -> str:
    # As Django's multipart parser does: no folders, nothing unprintable.
    name = html.unescape(name).rsplit("/")[-1].rsplit("\\")[-1]
    name = "".join(char for char in name if char.isprintable())
    return name if name not in {"", ".", ".."} else "attachment"


# The receiver -----------------------------------------------------------------------


def keep_inbound(sender, event, esp_name, **kwargs):
    """anymail's `inbound` signal: store the message in the mailbox it was sent to."""
    provider = PROVIDERS.get(esp_name)
    if provider is None or not provider.configured():
        # anymail's own views, mounted by mistake, take posts unchecked when no secret is
        # set (with a warning); inbound_view refuses them before they get here.
        logger.error("Inbound webhook from %s ignored: not configured to take mail", esp_name)
        return
    try:
        raw = raw_message(provider, event)
        recipients = recipients_of(provider, event)
    except Exception as error:
        raise Unreadable(f"{type(error).__name__}: {error}") from error
    if not _looks_like_a_message(raw):
        raise Unreadable("not an email message (no headers)")
    try:
        mailbox = webhook_mailbox_among(recipients)
        if mailbox is not None and len(raw) > message_limit():
            row, created = inbound_store_oversized(
                mailbox=mailbox, head=raw, size=len(raw), source=InboundMessage.Source.WEBHOOK
            )
        elif mailbox is not None:
            row, created = inbound_store(
                mailbox=mailbox, raw=raw, source=InboundMessage.Source.WEBHOOK
            )
    except Exception as error:
        raise Unavailable(str(error)) from error
    if mailbox is None:
        raise Refused(f"no webhook mailbox of ours among {', '.join(recipients) or 'none'}")
    logger.info(
        "%s inbound webhook: %s %s in %s",
        provider.name,
        "stored" if created else "already stored",
        row,
        mailbox,
    )


def webhook_mailbox_among(recipients: list[str]) -> Mailbox | None:
    """The first recipient that is an active mailbox of ours fed by webhooks.

    A mailbox fed by the pipe or by IMAP gets its mail that way; taking it from a webhook
    too would let a provider's account (or whoever has its secret) put mail into mailboxes
    it does not serve, and would file a message sent to two of our addresses under the
    one the provider does not deliver for.
    """
    for address in recipients:
        mailbox = mailbox_for(address)
        if mailbox is None:
            continue
        if mailbox.transport == Mailbox.Transport.WEBHOOK:
            return mailbox
        logger.info(
            "Inbound webhook: %s takes its mail by %s, not from here", mailbox, mailbox.transport
        )
    return None


# What the provider sent ---------------------------------------------------------------


def raw_message(provider: Provider, event) -> bytes:
    """The most faithful bytes of the message that the post holds.

    Mailgun (a route forwarding to .../inbound_mime/) and SendGrid ("POST the raw, full
    MIME message") post the message as one form field: its bytes are read from the body
    as they came, since Django decodes form fields as UTF-8 and replaces what is not
    (a message in Latin-1 is more than its text). Postmark ("Include raw email content
    in JSON payload") sends RawEmail, a JSON string. Without those options the provider
    sends parsed fields only, and anymail's reconstruction of the message is kept.
    """
    esp_event = event.esp_event
    if provider.raw_field and provider.raw_field in esp_event.POST:
        return _form_field_bytes(esp_event, provider.raw_field)
    if provider is POSTMARK and isinstance(esp_event.get("RawEmail"), str):
        return esp_event["RawEmail"].encode("utf-8", errors="replace")
    logger.warning(
        "%s posted the message as parsed fields, not raw MIME: keeping anymail's "
        "reconstruction of it (docs/mail-providers.md says which option to turn on)",
        provider.name,
    )
    return event.message.as_bytes()


def recipients_of(provider: Provider, event) -> list[str]:
    """Who the message was delivered to: the envelope first, then To, Cc and Bcc."""
    message = event.message
    found = [a.strip() for a in (message.envelope_recipient or "").split(",")]
    if provider is SENDGRID:
        found += _sendgrid_envelope_recipients(event.esp_event)
    for header in ("To", "Cc", "Bcc"):
        try:
            found += [address.addr_spec for address in message.get_address_header(header)]
        except Exception:  # noqa: S112 (a header that is not addresses names nobody)
            continue
    unique = []
    for address in found:
        if _plausible(address) and address.lower() not in (u.lower() for u in unique):
            unique.append(address)
    return unique


def _plausible(address: str) -> bool:
    # Whatever a header holds goes into a query: no control characters (PostgreSQL refuses
    # NUL), nothing longer than an address can be.
    return (
        "@" in address
        and len(address) <= 254
        and all(c.isprintable() and not c.isspace() for c in address)
    )


def _sendgrid_envelope_recipients(request) -> list[str]:
    # anymail keeps only the first of the envelope's recipients.
    try:
        envelope = json.loads(request.POST.get("envelope", "{}"))
        recipients = envelope.get("to") or []
    except (ValueError, AttributeError):
        return []
    return [r for r in recipients if isinstance(r, str)] if isinstance(recipients, list) else []


def _form_field_bytes(request, name: str) -> bytes:
    """A form field's bytes as posted (the last one of that name, as request.POST has)."""
    found = None
    if request.content_type == "multipart/form-data":
        found = getattr(request, "form_field_bytes", {}).get(name)
    elif request.content_type == "application/x-www-form-urlencoded":
        found = _urlencoded_field(request.body, name)
    if found is None:
        logger.warning("Inbound webhook: could not read %r as posted; keeping its text", name)
        return request.POST[name].encode("utf-8")
    return found


def _urlencoded_field(body: bytes, name: str) -> bytes | None:
    # Latin-1 maps each byte to one character and back, so the percent-decoded bytes
    # come through whatever their charset.
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    values = [value for key, value in pairs if key == name]
    return values[-1].encode("latin-1") if values else None


def _looks_like_a_message(raw: bytes) -> bool:
    if not raw.strip():
        return False
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:65536])
    return len(headers.keys()) > 0
