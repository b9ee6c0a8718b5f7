"""Providers' inbound webhooks, posted as Mailgun, Postmark and SendGrid post them (the
formats of django-anymail's own tests and the providers' documentation): each message is
kept raw in the ledger once, however often it is posted, and becomes a ticket; a post
that is not signed, not ours or not readable stores nothing, and nothing answers 500."""

import hmac
import json
from base64 import b64encode
from urllib.parse import urlencode

import pytest
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.db import OperationalError
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mail.models import InboundMessage, Mailbox
from tests.mail.conftest import message
from tickets.models import Ticket

pytestmark = pytest.mark.filterwarnings(
    # anymail warns, once per view, that SendGrid is no longer officially supported (0019).
    "ignore::anymail.exceptions.AnymailNotSupportedWarning"
)

MAILGUN_RAW = "/anymail/mailgun/inbound_mime/"
MAILGUN_PARSED = "/anymail/mailgun/inbound/"
POSTMARK = "/anymail/postmark/inbound/"
SENDGRID = "/anymail/sendgrid/inbound/"

SIGNING_KEY = "key-0123456789abcdef0123456789abcdef"
SECRET = "helpdesk:correct-horse-battery-staple"
TOKEN = "06c96bafc3f42a66b9edd546347a2fe18dc23461fe80dc52f0"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": [SECRET]}


@pytest.fixture
def mailbox(desk):
    """it@theoffice.example, fed by a provider's webhook."""
    return Mailbox.objects.create(
        address="it@theoffice.example", department=desk.it, transport=Mailbox.Transport.WEBHOOK
    )


@pytest.fixture
def client():
    # As a provider posts: no CSRF token, no session.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """deliver(url, **post) -> the response, posted with our basic auth (in the URL the
    provider was given) unless `auth` says otherwise; the worker's task runs on commit."""

    def post(url, *, auth: str | None = SECRET, **kwargs):
        if auth is not None:
            kwargs.update(basic_auth(auth))
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, **kwargs)

    return post


# How each provider posts ----------------------------------------------------------------


def mailgun_signed(fields: dict, *, key: str = SIGNING_KEY, token: str = TOKEN) -> dict:
    """Mailgun's legacy (form) signature: HMAC-SHA256 over timestamp + token."""
    signed = {"timestamp": "1461261330", "token": token, **fields}
    signed["signature"] = hmac.new(
        key.encode("ascii"), f"{signed['timestamp']}{signed['token']}".encode("ascii"), "sha256"
    ).hexdigest()
    return signed


def mailgun_raw_fields(raw: bytes, *, recipient="it@theoffice.example") -> dict:
    """A route's forward() to a URL ending in "mime": the message whole, in body-mime."""
    return mailgun_signed(
        {
            "recipient": recipient,
            "sender": "jim@example.com",
            "from": "Jim Halpert <jim@example.com>",
            "subject": "CRM is down",
            "body-mime": raw.decode("utf-8"),
        }
    )


def basic_auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + b64encode(secret.encode()).decode("ascii")}


def postmark_payload(*, raw: str | None, to="it@theoffice.example", original=None) -> dict:
    """Postmark's inbound JSON; RawEmail only with "Include raw email content"."""
    payload = {
        "FromName": "Jim Halpert",
        "FromFull": {"Email": "jim@example.com", "Name": "Jim Halpert", "MailboxHash": ""},
        "To": to,
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "CcFull": [],
        "BccFull": [],
        "OriginalRecipient": original or to,
        "Subject": "CRM is down",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Date": "Wed, 11 Oct 2017 18:31:04 -0700",
        "TextBody": "The CRM system is down.",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<jim@example.com>"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "MIME-Version", "Value": "1.0"},
            {"Name": "Message-ID", "Value": "<m1@mail.example>"},
        ],
        "Attachments": [],
    }
    if raw is not None:
        payload["RawEmail"] = raw
    return payload


