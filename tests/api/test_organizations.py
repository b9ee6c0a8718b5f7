"""Organizations in the API (decision 0039): a ticket's requester says their organization
and unit; the list filters by organization, strictly; the same queries for any page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import organization_create, user_set_organization
from tests.api.conftest import bearer
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def reader(make_key):
    return bearer(make_key(scopes=["tickets:read"])[1])


@pytest.fixture
def office(desk):
    office = organization_create(name="The Office", units=["Sales"])
    user_set_organization(user=desk.requester, organization=office, unit=office.units.get())
    return office


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["results"]]


def test_the_requester_says_their_organization_and_unit(client, desk, office, reader):
    ticket = desk.ticket()
    sales = office.units.get()
    expected = {
        "id": desk.requester.pk,
        "email": desk.requester.email,
        "name": "Jim Halpert",
        "organization": {"id": office.pk, "name": "The Office"},
        "unit": {"id": sales.pk, "name": "Sales"},
    }
    assert client.get(f"{TICKETS}{ticket.number}/", **reader).json()["requester"] == expected
    [listed] = client.get(TICKETS, **reader).json()["results"]
    assert listed["requester"] == expected


def test_a_requester_in_no_organization_says_null(client, desk, reader):
    ticket = desk.ticket()
    requester = client.get(f"{TICKETS}{ticket.number}/", **reader).json()["requester"]
    assert (requester["organization"], requester["unit"]) == (None, None)


def test_the_list_filters_by_organization(client, desk, office, reader):
    ours = desk.ticket(subject="Jim's")
    outsider = UserFactory()
    desk.ticket(requester=outsider, subject="Someone else's")
    sales_ticket = desk.ticket(subject="Sales", help_topic=None, department=desk.sales)
    empty = organization_create(name="Vance Refrigeration")

    assert numbers(client.get(f"{TICKETS}?organization={office.pk}", **reader)) == [ours.number]
    assert numbers(client.get(f"{TICKETS}?organization={empty.pk}", **reader)) == []
    assert numbers(client.get(f"{TICKETS}?organization=99999999", **reader)) == []
    # The key's departments still bound it: the Sales ticket of the same requester is not
    # the IT agent's.
    assert sales_ticket.number not in numbers(
        client.get(f"{TICKETS}?organization={office.pk}&count=true", **reader)
    )
    assert (
        client.get(f"{TICKETS}?organization={office.pk}&count=true", **reader).json()["count"] == 1
    )


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5", "9" * 30, PAYLOADS[0]])
def test_a_bad_organization_is_a_400_naming_it(client, desk, reader, value):
    response = client.get(TICKETS, {"organization": value}, **reader)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "organization" in response.json()["errors"]


def test_the_same_queries_for_a_page_of_1_and_of_50_members(client, desk, office, reader):
    other = organization_create(name="Vance Refrigeration", units=["Sales"])
    for i in range(12):
        requester = UserFactory()
        organization = office if i % 2 else other
        user_set_organization(
            user=requester, organization=organization, unit=organization.units.get()
        )
        desk.ticket(requester=requester, subject=f"t{i}")
    counts = []
    for size in (1, 50):
        client.get(f"{TICKETS}?page_size={size}", **reader)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{TICKETS}?page_size={size}", **reader)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6, counts
    names = {t["requester"]["organization"]["name"] for t in response.json()["results"]}
    assert names == {"The Office", "Vance Refrigeration"}


def test_the_schema_names_the_filter_and_the_fields(client, desk):
    schema = client.get("/api/v1/schema/").content.decode()
    assert "organization" in schema and "Requester" in schema


def test_the_written_out_requester_matches_the_declared_fields(desk, office):
    """As tests/api/test_tickets_read.py's check, for a requester with an organization
    and a unit, and one in an organization without a unit."""
    from django.utils import timezone
    from rest_framework import serializers

    from api.serializers import TicketSerializer

    angela = user_set_organization(user=desk.other_requester, organization=office)
    jim = desk.requester
    jim.refresh_from_db()
    for ticket in (desk.ticket(requester=jim), desk.ticket(requester=angela)):
        fast = TicketSerializer(ticket, context={"now": timezone.now()})
        assert fast.data == serializers.Serializer.to_representation(fast, ticket)
        assert fast.data["requester"]["organization"]["name"] == "The Office"
