"""Changing tickets through the API, through the same services as the pages: a ticket
opened for a requester, replies (emailed), notes (never to the requester), the action
table's actions; domain refusals as 409 with the pages' messages; the history says which
key did it; the hostile corpus stored exactly."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import bearer
from tests.support.hostile import PAYLOADS
from tickets.models import EntryKind, Notification, Priority, Source, Status, Ticket
from tickets.outbox import notifications_send_pending

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
EVERYTHING = ["tickets:read", "tickets:write", "replies:write", "notes:write"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def writer(make_key):
    return bearer(make_key(name="Monitoring", scopes=EVERYTHING)[1])


def post(client, path, data, auth, **extra):
    return client.post(path, data, content_type="application/json", **auth, **extra)


def test_open_a_ticket_for_a_requester(client, desk, writer):
    response = post(
        client,
        TICKETS,
        {
            "requester": {"email": "Pam@Example.com", "name": "Pam Beesly"},
            "subject": PAYLOADS[0],
            "body": PAYLOADS[1],
            "help_topic": desk.topic.pk,
            "priority": "high",
        },
        writer,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.subject, ticket.priority, ticket.source) == (
        PAYLOADS[0],
        Priority.HIGH,
        Source.API,
    )
    assert ticket.requester.email == "pam@example.com"
    assert body["subject"] == PAYLOADS[0] and body["clocks"]
    created = ticket.events.get(kind="created")
    assert created.actor == desk.agent.user and created.data["via"] == "API key Monitoring"
    assert Notification.objects.filter(ticket=ticket, recipient=ticket.requester).exists()


def test_opening_one_in_another_department_is_refused(client, desk, writer):
    response = post(
        client,
        TICKETS,
        {"requester": {"email": "x@example.com"}, "subject": "s", "body": "b",
         "department": desk.sales.pk},
        writer,
    )  # fmt: skip
    assert response.status_code == 403
    assert "do not work in this ticket's department" in response.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "s", "body": "b", "help_topic": 1}, "requester"),
        ({"requester": {"email": "nope"}, "subject": "s", "body": "b"}, "requester"),
        ({"requester": {"email": "a@b.example"}, "subject": "", "body": "b"}, "subject"),
        ({"requester": {"email": "a@b.example"}, "subject": "s", "body": "b", "colour": 1},
         "colour"),
        ({"requester": {"email": "a@b.example", "role": "admin"}, "subject": "s", "body": "b"},
         "requester"),
        ({"requester": {"email": "a@b.example"}, "subject": "s", "body": "b",
          "help_topic": 99999999}, "help_topic"),
        ({"requester": {"email": "a@b.example"}, "subject": "s", "body": "b",
          "priority": "extreme"}, "priority"),
    ],
)  # fmt: skip
def test_bad_input_is_400_naming_the_field(client, writer, body, field):
    response = post(client, TICKETS, body, writer)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_not_json_is_a_clear_400(client, writer):
    response = client.post(TICKETS, "{nope", content_type="application/json", **writer)
    assert response.status_code == 400 and "JSON" in response.json()["detail"]
    response = post(client, TICKETS, [1, 2], writer)
    assert response.status_code == 400


def test_a_reply_is_emailed_and_a_note_is_not(client, desk, writer):
    ticket = desk.ticket()
    Notification.objects.all().delete()
    reply = post(client, f"{TICKETS}{ticket.number}/replies/", {"body": PAYLOADS[2]}, writer)
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == EntryKind.REPLY and reply.json()["body"] == PAYLOADS[2]
    note = post(client, f"{TICKETS}{ticket.number}/notes/", {"body": "Between us."}, writer)
    assert note.status_code == 201 and note.json()["kind"] == EntryKind.NOTE
    mail.outbox.clear()
    notifications_send_pending()
    to_requester = [m for m in mail.outbox if m.to == [desk.requester.email]]
    assert len(to_requester) == 1 and "Between us." not in to_requester[0].body
    assert ticket.entries.filter(source=Source.API).count() == 2


def test_a_reply_with_files_through_multipart(client, desk, writer):
    ticket = desk.ticket()
    png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    exe = SimpleUploadedFile("evil.exe", b"MZ" + b"\x00" * 64, "application/octet-stream")
    ok = client.post(
        f"{TICKETS}{ticket.number}/replies/", {"body": "See the shot.", "attachments": [png]},
        **writer,
    )  # fmt: skip
    assert ok.status_code == 201, ok.content
    assert [a["filename"] for a in ok.json()["attachments"]] == ["shot.png"]
    refused = client.post(
        f"{TICKETS}{ticket.number}/replies/", {"body": "And this.", "attachments": [exe]},
        **writer,
    )  # fmt: skip
    assert refused.status_code == 400 and "evil.exe" in refused.json()["detail"]


def test_actions_of_the_action_table(client, desk, writer):
    ticket = desk.ticket()
    url = f"{TICKETS}{ticket.number}/actions/"
    claimed = post(client, f"{url}claim/", {}, writer)
    assert claimed.status_code == 200 and claimed.json()["assignee"]["id"] == desk.agent.pk
    again = post(client, f"{url}claim/", {}, writer)
    assert again.status_code == 409 and again.json()["detail"]
    assert (
        post(client, f"{url}priority/", {"priority": "urgent"}, writer).json()["priority"]
        == "urgent"
    )
    resolved = post(client, f"{url}resolve/", {}, writer)
    assert resolved.status_code == 200 and resolved.json()["status"] == Status.RESOLVED
    closing_twice = post(client, f"{url}resolve/", {}, writer)
    assert closing_twice.status_code == 409
    events = ticket.events.filter(kind__in=["claimed", "priority_changed", "status_changed"])
    assert events.count() == 3
    assert {e.data.get("via") for e in events} == {"API key Monitoring"}


def test_assign_only_to_agents_of_the_department(client, desk, make_key):
    ticket = desk.ticket()
    manager = bearer(make_key(user=desk.manager.user, scopes=EVERYTHING)[1])
    url = f"{TICKETS}{ticket.number}/actions/assign/"
    refused = post(client, url, {"agent": desk.sales_agent.pk}, manager)
    assert refused.status_code == 400 and "agent" in refused.json()["errors"]
    assert post(client, url, {"agent": desk.agent.pk}, manager).status_code == 200
    assert post(client, url, {"agent": None}, manager).json()["assignee"] is None


def test_unknown_actions_and_tickets_of_other_departments_are_404(client, desk, writer):
    ours = desk.ticket()
    theirs = desk.ticket(help_topic=None, department=desk.sales)
    assert post(client, f"{TICKETS}{ours.number}/actions/explode/", {}, writer).status_code == 404
    for path in ("replies/", "notes/", "actions/claim/"):
        response = post(client, f"{TICKETS}{theirs.number}/{path}", {"body": "x"}, writer)
        assert response.status_code == 404
    assert not theirs.entries.exclude(kind=EntryKind.MESSAGE).exists()


def test_scopes_bound_what_a_key_writes(client, desk, make_key):
    ticket = desk.ticket()
    reader = bearer(make_key(scopes=["tickets:read"])[1])
    notes_only = bearer(make_key(scopes=["notes:write"])[1])
    for path, body in (("replies/", {"body": "x"}), ("actions/claim/", {})):
        assert post(client, f"{TICKETS}{ticket.number}/{path}", body, reader).status_code == 403
    assert (
        post(client, f"{TICKETS}{ticket.number}/replies/", {"body": "x"}, notes_only).status_code
        == 403
    )
    assert (
        post(client, f"{TICKETS}{ticket.number}/notes/", {"body": "x"}, notes_only).status_code
        == 201
    )
    assert post(client, TICKETS, {}, reader).status_code == 403


def test_the_desk_shows_the_key(client, desk, writer, client_for):
    ticket = desk.ticket()
    post(client, f"{TICKETS}{ticket.number}/actions/claim/", {}, writer)
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "via API key Monitoring" in html