def post_postmark(deliver, payload, *, auth=SECRET):
    return deliver(POSTMARK, data=json.dumps(payload), content_type="application/json", auth=auth)


def sendgrid_raw_fields(raw: bytes, *, envelope_to=("it@theoffice.example",)) -> dict:
    """Inbound Parse with "POST the raw, full MIME message": the message in "email"."""
    return {
        "email": raw.decode("utf-8"),
        "from": "Jim Halpert <jim@example.com>",
        "to": "it@theoffice.example",
        "subject": "CRM is down",
        "charsets": '{"to":"UTF-8","subject":"UTF-8","from":"UTF-8"}',
        "envelope": json.dumps({"to": list(envelope_to), "from": "jim@example.com"}),
        "sender_ip": "10.10.1.71",
        "dkim": "{@example.com : pass}",
        "SPF": "pass",
        "spam_score": "0.1",
    }


def multipart(fields: dict[str, bytes], boundary: str = "xYzZY") -> tuple[bytes, str]:
    """multipart/form-data with each field's bytes exactly as given (as a provider sends a
    message in an 8-bit charset)."""
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def stored() -> InboundMessage:
    return InboundMessage.objects.get()


# Mailgun ------------------------------------------------------------------------------


def test_a_mailgun_raw_post_is_kept_as_sent_once_and_becomes_a_ticket(deliver, mailbox):
    raw = message()
    first = deliver(MAILGUN_RAW, data=mailgun_raw_fields(raw))
    # A retry is signed anew (another token), and is the same message.
    again = deliver(
        MAILGUN_RAW, data={**mailgun_raw_fields(raw), **mailgun_signed({}, token="x" * 50)}
    )

    assert (first.status_code, again.status_code) == (200, 200)
    row = stored()
    assert (row.mailbox, row.source, row.status, bytes(row.raw)) == (
        mailbox,
        InboundMessage.Source.WEBHOOK,
        InboundMessage.Status.PROCESSED,
        raw,
    )
    ticket = Ticket.objects.get()
    assert (ticket, ticket.subject, ticket.department) == (
        row.ticket,
        "CRM is down",
        mailbox.department,
    )
    assert ticket.entries.get().body == "The CRM system is down."


