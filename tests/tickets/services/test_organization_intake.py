"""Organizations at intake (decision 0039): a new requester joins the organization of
their address's domain whichever way they first write in (the portal's form, mail, the
API, osTicket's API, sign-up, single sign-on), through the one service (user_create); and
a new ticket's SLA plan is the topic's, else the organization's, else the department's,
else the system default."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import SYSTEM
from accounts.services import (
    guest_user_get_or_create,
    organization_create,
    user_get_or_create_from_sso,
)
from api.keys import api_key_create
from mail.ledger import inbound_store
from mail.models import InboundMessage, Mailbox
from mail.processing import inbound_process
from tests.mail.conftest import message
from tests.portal.test_intake_views import form_data
from tests.support.factories import SLAPlanFactory, UserFactory
from tickets.models import Ticket
from tickets.services import default_plan_for, ticket_create

pytestmark = pytest.mark.django_db

DOMAIN = "theoffice.example"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def gold(db):
    return SLAPlanFactory(name="Gold", first_response_minutes=5)


@pytest.fixture
def office(gold):
    return organization_create(name="The Office", domains=[DOMAIN], default_sla_plan=gold)


def joined(email: str, office) -> bool:
    return User.objects.get(email=email).organization_id == office.pk


# Every way in ---------------------------------------------------------------------------


def test_the_portal_form(desk, office):
    client = Client()
    data = form_data(client, desk, email="Pam@TheOffice.example", name="Pam Beesly")
    assert client.post("/tickets/new/", data).status_code == 302
    assert joined("pam@theoffice.example", office)


def test_the_portal_form_from_another_domain_joins_nothing(desk, office):
    client = Client()
    assert client.post("/tickets/new/", form_data(client, desk)).status_code == 302
    assert User.objects.get(email="pam@example.com").organization_id is None


def test_mail(desk, office):
    mailbox = Mailbox.objects.create(address="it@help.example", department=desk.it)
    raw = message(sender=f"Oscar Martinez <oscar@{DOMAIN}>", to="it@help.example")
    row, _ = inbound_store(mailbox=mailbox, raw=raw, source=InboundMessage.Source.PIPE)
    inbound_process(inbound_id=row.pk)
    row.refresh_from_db()
    assert row.outcome == InboundMessage.Outcome.NEW_TICKET
    assert joined(f"oscar@{DOMAIN}", office)
    # No help topic on the mailbox: the organization's plan, not the department's.
    assert row.ticket.sla_plan.name == "Gold"


def test_the_api(client, desk, office):
    key = api_key_create(
        name="Monitoring",
        user=desk.agent.user,
        scopes=["tickets:write", "tickets:read"],
        by=SYSTEM,
    )
    response = client.post(
        "/api/v1/tickets/",
        {
            "requester": {"email": f"stanley@{DOMAIN}", "name": "Stanley Hudson"},
            "subject": "Crossword app",
            "body": "It is gone.",
            "department": desk.it.pk,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key.plaintext}",
    )
    assert response.status_code == 201, response.content
    assert joined(f"stanley@{DOMAIN}", office)
    requester = response.json()["requester"]
    assert requester["organization"] == {"id": office.pk, "name": "The Office"}
    assert requester["unit"] is None


def test_osticket_api(client, desk, office):
    key = api_key_create(
        name="osTicket",
        user=desk.agent.user,
        scopes=["osticket:tickets"],
        allowed_networks=["127.0.0.1"],
        by=SYSTEM,
    )
    response = client.generic(
        "POST",
        "/api/tickets.json",
        (
            f'{{"name": "Phyllis Vance", "email": "phyllis@{DOMAIN}", "subject": "Printer", '
            '"message": "It jams."}'
        ).encode(),
        content_type="application/json",
        HTTP_X_API_KEY=key.plaintext,
    )
    assert response.status_code == 201, response.content
    assert joined(f"phyllis@{DOMAIN}", office)


def test_sign_up(client, office):
    response = client.post(
        "/accounts/signup/", {"email": f"toby@{DOMAIN}", "display_name": "Toby"}
    )
    assert response.status_code == 302
    assert joined(f"toby@{DOMAIN}", office)


def test_single_sign_on(office):
    user = user_get_or_create_from_sso(email=f"Creed@{DOMAIN}", display_name="Creed", create=True)
    assert user.organization_id == office.pk


def test_a_collaborator_an_agent_copies_by_address(desk, office, client_for):
    ticket = desk.ticket()
    response = client_for(desk.agent.user).post(
        f"/agent/tickets/{ticket.number}/add-collaborator/", {"email": f"meredith@{DOMAIN}"}
    )
    assert response.status_code in (200, 204, 302)
    assert joined(f"meredith@{DOMAIN}", office)


# Which SLA plan -------------------------------------------------------------------------


@pytest.fixture
def member(office):
    return guest_user_get_or_create(email=f"jim@{DOMAIN}", display_name="Jim Halpert")


def test_the_topics_plan_comes_first(desk, member):
    desk.topic.sla_plan = desk.critical
    desk.topic.save()
    ticket = ticket_create(
        requester=member, by=member, subject="S", body="B", help_topic=desk.topic
    )
    assert ticket.sla_plan == desk.critical


def test_then_the_organizations(desk, member, gold):
    ticket = ticket_create(
        requester=member, by=member, subject="S", body="B", help_topic=desk.topic
    )
    assert ticket.sla_plan == gold
    # The clocks run on it: Gold answers in 5 minutes.
    first = ticket.clocks.get(kind="first_response")
    assert first.target_minutes == 5


def test_an_inactive_organization_plan_is_passed_over(desk, member, gold):
    gold.is_active = False
    gold.save()
    ticket = ticket_create(
        requester=member, by=member, subject="S", body="B", help_topic=desk.topic
    )
    assert ticket.sla_plan == desk.standard  # the department's


def test_then_the_departments_for_an_organization_without_a_plan(desk, member, office):
    office.default_sla_plan = None
    office.save()
    ticket = ticket_create(
        requester=member, by=member, subject="S", body="B", help_topic=desk.topic
    )
    assert ticket.sla_plan == desk.standard


def test_then_the_system_default(desk):
    desk.it.default_sla_plan = None
    desk.it.save()
    plan = default_plan_for(help_topic=None, department=desk.it, requester=desk.requester)
    assert plan == desk.standard  # the one marked default
    desk.standard.is_default = False
    desk.standard.save()
    assert default_plan_for(help_topic=None, department=desk.it, requester=desk.requester) is None


def test_a_requester_in_no_organization_costs_no_query(desk, django_assert_num_queries):
    desk.it.default_sla_plan = desk.critical  # loaded with the department below
    with django_assert_num_queries(0):
        plan = default_plan_for(help_topic=None, department=desk.it, requester=desk.requester)
    assert plan == desk.critical


def test_a_member_costs_one(desk, member, gold, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert default_plan_for(help_topic=None, department=desk.it, requester=member) == gold


def test_an_agent_opening_for_a_member_uses_the_organizations_plan(desk, member, gold):
    ticket = ticket_create(
        requester=member, by=desk.agent.user, subject="S", body="B", help_topic=desk.topic
    )
    assert Ticket.objects.get(pk=ticket.pk).sla_plan == gold


def test_a_user_made_directly_keeps_the_departments_plan(desk, office):
    """Rows saved without user_create (imports in bulk, old rows) are in no organization
    until matched: the department's plan."""
    outsider = UserFactory(email=f"old@{DOMAIN}")
    ticket = ticket_create(
        requester=outsider, by=outsider, subject="S", body="B", help_topic=desk.topic
    )
    assert ticket.sla_plan == desk.standard
