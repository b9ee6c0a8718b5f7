"""osTicket's ticket API, answered as osTicket 1.18 answers it: contract tests from its
published examples (setup/doc/api/tickets.md), and every error path's status and text."""

import base64
import json
import logging

import pytest

from api.models import OsTicketMapping
from api.osticket import intake, parsing, views
from mail.models import InboundMessage, Mailbox
from tests.mail.conftest import message
from tests.support.factories import SLAPlanFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import Attachment, Notification, Priority, Source, Status, Ticket

# A 1x1 GIF, as in osTicket's XML example.
GIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@pytest.fixture
def key(make_key):
    return make_key(scopes=["osticket:tickets", "osticket:cron"], allowed_networks=["127.0.0.1"])


def post(client, path, body, plaintext=None, content_type="application/x-www-form-urlencoded"):
    headers = {} if plaintext is None else {"HTTP_X_API_KEY": plaintext}
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return client.generic("POST", path, body, content_type=content_type, **headers)


def text(response) -> str:
    return response.content.decode()


def documented_json() -> dict:
    """osTicket's JSON example (tickets.md), with attachments a desk accepts."""
    return {
        "alert": True,
        "autorespond": True,
        "source": "API",
        "name": "Angry User",
        "email": "api@osticket.com",
        "phone": "3185558634X123",
        "subject": "Testing API",
        "ip": "123.211.233.122",
        "message": "data:text/html,MESSAGE <b>HERE</b>",
        "attachments": [
            {"file.txt": "data:text/plain;charset=utf-8,content"},
            {"image.gif": f"data:image/gif;base64,{GIF}"},
        ],
    }


DOCUMENTED_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<ticket alert="true" autorespond="true" source="API">
    <name>Angry User</name>
    <email>api@osticket.com</email>
    <subject>Testing API</subject>
    <phone>318-555-8634X123</phone>
    <message type="text/plain"><![CDATA[Message content here]]></message>
    <attachments>
        <file name="file.txt" type="text/plain"><![CDATA[
            File content is here and is automatically trimmed
        ]]></file>
        <file name="image.gif" type="image/gif" encoding="base64">
            {GIF}
        </file>
    </attachments>
    <ip>123.211.233.122</ip>
