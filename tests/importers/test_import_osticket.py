"""import_osticket against a real MariaDB loaded with osTicket's schema and rows
(tests/data/osticket/): the whole import, re-runs, the delta, the dry run, bad rows, and
what people do afterwards (sign in, open old numbers, post with the old key)."""

import hashlib
import json
import zlib

import pytest
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Agent, Department, DepartmentMembership, User
from accounts.services import user_request_password_reset
from api.models import ApiKey, OsTicketMapping
from importers.models import ImportedObject
from sla.models import SLAPlan
from tests.importers.helpers import run_import
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import (
    Attachment,
    ClockKind,
    Collaborator,
    HelpTopic,
    Notification,
    Priority,
    SLAClock,
    Status,
    ThreadEntry,
    Ticket,
    TicketEvent,
    TicketSearchDocument,
)
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db

KEVIN_PASSWORD = "Scranton-Branch-2005"  # $2a$ in ost_staff
RYAN_PASSWORD = "Beets-Bears-1"  # $2y$ in ost_staff (and Jim's portal account)
OLD_KEY = "A1B2C3D4E5F60718293A4B5C6D7E8F90"
ON_DISK = b"a file osTicket kept on disk\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def files_root(tmp_path):
    root = tmp_path / "osticket-files"
    (root / "f").mkdir(parents=True)
    (root / "f" / "fsKEYonDisk0000000000000000003").write_bytes(ON_DISK)
    return root


@pytest.fixture
def imported(osticket_database, media, files_root):
    output = run_import(osticket_database, "--files-root", str(files_root))
    return output