def test_mailgun_posts_a_message_without_attachments_urlencoded(deliver, mailbox):
    raw = message()
    response = deliver(
        MAILGUN_RAW,
        data=urlencode(mailgun_raw_fields(raw)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert bytes(stored().raw) == raw


def test_a_message_in_an_8bit_charset_keeps_its_bytes(deliver, mailbox):
    # Django would decode the field as UTF-8 and replace the Latin-1 bytes: we keep them.
    raw = (
        message(
            subject="Caf\xe9",
            body="Le caf\xe9 est froid.",
            content_type="text/plain; charset=latin-1",
        )
        .decode("utf-8")
        .encode("latin-1")
    )
    fields = {
        k: v.encode() for k, v in mailgun_signed({"recipient": "it@theoffice.example"}).items()
    }
    body, content_type = multipart({**fields, "body-mime": raw})

    response = deliver(MAILGUN_RAW, data=body, content_type=content_type)

    assert response.status_code == 200
    assert bytes(stored().raw) == raw
    assert Ticket.objects.get().entries.get().body == "Le café est froid."


def test_a_mailgun_parsed_post_is_kept_as_anymail_rebuilds_it(deliver, mailbox):
    fields = mailgun_signed(
        {
            "recipient": "it@theoffice.example",
            "sender": "jim@example.com",
            "message-headers": json.dumps(
                [
                    ["From", "Jim Halpert <jim@example.com>"],
                    ["To", "it@theoffice.example"],
                    ["Subject", "CRM is down"],
                    ["Message-Id", "<m1@mail.example>"],
                    ["Mime-Version", "1.0"],
                ]
            ),
            "body-plain": "The CRM system is down.",
            "stripped-text": "The CRM system is down.",
        }
    )
    assert deliver(MAILGUN_PARSED, data=fields).status_code == 200
    assert deliver(MAILGUN_PARSED, data=fields).status_code == 200  # one row, by Message-ID

    row = stored()
    assert (row.message_id, row.status) == ("m1@mail.example", "processed")
    assert Ticket.objects.get().entries.get().body == "The CRM system is down."


@pytest.mark.parametrize(
    "fields",
    [
        mailgun_signed({"body-mime": message().decode()}, key="not-our-key"),
        {**mailgun_raw_fields(message()), "signature": "0" * 64},
        {"recipient": "it@theoffice.example", "body-mime": message().decode()},  # unsigned
    ],
    ids=["other key", "forged signature", "unsigned"],
)
def test_a_mailgun_post_not_signed_with_our_key_is_refused(deliver, mailbox, fields):
    assert deliver(MAILGUN_RAW, data=fields).status_code == 400
    assert not InboundMessage.objects.exists()


def test_with_basic_auth_set_mailgun_must_send_it_too(deliver, mailbox):
    fields = mailgun_raw_fields(message())
    assert deliver(MAILGUN_RAW, data=fields, auth=None).status_code == 400
    assert deliver(MAILGUN_RAW, data=fields).status_code == 200


# Postmark -----------------------------------------------------------------------------


def test_postmark_raw_email_is_kept_once_and_becomes_a_ticket(deliver, mailbox):
    # Postmark's RawEmail has bare \n line ends.
    raw = message().decode().replace("\r\n", "\n")
    assert post_postmark(deliver, postmark_payload(raw=raw)).status_code == 200
    assert post_postmark(deliver, postmark_payload(raw=raw)).status_code == 200

    row = stored()
    assert (bytes(row.raw), row.source, row.status) == (raw.encode(), "webhook", "processed")
    assert Ticket.objects.get().subject == "CRM is down"


def test_postmark_without_raw_email_is_kept_as_anymail_rebuilds_it(deliver, mailbox):
    assert post_postmark(deliver, postmark_payload(raw=None)).status_code == 200
    assert post_postmark(deliver, postmark_payload(raw=None)).status_code == 200

    row = stored()
    assert (row.message_id, row.status, row.from_address) == (
        "m1@mail.example",
        "processed",
        "jim@example.com",
    )
    assert Ticket.objects.get().entries.get().body == "The CRM system is down."


def test_postmark_forwarded_to_its_own_address_finds_our_mailbox_in_to(deliver, mailbox):
    # Mail forwarded to Postmark's inbound address: the envelope names Postmark's address.
    payload = postmark_payload(raw=message().decode(), original="abc123@inbound.postmarkapp.com")
    assert post_postmark(deliver, payload).status_code == 200
    assert stored().mailbox == mailbox


@pytest.mark.parametrize("secret", ["helpdesk:wrong", "", "nobody:nothing:at:all"])
def test_postmark_without_our_credentials_is_refused(deliver, mailbox, secret):
    response = post_postmark(deliver, postmark_payload(raw=message().decode()), auth=secret)
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_rotated_secret_is_taken_beside_the_new_one(deliver, mailbox, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ["helpdesk:new-one", SECRET]}
    response = post_postmark(deliver, postmark_payload(raw=message().decode()))
    assert response.status_code == 200


# SendGrid -----------------------------------------------------------------------------


def test_sendgrid_raw_mime_is_kept_once_and_becomes_a_ticket(deliver, mailbox):
    raw = message()
    assert deliver(SENDGRID, data=sendgrid_raw_fields(raw)).status_code == 200
    assert deliver(SENDGRID, data=sendgrid_raw_fields(raw)).status_code == 200

    row = stored()
    assert (bytes(row.raw), row.source, row.status) == (raw, "webhook", "processed")
    assert Ticket.objects.get().subject == "CRM is down"


def test_sendgrid_any_of_the_envelope_recipients_may_be_ours(deliver, mailbox):
    fields = sendgrid_raw_fields(
        message(to="someone@elsewhere.example"),
        envelope_to=["someone@elsewhere.example", "it@theoffice.example"],
    )
    assert deliver(SENDGRID, data=fields).status_code == 200
    assert stored().mailbox == mailbox


def test_sendgrid_parsed_fields_are_kept_as_anymail_rebuilds_them(deliver, mailbox):
    fields = {
        "headers": "From: Jim Halpert <jim@example.com>\nTo: it@theoffice.example\n"
        "Subject: CRM is down\nMessage-ID: <m1@mail.example>\nMIME-Version: 1.0\n",
        "from": "Jim Halpert <jim@example.com>",
        "to": "it@theoffice.example",
        "subject": "CRM is down",
        "text": "The CRM system is down.",
        "charsets": '{"to":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}',
        "envelope": '{"to":["it@theoffice.example"],"from":"jim@example.com"}',
    }
    assert deliver(SENDGRID, data=fields).status_code == 200
    assert stored().message_id == "m1@mail.example"
    assert Ticket.objects.get().entries.get().body == "The CRM system is down."


def test_sendgrid_without_our_credentials_is_refused(deliver, mailbox):
    fields = sendgrid_raw_fields(message())
    assert deliver(SENDGRID, data=fields, auth=None).status_code == 400
    assert deliver(SENDGRID, data=fields, auth="helpdesk:wrong").status_code == 400
    assert not InboundMessage.objects.exists()


# Not ours: refused so that the provider stops retrying ----------------------------------


def test_mail_for_no_mailbox_of_ours_is_refused_the_way_each_provider_understands(
    deliver, mailbox
):
    raw = message(to="nobody@theoffice.example")
    mailgun = deliver(
        MAILGUN_RAW, data=mailgun_raw_fields(raw, recipient="nobody@theoffice.example")
    )
    postmark = post_postmark(
        deliver, postmark_payload(raw=raw.decode(), to="nobody@theoffice.example")
    )
    sendgrid = deliver(
        SENDGRID,
        data=sendgrid_raw_fields(raw, envelope_to=["nobody@theoffice.example"]),
    )

    # Mailgun: 406 is "rejected, do not retry"; Postmark: 403 stops its retries (and keeps
    # the message to retry by hand); SendGrid drops on any 4xx.
    assert (mailgun.status_code, postmark.status_code, sendgrid.status_code) == (406, 403, 403)
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"transport": Mailbox.Transport.PIPE},
        {"transport": Mailbox.Transport.IMAP},
        {"is_active": False},
    ],
    ids=["pipe mailbox", "imap mailbox", "inactive mailbox"],
)
def test_only_active_webhook_mailboxes_take_mail_from_webhooks(deliver, mailbox, change):
    Mailbox.objects.filter(pk=mailbox.pk).update(**change)
    response = deliver(MAILGUN_RAW, data=mailgun_raw_fields(message()))
    assert response.status_code == 406
    assert not InboundMessage.objects.exists()


