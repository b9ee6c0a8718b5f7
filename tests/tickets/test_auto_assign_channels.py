"""Every channel's new tickets are auto-assigned, since each opens them through intake:
the portal's form, the REST API, mail, and osTicket's API."""

import pytest

from accounts.models import Department
from accounts.roles import SYSTEM
from accounts.services import department_set_auto_assignment
from api.keys import api_key_create
from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from tests.api.conftest import bearer
from tests.mail.conftest import message
from tickets.models import EventKind, Source, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_key(desk):
    """(key, plaintext) for the IT agent (tests/api/conftest.py has the same, for its tests)."""

    def make(**settings):
        issued = api_key_create(by=SYSTEM, name="Channel", user=desk.agent.user, **settings)
        return issued.key, issued.plaintext

    return make


@pytest.fixture(autouse=True)
def _round_robin(desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    department_set_auto_assignment(
        department=desk.it, policy=Department.AutoAssignment.ROUND_ROBIN
    )


def _auto_assigned(ticket: Ticket, agent) -> None:
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    event = ticket.events.get(kind=EventKind.ASSIGNED)
    assert (event.actor, event.data["auto"], event.data["policy"]) == (None, True, "round_robin")


def test_the_portal_form(client, desk):
    form = client.get("/tickets/new/").content.decode()
    token = form.split('name="intake_token" value="', 1)[1].split('"', 1)[0]

    client.post(
        "/tickets/new/",
        {
            "name": "Pam Beesly",
            "email": "pam@example.com",
            "help_topic": desk.topic.pk,
            "subject": "CRM is down",
            "body": "Nobody in Sales can work.",
            "website": "",
            "intake_token": token,
        },
    )

    _auto_assigned(Ticket.objects.get(source=Source.WEB), desk.manager)


def test_the_rest_api(client, desk, make_key):
    auth = bearer(make_key(scopes=["tickets:read", "tickets:write"])[1])

    response = client.post(
        "/api/v1/tickets/",
        {
            "requester": {"email": "pam@example.com"},
            "subject": "CRM is down",
            "body": "Nobody can work.",
            "help_topic": desk.topic.pk,
        },
        content_type="application/json",
        **auth,
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["number"])
    _auto_assigned(ticket, desk.manager)
    # The API's answer is the ticket as it stands: already assigned.
    assert response.json()["assignee"]["id"] == desk.manager.pk


def test_mail(desk):
    mailbox = Mailbox.objects.create(address="it@theoffice.example", department=desk.it)
    row, _ = inbound_store(mailbox=mailbox, raw=message(), source=InboundMessage.Source.PIPE)

    inbound_process(inbound_id=row.pk)

    _auto_assigned(Ticket.objects.get(source=Source.EMAIL), desk.manager)


def test_osticket_api(client, desk, make_key):
    _, plaintext = make_key(scopes=["osticket:tickets"], allowed_networks=["127.0.0.1"])

    response = client.post(
        "/api/tickets.json",
        {"name": "Angry User", "email": "api@osticket.com", "subject": "Hi", "message": "Help"},
        content_type="application/json",
        HTTP_X_API_KEY=plaintext,
    )

    assert response.status_code == 201, response.content
    _auto_assigned(Ticket.objects.get(number=int(response.content)), desk.manager)


def test_a_second_ticket_goes_to_the_next_agent_whatever_its_channel(client, desk):
    mailbox = Mailbox.objects.create(address="it@theoffice.example", department=desk.it)
    first, _ = inbound_store(mailbox=mailbox, raw=message(), source=InboundMessage.Source.PIPE)
    second, _ = inbound_store(
        mailbox=mailbox,
        raw=message(message_id="<m2@mail.example>", subject="Printer"),
        source=InboundMessage.Source.PIPE,
    )

    inbound_process(inbound_id=first.pk)
    inbound_process(inbound_id=second.pk)

    tickets = Ticket.objects.order_by("id")
    assert [t.assignee for t in tickets] == [desk.manager, desk.agent]


def test_the_api_lists_each_departments_policy(client, desk, make_key):
    auth = bearer(make_key(scopes=["departments:read"])[1])

    body = client.get("/api/v1/departments/", **auth).json()

    assert {d["name"]: d["auto_assignment"] for d in body} == {
        "IT": "round_robin",
        "Sales": "off",
    }