def table_counts():
    models = (
        User,
        Agent,
        Department,
        HelpTopic,
        SLAPlan,
        Ticket,
        ThreadEntry,
        TicketEvent,
        Attachment,
        SLAClock,
        Collaborator,
        ApiKey,
        ImportedObject,
        OsTicketMapping,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_the_whole_desk_comes_over(imported):
    it = Department.objects.get(name="IT")
    assert Department.objects.filter(name="Ventes & Comptabilité").exists()
    kevin = Agent.objects.get(user__email="kevin.benavides@dundermifflin.example")
    ryan = Agent.objects.get(user__email="ryan.howard@dundermifflin.example")
    assert it.manager == kevin and kevin.user.is_superuser
    assert dict(ryan.memberships.values_list("department__name", "role")) == {
        "IT": DepartmentMembership.Role.AGENT,
        "Accounting": DepartmentMembership.Role.AGENT,  # extended access
    }
    assert kevin.memberships.get(department=it).role == DepartmentMembership.Role.MANAGER
    plan = SLAPlan.objects.get(name="Business hours")
    assert plan.resolution_minutes == 8 * 60
    assert plan.calendar.time_zone == "America/New_York"
    assert plan.calendar.intervals.count() == 5
    holidays = {h.date.isoformat() for h in plan.calendar.holidays.all()}
    assert "2024-12-25" in holidays and "2024-11-28" in holidays  # fourth Thursday
    topic = HelpTopic.objects.get(name="Computer problem")
    assert (topic.department, topic.sla_plan, topic.default_priority) == (it, plan, Priority.HIGH)
    assert not HelpTopic.objects.get(name="Computer problem / Printer").is_active
    assert User.objects.get(email="zoe@dundermifflin.example").display_name == "Zoë Ångström"

    ticket = Ticket.objects.get(number=100123)
    assert ticket.subject == "CRM is down — Café ☕"
    assert (ticket.status, ticket.priority, ticket.source) == (Status.OPEN, Priority.HIGH, "email")
    assert (ticket.assignee, ticket.help_topic, ticket.sla_plan) == (ryan, topic, plan)
    assert ticket.created_at.isoformat() == "2024-03-04T10:00:00+00:00"  # the server runs UTC
    entries = list(ticket.entries.order_by("created_at", "id"))
    assert [e.kind for e in entries] == ["message", "reply", "note", "message"]
    assert entries[1].author == ryan.user and entries[2].author == kevin.user
    assert "«ça ne marche pas» 日本語" in entries[0].body
    assert "<script" not in entries[0].body_html
    assert list(ticket.collaborators.values_list("user__email", flat=True)) == [
        "zoe@dundermifflin.example"
    ]
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["created", "assigned"]
    assert ticket.events.get(kind="assigned").data["to"]["name"] == "Ryan Howard"
    assert TicketSearchDocument.objects.filter(ticket=ticket).exists()

    closed = Ticket.objects.get(number=100124)
    assert closed.status == Status.CLOSED and closed.closed_at is not None
    resolved = Ticket.objects.get(number=100125)
    assert resolved.status == Status.RESOLVED
    resolution = resolved.clocks.get(kind=ClockKind.RESOLUTION)
    assert resolution.met_at == resolved.resolved_at and resolution.business_minutes_taken > 0
    # Ticket 100123: replied at 13:00 (met), unresolved for months: a breach marked as it
    # happened, so the sweep has nothing to send for history.
    first = (
        ticket.clocks.get(kind=ClockKind.FIRST_RESPONSE)
        if ticket.clocks.filter(kind=ClockKind.FIRST_RESPONSE).exists()
        else None
    )
    assert first is None  # osTicket plans have no first-response target
    live = ticket.clocks.get(kind=ClockKind.RESOLUTION)
    assert live.met_at is None and live.breached_at == live.due_at
    assert ticket.next_due_at == live.due_at

    assert Notification.objects.count() == 0  # no acknowledgement storm
    assert OsTicketMapping.objects.get(kind="topic", osticket_id=1).our_id == str(topic.pk)
    assert OsTicketMapping.objects.get(kind="status", osticket_id=2).our_id == "resolved"
    assert OsTicketMapping.objects.get(kind="priority", osticket_id=4).our_id == "4"


def test_our_numbers_continue_above_the_imported_ones(imported, desk):
    ticket = ticket_create(
        requester=desk.requester, subject="New", body="x", by=desk.requester, department=desk.it
    )
    assert ticket.number > 100125


def test_a_second_run_changes_nothing(osticket_database, imported, files_root):
    before = table_counts()
    output = run_import(osticket_database, "--files-root", str(files_root))
    assert table_counts() == before
    assert "created" in output
    lines = {
        line.split()[0]: line.split()[1:]
        for line in output.splitlines()[3:]
        if line.startswith("  ") and line.split()[0] in ("ticket", "user", "staff")
    }
    assert lines["ticket"][:2] == ["0", "0"] and lines["user"][:2] == ["0", "0"]


def test_a_later_run_imports_exactly_the_new_rows(osticket_database, imported, files_root):
    before = table_counts()
    osticket_database.execute(
        "INSERT INTO ost_ticket (ticket_id, number, user_id, status_id, dept_id, topic_id, "
        "source, created, updated) VALUES (6, '100200', 2, 1, 2, 2, 'Web', "
        "'2024-04-01 09:00:00', '2024-04-01 09:00:00');"
        "INSERT INTO ost_ticket__cdata VALUES (6, 'Printer out of toner', '2');"
        "INSERT INTO ost_thread (id, object_id, object_type, created) VALUES "
        "(6, 6, 'T', '2024-04-01 09:00:00');"
        "INSERT INTO ost_thread_entry (id, thread_id, user_id, type, body, format, created, "
        "updated) VALUES (11, 6, 2, 'M', '<p>No toner</p>', 'html', '2024-04-01 09:00:00', "
        "'2024-04-01 09:00:00'), (12, 1, 1, 'M', '<p>Still down!</p>', 'html', "
        "'2024-04-02 09:00:00', '2024-04-02 09:00:00');"
    )
    run_import(osticket_database, "--files-root", str(files_root))
    after = table_counts()
    assert after["Ticket"] == before["Ticket"] + 1
    assert after["ThreadEntry"] == before["ThreadEntry"] + 2
    assert Ticket.objects.get(number=100200).subject == "Printer out of toner"
    old = Ticket.objects.get(number=100123)
    assert old.entries.order_by("-created_at").first().body == "Still down!"
    # The requester wrote after the last reply: a next response is owed (on the clock).
    assert not old.clocks.filter(kind=ClockKind.NEXT_RESPONSE).exists()  # no such target


def test_a_dry_run_says_what_would_happen_and_writes_nothing(osticket_database, media):
    before = table_counts()
    output = run_import(osticket_database, "--dry-run")
    assert table_counts() == before
    assert "What would change (nothing was written):" in output
    ticket_line = next(line for line in output.splitlines() if line.strip().startswith("ticket "))
    assert ticket_line.split()[1:] == ["3", "0", "0", "2"]
    assert "skipped osTicket ticket 4: its user 6 was not imported" in output
    assert not list(media.glob("media/**/*.*"))


def test_bad_rows_are_reported_with_their_osticket_id_and_skipped(imported):
    assert "skipped osTicket user 6: no email address" in imported
    assert "skipped osTicket ticket 4: its user 6 was not imported" in imported
    assert not Ticket.objects.filter(number=100126).exists()  # not half of it either
    assert not Ticket.objects.filter(number=100127).exists()  # deleted in osTicket


def test_attachments_come_over_byte_for_byte(imported, osticket_database):
    connection = osticket_database.connect()
    with connection.cursor() as cursor:
        cursor.execute("SELECT file_id, filedata FROM ost_file_chunk ORDER BY file_id, chunk_id")
        chunks = cursor.fetchall()
    connection.close()
    original = {}
    for file_id, data in chunks:
        original[file_id] = original.get(file_id, b"") + bytes(data)
    png = Attachment.objects.get(filename="screen shot.png")
    assert png.file.read() == original[1] and png.content_type == "image/png"
    assert png.content_id == "pngkey000000000000000000000001"  # the cid: in the HTML
    assert png.sha256 == hashlib.sha256(original[1]).hexdigest()
    assert zlib.decompress(original[1][original[1].index(b"IDAT") + 4 :][:-16])  # a real PNG
    text = Attachment.objects.get(filename="notes ünïcödé.txt")
    assert text.file.read() == original[2]
    assert Attachment.objects.get(filename="on disk.txt").file.read() == ON_DISK


def test_a_missing_file_on_disk_is_named_in_the_entry(osticket_database, media):
    output = run_import(osticket_database)  # no --files-root
    assert "file 3 could not be read" in output
    entry = ThreadEntry.objects.get(ticket__number=100124, kind="message")
    assert "[Not attached: osTicket file 3 'on disk.txt' could not be read]" in entry.body


def test_hostile_bodies_and_names_are_inert_on_the_agent_page(
    osticket_database, media, client_for
):
    rows = ",".join(
        f"({100 + n}, 1, 1, 'M', %s, 'html', '2024-03-04 10:0{n % 10}:00', '2024-03-04 10:00:00')"
        for n in range(len(PAYLOADS))
    )
    osticket_database.execute(
        "INSERT INTO ost_thread_entry (id, thread_id, user_id, type, body, format, created, "
        f"updated) VALUES {rows}",
        PAYLOADS,
    )
    run_import(osticket_database)
    kevin = User.objects.get(email="kevin.benavides@dundermifflin.example")
    response = client_for(kevin).get(reverse("agent:ticket", args=[100123]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html)
    assert "Server room again." in html


def test_old_numbers_are_found_in_the_desk(imported, client_for):
    kevin = User.objects.get(email="kevin.benavides@dundermifflin.example")
    client = client_for(kevin)
    assert client.get(reverse("agent:ticket", args=[100125])).status_code == 200
    response = client.get(reverse("agent:search"), {"q": "100123"})
    assert "CRM is down" in response.content.decode()


def test_an_imported_email_has_no_original_headers_and_the_page_says_so(imported, client_for):
    kevin = User.objects.get(email="kevin.benavides@dundermifflin.example")
    entry = ThreadEntry.objects.filter(ticket__number=100123, source="email").first()
    assert entry is not None, "the fixture has messages that came by email"
    response = client_for(kevin).get(
        reverse("agent:entry_headers", args=[entry.ticket.number, entry.pk])
    )
    assert response.status_code == 200
    assert "its original email was not kept here" in response.content.decode()


def test_an_imported_agent_signs_in_with_their_osticket_password(imported, client, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "accounts.hashers.OsTicketBcryptPasswordHasher",
    ]
    ryan = User.objects.get(email="ryan.howard@dundermifflin.example")
    assert ryan.password.startswith("osticket_bcrypt$$2y$")
    assert not client.login(username=ryan.email, password="wrong")
    assert client.login(username=ryan.email, password=RYAN_PASSWORD)
    ryan.refresh_from_db()
    assert ryan.password.startswith("md5$")  # upgraded to the preferred hasher
    kevin = User.objects.get(email="kevin.benavides@dundermifflin.example")
    assert kevin.check_password(KEVIN_PASSWORD)  # $2a$
    jim = User.objects.get(email="jim.halpert@dundermifflin.example")
    assert jim.check_password(RYAN_PASSWORD)  # his portal account's hash


def test_a_hash_we_cannot_check_gets_the_set_your_password_path(
    imported, django_capture_on_commit_callbacks, monkeypatch
):
    jose = User.objects.get(email="jose.muller@dundermifflin.example")  # osTicket's old MD5
    assert not jose.has_usable_password()
    sent = []
    monkeypatch.setattr(
        "accounts.services.enqueue_on_commit", lambda task, *args: sent.append((task, args))
    )
    user_request_password_reset(email=jose.email)
    assert sent == [("accounts.send_account_email", (jose.pk, "signup_confirm"))]


def test_the_old_api_key_still_posts_tickets(imported, client):
    body = json.dumps(
        {
            "name": "Pam Beesly",
            "email": "pam@dundermifflin.example",
            "subject": "Copier jam",
            "message": "It jammed again.",
        }
    )
    response = client.generic(
        "POST",
        "/api/tickets.json",
        body.encode(),
        HTTP_X_API_KEY=OLD_KEY,
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 201, response.content
    assert Ticket.objects.get(number=int(response.content)).subject == "Copier jam"
    key = ApiKey.objects.get(name="osTicket key 1")
    assert sorted(key.scopes) == ["osticket:cron", "osticket:tickets"]
    assert key.allowed_networks == ["127.0.0.1/32"]
    assert OLD_KEY not in key.secret_hash and OLD_KEY not in key.prefix
    other = client.generic(
        "POST",
        "/api/tickets.json",
        body.encode(),
        HTTP_X_API_KEY=OLD_KEY,
        REMOTE_ADDR="192.0.2.9",
    )
    assert other.status_code == 401


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://x@localhost/db", "must look like mysql://USER:PASSWORD@HOST:PORT/DBNAME"),
        ("mysql://root@127.0.0.1:1/osticket", "Cannot read the osTicket database"),
        ("mysql://root@127.0.0.1:3306", "names no database"),
    ],
)
def test_a_bad_url_or_server_is_a_clear_error(url, message):
    from io import StringIO

    from django.core.management import call_command

    with pytest.raises(CommandError, match=message):
        call_command("import_osticket", "--database-url", url, stdout=StringIO())


def test_a_wrong_prefix_is_a_clear_error(osticket_database):
    with pytest.raises(
        CommandError, match=r"is not an osTicket 1\.14-1\.18 database with the prefix 'helpdesk_'"
    ):
        run_import(osticket_database, "--prefix", "helpdesk_")


def test_times_are_read_in_the_zone_given(osticket_database, media):
    run_import(osticket_database, "--time-zone", "America/New_York")
    ticket = Ticket.objects.get(number=100123)
    assert ticket.created_at.isoformat() == "2024-03-04T15:00:00+00:00"