def test_a_message_to_two_of_our_addresses_goes_to_the_first_webhook_mailbox(
    deliver, mailbox, desk
):
    Mailbox.objects.create(address="sales@theoffice.example", department=desk.sales)  # the pipe's
    raw = message(to="sales@theoffice.example, it@theoffice.example")
    response = deliver(
        MAILGUN_RAW, data=mailgun_raw_fields(raw, recipient="sales@theoffice.example")
    )
    assert response.status_code == 200
    assert stored().mailbox == mailbox


def test_a_post_larger_than_the_limit_is_refused_for_good(deliver, mailbox, settings):
    settings.MAIL_MAX_MESSAGE_BYTES = 500  # posts are read up to twice that
    raw = message(body="x" * 2000)
    assert deliver(MAILGUN_RAW, data=mailgun_raw_fields(raw)).status_code == 406
    assert post_postmark(deliver, postmark_payload(raw=raw.decode())).status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_message_larger_than_djangos_form_limit_is_taken_from_every_provider(
    deliver, mailbox, settings
):
    # A photo attached: larger than DATA_UPLOAD_MAX_MEMORY_SIZE, which the webhook views
    # do not use (the rest of the site does: the next test).
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    line = "0123456789" * 7 + "\r\n"
    raw = lambda n: message(body=line * 50_000, message_id=f"<big{n}@mail.example>")  # noqa: E731
    body, content_type = multipart({k: v.encode() for k, v in mailgun_raw_fields(raw(1)).items()})

    responses = [
        deliver(MAILGUN_RAW, data=body, content_type=content_type),
        deliver(
            MAILGUN_RAW,
            data=urlencode(mailgun_raw_fields(raw(2))),
            content_type="application/x-www-form-urlencoded",
        ),
        post_postmark(deliver, postmark_payload(raw=raw(3).decode())),
        deliver(SENDGRID, data=sendgrid_raw_fields(raw(4))),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    kept = InboundMessage.objects.order_by("pk")
    assert [bytes(row.raw) for row in kept] == [raw(n) for n in (1, 2, 3, 4)]
    assert Ticket.objects.count() == 4


def test_the_rest_of_the_site_keeps_djangos_form_limit(desk):
    too_big = urlencode({"subject": "CRM", "body": "x" * 3_000_000})
    response = Client().post(
        "/tickets/new/", data=too_big, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


# Not configured: nothing is taken --------------------------------------------------------


def test_without_secrets_every_endpoint_takes_nothing(deliver, mailbox, settings):
    settings.ANYMAIL = {}
    raw = message()
    unsigned_key = mailgun_signed(
        {"body-mime": raw.decode(), "recipient": "it@theoffice.example"}, key=""
    )
    responses = [
        deliver(MAILGUN_RAW, data=unsigned_key),
        deliver(MAILGUN_RAW, data=mailgun_raw_fields(raw)),
        post_postmark(deliver, postmark_payload(raw=raw.decode())),
        deliver(SENDGRID, data=sendgrid_raw_fields(raw)),
    ]
    # 503: a provider set up before its secret keeps retrying, and gets through once it is.
    assert [r.status_code for r in responses] == [503] * 4
    assert not InboundMessage.objects.exists()


def test_anymails_own_view_takes_unchecked_posts_without_a_secret_and_we_ignore_them(
    mailbox, settings, django_capture_on_commit_callbacks
):
    # Why inbound_view guards the endpoints: with WEBHOOK_SECRET unset, anymail only warns.
    settings.ANYMAIL = {}
    request = RequestFactory().post(
        POSTMARK,
        data=json.dumps(postmark_payload(raw=message().decode())),
        content_type="application/json",
    )
    with pytest.warns(Warning, match="insecure"):
        response = PostmarkInboundWebhookView.as_view()(request)
    assert response.status_code == 200
    assert not InboundMessage.objects.exists()


# Bad posts: 400, never 500 ---------------------------------------------------------------


GARBAGE_POSTMARK = [
    b"",
    b"not json",
    b"[1, 2, 3]",
    b'"a string"',
    b"{}",
    b'{"RecordType": "Delivery"}',
    b'{"RawEmail": ""}',
    b'{"RawEmail": "no headers, just words"}',
    b'{"RawEmail": 42}',
    b'{"Headers": "not a list", "ToFull": 7}',
    b'{"FromFull": "x", "Attachments": [{"Name": "a"}]}',
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("body", GARBAGE_POSTMARK)
def test_garbage_from_postmark_is_400(deliver, mailbox, body):
    response = deliver(POSTMARK, data=body, content_type="application/json")
    assert response.status_code in (400, 403)
    assert not InboundMessage.objects.exists()


GARBAGE_MAILGUN = [
    {},
    {"body-mime": ""},
    {"body-mime": "just some words, no headers"},
    {"message-headers": "not json"},
    {"message-headers": '{"not": "a list"}'},
    {"message-headers": "[]", "attachment-count": "3"},
    {"message-headers": "[]", "attachments": "[]"},  # a store() route, not forward()
    {"message-headers": "[]", "event": "delivered"},  # a tracking webhook, misdirected
]


@pytest.mark.parametrize("fields", GARBAGE_MAILGUN)
def test_garbage_from_mailgun_is_400(deliver, mailbox, fields):
    response = deliver(MAILGUN_RAW, data=mailgun_signed(fields))
    assert response.status_code in (400, 406)
    assert not InboundMessage.objects.exists()


def test_mailgun_json_posted_to_the_inbound_url_is_400(deliver, mailbox):
    event = {"signature": mailgun_signed({}), "event-data": {"event": "delivered"}}
    response = deliver(MAILGUN_PARSED, data=json.dumps(event), content_type="application/json")
    assert response.status_code == 400


GARBAGE_SENDGRID = [
    {},
    {"email": ""},
    {"email": "just some words, no headers"},
    {"email": "Subject: hi\n\nbody", "envelope": "not json"},
    {"email": "Subject: hi\n\nbody", "envelope": '{"to": "not a list"}'},
    {"headers": "", "attachment-info": "not json"},
    {"headers": "", "attachment-info": '{"attachment1": {}}', "attachments": "1"},
]


@pytest.mark.parametrize("fields", GARBAGE_SENDGRID)
def test_garbage_from_sendgrid_is_400(deliver, mailbox, fields):
    response = deliver(SENDGRID, data=fields)
    assert response.status_code in (400, 403)
    assert not InboundMessage.objects.exists()


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "multipart/form-data; boundary=xYzZY",
            "application/x-www-form-urlencoded",
            "text/plain",
        ]
    ),
)
def test_no_authenticated_body_is_ever_a_500(client, mailbox, body, content_type):
    for url in (POSTMARK, SENDGRID, MAILGUN_RAW):
        response = client.post(url, data=body, content_type=content_type, **basic_auth())
        assert response.status_code in (400, 403, 406), (url, response.status_code)
    assert not InboundMessage.objects.exists()