</ticket>
"""


def test_the_documented_json_example_opens_a_ticket(client, desk, key):
    response = post(client, "/api/tickets.json", documented_json(), key[1])
    assert response.status_code == 201
    assert response["Content-Type"] == "text/html; charset=UTF-8"
    ticket = Ticket.objects.get()
    assert text(response) == str(ticket.number) and text(response)[0].isdigit()
    assert (ticket.subject, ticket.source, ticket.department) == (
        "Testing API",
        Source.API,
        desk.it,
    )
    assert ticket.requester.email == "api@osticket.com"
    entry = ticket.entries.get()
    assert entry.body == "MESSAGE HERE" and entry.body_html == "MESSAGE <b>HERE</b>"
    stored = {a.filename: a.content_type for a in Attachment.objects.all()}
    assert stored == {"file.txt": "text/plain", "image.gif": "image/gif"}
    event = ticket.events.get()
    assert event.actor == desk.agent.user and event.data.get("via") == f"API key {key[0].name}"


def test_the_documented_xml_example_opens_a_ticket(client, desk, key):
    response = post(client, "/api/http.php/tickets.xml", DOCUMENTED_XML, key[1], "text/xml")
    assert response.status_code == 201
    ticket = Ticket.objects.get(number=int(text(response)))
    assert ticket.entries.get().body == "Message content here"
    files = {a.filename: a for a in Attachment.objects.all()}
    assert set(files) == {"file.txt", "image.gif"}
    assert files["file.txt"].file.read() == b"File content is here and is automatically trimmed"


def test_a_message_as_a_data_url_honours_charset_and_base64(client, desk, key):
    latin = base64.b64encode("Café crème".encode("latin-1")).decode()
    body = {**documented_json(), "message": f"data:text/plain;charset=iso-8859-1;base64,{latin}"}
    del body["attachments"]
    assert post(client, "/api/tickets.json", body, key[1]).status_code == 201
    assert Ticket.objects.get().entries.get().body == "Café crème"


def test_html_messages_are_sanitised_as_mail_is(client, desk, key):
    html = '<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:x">y</a></p>'
    body = {**documented_json(), "message": f"data:text/html;charset=utf-8,{html}"}
    del body["attachments"]
    assert post(client, "/api/tickets.json", body, key[1]).status_code == 201
    entry = Ticket.objects.get().entries.get()
    assert "script" not in entry.body_html and "onclick" not in entry.body_html
    assert "javascript" not in entry.body_html
    assert_inert(entry.body_html)


def test_a_refused_file_is_named_in_the_ticket_and_the_others_are_kept(client, desk, key):
    body = documented_json()
    body["attachments"].append({"evil.html": "data:text/html,<script>alert(1)</script>"})
    body["attachments"].append({"broken.png": "data:image/png;base64,%%%not base64"})
    assert post(client, "/api/tickets.json", body, key[1]).status_code == 201
    entry = Ticket.objects.get().entries.get()
    assert "[Not attached: evil.html" in entry.body
    assert "[Not attached: broken.png: Poorly encoded base64 data]" in entry.body
    assert Attachment.objects.count() == 2


def test_autorespond_and_alert_false_send_no_acknowledgement_and_no_alert(client, desk, key):
    quiet = {**documented_json(), "autorespond": False}
    assert post(client, "/api/tickets.json", quiet, key[1]).status_code == 201
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert Notification.Kind.REQUESTER_ACKNOWLEDGEMENT not in kinds

    Notification.objects.all().delete()
    unalerted = {**documented_json(), "email": "third@example.com", "alert": False}
    assert post(client, "/api/tickets.json", unalerted, key[1]).status_code == 201
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {Notification.Kind.REQUESTER_ACKNOWLEDGEMENT}

    loud = {**documented_json(), "email": "other@example.com"}
    assert post(client, "/api/tickets.json", loud, key[1]).status_code == 201
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert Notification.Kind.REQUESTER_ACKNOWLEDGEMENT in kinds


def test_osticket_ids_are_honoured_through_the_mapping_table(client, desk, key):
    plan = SLAPlanFactory(name="Mapped plan")
    for kind, osticket_id, ours in [
        ("topic", 7, desk.topic.pk),
        ("sla", 3, plan.pk),
        ("staff", 5, desk.agent.pk),
        ("status", 6, Status.PENDING),
    ]:
        OsTicketMapping.objects.create(kind=kind, osticket_id=osticket_id, our_id=str(ours))
    body = {
        **documented_json(),
        "topicId": 7,
        "slaId": 3,
        "staffId": 5,
        "statusId": 6,
        "priorityId": 4,
        "unknownThing": "x",
    }
    del body["attachments"]
    response = post(client, "/api/tickets.json", body, key[1])
    assert response.status_code == 201, text(response)
    ticket = Ticket.objects.get()
    assert (ticket.help_topic, ticket.priority) == (desk.topic, Priority.URGENT)
    assert ticket.sla_plan == plan and ticket.status == Status.PENDING


def test_an_unmapped_id_and_an_unknown_key_are_logged_not_refused(client, desk, key, caplog):
    body = {**documented_json(), "deptId": 99, "favouriteColour": "blue"}
    with caplog.at_level(logging.WARNING, logger="api.osticket.intake"):
        assert post(client, "/api/tickets.json", body, key[1]).status_code == 201
    assert "favouriteColour: Unexpected data received in API request" in caplog.text
    assert "no mapping for department id 99" in caplog.text


def test_a_department_the_key_does_not_work_is_a_validation_error(client, desk, key):
    OsTicketMapping.objects.create(kind="department", osticket_id=2, our_id=str(desk.sales.pk))
    response = post(client, "/api/tickets.json", {**documented_json(), "deptId": 2}, key[1])
    assert response.status_code == 400
    assert text(response) == (
        "Unable to create new ticket: validation errors:\n"
        "err: You do not work in this ticket's department."
    )
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"source": "Telegram"},
            "origin: Invalid ticket origin given\nerr: Invalid ticket origin given",
        ),
        (
            {"message": ""},
            "message: Message content is required\n"
            "err: Missing or invalid data - check the errors and try again",
        ),
        ({"subject": ""}, "subject: Issue Summary is a required field"),
        ({"email": "not an address"}, "user: Incomplete client information"),
        ({"name": ""}, "user: Incomplete client information"),
        (
            {"source": "Web"},
            "topicId: Select a help topic\n"
            "err: Missing or invalid data - check the errors and try again",
        ),
    ],
)
def test_validation_errors_answer_as_osticket(client, desk, key, changes, expected):
    response = post(client, "/api/tickets.json", {**documented_json(), **changes}, key[1])
    assert response.status_code == 400
    assert text(response) == f"Unable to create new ticket: validation errors:\n{expected}"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("source", ["API", "email", "Staff"])
def test_osticket_origins_are_accepted(client, desk, key, source):
    body = {**documented_json(), "source": source}
    if source == "Staff":
        OsTicketMapping.objects.create(kind="topic", osticket_id=1, our_id=str(desk.topic.pk))
        body["topicId"] = 1
    assert post(client, "/api/tickets.json", body, key[1]).status_code == 201


def test_a_disabled_requester_is_ticket_denied(client, desk, key):
    desk.requester.is_active = False
    desk.requester.save(update_fields=["is_active"])
    body = {**documented_json(), "email": desk.requester.email}
    response = post(client, "/api/tickets.json", body, key[1])
    assert (response.status_code, text(response)) == (403, "Ticket denied")


# -- the key -------------------------------------------------------------------------------


def test_no_key_is_valid_api_key_required(client, desk):
    response = post(client, "/api/tickets.json", documented_json())
    assert (response.status_code, text(response)) == (401, "Valid API key required")


@pytest.mark.parametrize("plaintext", ["0123456789ABCDEF0123456789ABCDEF", "hd_deadbeef_nope"])
def test_a_key_we_do_not_know_is_valid_api_key_required(client, desk, key, plaintext):
    response = post(client, "/api/tickets.json", documented_json(), plaintext)
    assert (response.status_code, text(response)) == (401, "Valid API key required")


def test_a_wrong_address_is_not_found_or_not_authorized(client, desk, make_key):
    _, plaintext = make_key(scopes=["osticket:tickets"], allowed_networks=["192.0.2.0/24"])
    response = post(client, "/api/tickets.json", documented_json(), plaintext)
    assert (response.status_code, text(response)) == (401, views.KEY_NOT_FOUND)
    assert text(response) == "API key not found/active or source IP not authorized"


def test_a_revoked_key_is_not_found_or_not_authorized(client, desk, key):
    from accounts.roles import SYSTEM
    from api.keys import api_key_revoke

    api_key_revoke(key=key[0], by=SYSTEM)
    response = post(client, "/api/tickets.json", documented_json(), key[1])
    assert (response.status_code, text(response)) == (401, views.KEY_NOT_FOUND)


def test_a_key_without_the_scope_is_not_authorized(client, desk, make_key):
    _, tickets_only = make_key(scopes=["osticket:tickets"], allowed_networks=["127.0.0.1"])
    _, cron_only = make_key(scopes=["osticket:cron"], allowed_networks=["127.0.0.1"])
    response = post(client, "/api/tickets.json", documented_json(), cron_only)
    assert (response.status_code, text(response)) == (401, "API key not authorized")
    response = post(client, "/api/tasks/cron", "", tickets_only)
    assert (response.status_code, text(response)) == (401, "API key not authorized")
    assert not Ticket.objects.exists()


def test_cron_is_completed(client, desk, key):
    for path in ("/api/tasks/cron", "/api/http.php/tasks/cron"):
        response = post(client, path, "", key[1])
        assert (response.status_code, text(response)) == (200, "Completed")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/tickets.json"),
        ("POST", "/api/tickets.yaml"),
        ("POST", "/api/tickets"),
        ("POST", "/api/http.php"),
        ("POST", "/api/http.php/nothing"),
        ("POST", "/api/tasks/other"),
        ("GET", "/api/tasks/cron"),
        ("POST", "/api/users.json"),
    ],
)
def test_anything_else_is_url_not_supported(client, desk, key, method, path):
    response = client.generic(method, path, b"{}", HTTP_X_API_KEY=key[1])
    assert (response.status_code, text(response)) == (400, "URL not supported")


# -- malformed bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, expected",
    [
        (b"", "Syntax error, malformed JSON"),
        (b"{name: 1", "Syntax error, malformed JSON"),
        (b'{"name": "\xff"}', "Malformed UTF-8 characters, possibly incorrectly encoded"),
        (b"{}", "No errors"),
        (b"[" * 100000 + b"]" * 100000, "Maximum stack depth exceeded"),
    ],
)
def test_malformed_json_answers_as_osticket(client, desk, key, body, expected):
    response = post(client, "/api/tickets.json", body, key[1])
    assert (response.status_code, text(response)) == (400, expected)


def test_malformed_xml_says_where(client, desk, key):
    response = post(client, "/api/tickets.xml", "<ticket><name>x</ticket>", key[1])
    assert response.status_code == 400
    assert text(response) == "XML error: mismatched tag at line 1:17"


def test_an_xml_entity_bomb_is_refused_at_once(client, desk, key):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
            for i in range(1, 10)
        )
        + "]><ticket><name>&lol9;</name></ticket>"
    )
    response = post(client, "/api/tickets.xml", bomb, key[1])
    assert (response.status_code, text(response)) == (400, parsing.XML_ENTITIES)


def test_a_body_too_large_is_413(client, desk, key, settings):
    settings.ATTACHMENT_MAX_COUNT, settings.ATTACHMENT_MAX_BYTES = 1, 10
    big = b"x" * (views.json_xml_limit() + 1)
    response = post(client, "/api/tickets.json", big, key[1])
    assert (response.status_code, text(response)) == (413, views.TOO_LARGE)


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"[1, 2]",
        b'"a string"',
        b'{"message": {"a": 1}, "attachments": "x", "name": [], "email": {}}',
        b'{"attachments": [1, {}, {"a": 5}, {"b": "data:,"}]}',
        b'{"message": "data:text/plain;base64,!!!"}',
        b'{"message": "data:;charset=nonsense,%ff"}',
    ],
)
def test_odd_json_is_never_a_500(client, desk, key, body):
    response = post(client, "/api/tickets.json", body, key[1])
    assert response.status_code in (201, 400)


@pytest.mark.parametrize(
    "body",
    [
        "<other/>",
        "<ticket/>",
        "<ticket><attachments><file encoding='base64'>!!</file></attachments></ticket>",
        "not xml at all",
        '<?xml version="1.0" encoding="nonsense"?><ticket/>',
    ],
)
def test_odd_xml_is_never_a_500(client, desk, key, body):
    response = post(client, "/api/tickets.xml", body, key[1])
    assert response.status_code == 400


# -- hostile text --------------------------------------------------------------------------


def test_hostile_text_is_stored_exactly_and_inert_on_the_desk_page(client, desk, key):
    for number, payload in enumerate(PAYLOADS[:40]):
        body = {
            "name": payload[:100],
            "email": f"hostile{number}@example.com",
            "subject": payload,
            "message": payload,
        }
        response = post(client, "/api/tickets.json", body, key[1])
        assert response.status_code == 201, (payload, text(response))
        ticket = Ticket.objects.get(number=int(text(response)))
        assert ticket.subject == payload.strip()[: intake.services.SUBJECT_MAX_LENGTH]
        assert ticket.entries.get().body == payload.strip()
        client.force_login(desk.agent.user)
        page = client.get(f"/agent/tickets/{ticket.number}/")
        assert page.status_code == 200
        assert_inert(page.content.decode(), where=repr(payload))
        client.logout()


# -- tickets.email -------------------------------------------------------------------------


@pytest.fixture
def it_mailbox(desk):
    return Mailbox.objects.create(address="it@theoffice.example", department=desk.it)


def test_an_email_opens_a_ticket_and_the_same_message_again_answers_the_same(
    client, desk, key, it_mailbox
):
    response = post(client, "/api/tickets.email", message(), key[1], "text/plain")
    assert response.status_code == 201, text(response)
    ticket = Ticket.objects.get()
    assert text(response) == str(ticket.number) and ticket.subject == "CRM is down"
    row = InboundMessage.objects.get()
    assert (row.source, row.mailbox) == (InboundMessage.Source.API, it_mailbox)

    again = post(client, "/api/tickets.email", message(), key[1], "text/plain")
    assert (again.status_code, text(again)) == (201, str(ticket.number))
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_reply_by_email_threads_into_its_ticket(client, desk, key, it_mailbox):
    first = post(client, "/api/tickets.email", message(), key[1], "text/plain")
    number = text(first)
    reply = message(subject=f"Re: [#{number}] CRM is down", message_id="<m2@mail.example>")
    response = post(client, "/api/tickets.email", reply, key[1], "text/plain")
    assert (response.status_code, text(response)) == (201, number)
    assert Ticket.objects.get().entries.count() == 2


def test_an_email_without_headers_or_mailbox_is_400(client, desk, key):
    response = post(client, "/api/tickets.email", b"just words", key[1], "text/plain")
    assert (response.status_code, text(response)) == (400, "Unable to parse email: no headers")
    response = post(client, "/api/tickets.email", message(), key[1], "text/plain")
    assert response.status_code == 400 and "no mailbox" in text(response)


# -- as osTicket's clients send it, and what they read back --------------------------------


def test_automail_pl_as_it_posts_gets_a_ticket_number(client, desk, key, it_mailbox):
    # automail.pl: text/plain, its own User-Agent, the key in X-API-Key; 201 exits 0.
    response = client.generic(
        "POST",
        "/api/tickets.email",
        message(),
        content_type="text/plain",
        HTTP_X_API_KEY=key[1],
        HTTP_USER_AGENT="osTicket API Client v1.14",
    )
    assert response.status_code == 201 and int(text(response)) == Ticket.objects.get().number


def test_the_php_example_client_form_encoded_json_gets_a_ticket_number(client, desk, key):
    # api_ticket_create.php: curl with CURLOPT_POSTFIELDS (a string: form-urlencoded) and
    # "Expect:"; it casts the answer to an integer.
    response = client.generic(
        "POST",
        "/api/tickets.json",
        json.dumps(documented_json()),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_API_KEY=key[1],
        HTTP_EXPECT="",
        HTTP_USER_AGENT="osTicket API Client v1.8",
    )
    assert response.status_code == 201 and int(text(response)) == Ticket.objects.get().number


def test_a_database_failure_is_osticket_s_500_which_its_clients_retry(
    client, desk, key, monkeypatch
):
    from django.db import OperationalError

    def down(**kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(intake, "osticket_ticket_create", down)
    response = post(client, "/api/tickets.json", documented_json(), key[1])
    assert (response.status_code, text(response)) == (500, views.UNKNOWN_ERROR)


def test_a_key_over_its_rate_is_429(client, desk, make_key):
    _, plaintext = make_key(
        scopes=["osticket:cron"], allowed_networks=["127.0.0.1"], requests_per_minute=2
    )
    codes = [post(client, "/api/tasks/cron", "", plaintext).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_mapping_table_is_edited_in_the_admin(admin_client, desk):
    response = admin_client.post(
        "/admin/api/osticketmapping/add/",
        {"kind": "topic", "osticket_id": "12", "our_id": str(desk.topic.pk), "note": "Billing"},
    )
    assert response.status_code == 302
    assert OsTicketMapping.objects.get().our_id == str(desk.topic.pk)
    assert admin_client.get("/admin/api/osticketmapping/").status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/json; charset=utf-8",
        "multipart/form-data; boundary=nothing",
        "",
    ],
)
def test_the_body_is_read_raw_whatever_the_content_type(client, desk, key, content_type):
    response = post(client, "/api/tickets.json", documented_json(), key[1], content_type)
    assert response.status_code == 201, text(response)


def test_an_ipv6_client_in_the_key_s_range_is_let_in(client, desk, make_key):
    _, plaintext = make_key(scopes=["osticket:tickets"], allowed_networks=["2001:db8::/64"])
    response = client.generic(
        "POST",
        "/api/tickets.json",
        json.dumps(documented_json()),
        HTTP_X_API_KEY=plaintext,
        REMOTE_ADDR="2001:db8::5",
    )
    assert response.status_code == 201
    response = client.generic(
        "POST", "/api/tickets.json", b"{}", HTTP_X_API_KEY=plaintext, REMOTE_ADDR="2001:db9::5"
    )
    assert (response.status_code, text(response)) == (401, views.KEY_NOT_FOUND)


def test_an_email_the_mailbox_refuses_is_ticket_denied(client, desk, key, it_mailbox):
    it_mailbox.allow_unknown_senders = False
    it_mailbox.save(update_fields=["allow_unknown_senders"])
    stranger = message(sender="Stranger <stranger@example.com>")
    response = post(client, "/api/tickets.email", stranger, key[1], "text/plain")
    assert (response.status_code, text(response)) == (403, "Ticket denied")
    assert not Ticket.objects.exists()


def test_an_email_without_a_sender_is_kept_quarantined_and_400(client, desk, key, it_mailbox):
    response = post(client, "/api/tickets.email", message(sender=""), key[1], "text/plain")
    assert response.status_code == 400
    assert text(response).startswith("Unable to create new ticket: validation errors:\nerr: ")
    assert InboundMessage.objects.get().status == InboundMessage.Status.QUARANTINED


def test_xml_with_another_root_is_a_validation_error_as_in_osticket(client, desk, key):
    response = post(client, "/api/tickets.xml", "<other><name>x</name></other>", key[1])
    assert response.status_code == 400
    assert text(response).startswith("Unable to create new ticket: validation errors:\n")