def test_a_database_that_is_down_is_503_so_the_provider_retries(deliver, mailbox, monkeypatch):
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("mail.webhooks.inbound_store", down)
    response = deliver(MAILGUN_RAW, data=mailgun_raw_fields(message()))
    assert response.status_code == 503


def test_a_provider_checking_the_url_with_head_gets_200(client, mailbox):
    assert client.head(MAILGUN_RAW).status_code == 200


def test_control_characters_in_the_recipients_name_nobody(deliver, mailbox):
    raw = message(to="it@theoffice.example\x00, bad\x01@theoffice.example")
    response = deliver(
        MAILGUN_RAW, data=mailgun_raw_fields(raw, recipient="it\x00@theoffice.example")
    )
    assert response.status_code == 406
    assert not InboundMessage.objects.exists()


def test_a_nul_in_the_message_id_is_stored_by_its_content(deliver, mailbox):
    raw = message(message_id="<m1\x00@mail.example>")
    response = deliver(MAILGUN_RAW, data=mailgun_raw_fields(raw))
    again = deliver(MAILGUN_RAW, data=mailgun_raw_fields(raw))
    assert (response.status_code, again.status_code) == (200, 200)
    assert (bytes(stored().raw), stored().message_id) == (raw, "")
    assert Ticket.objects.count() == 1


def test_a_nul_in_the_subject_is_stored_as_sent(deliver, mailbox):
    raw = message(subject="CRM\x00 is down")
    response = deliver(MAILGUN_RAW, data=mailgun_raw_fields(raw))
    assert response.status_code == 200
    assert bytes(stored().raw) == raw
