"""Organizations in the Django admin (decision 0039): added with their domains and units
inline, domains checked (case, duplicates, public providers) as form errors, existing
users matched by domain, users assigned in bulk, a unit of another organization refused."""

import pytest
from django.utils.html import escape

from accounts.models import DOMAIN_PUBLIC, UNIT_OF_ANOTHER_ORGANIZATION, Organization, User
from accounts.services import organization_create, user_set_organization
from tests.support.admin_helpers import admin_url, form_errors, inline_data
from tests.support.factories import SLAPlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def organization_data(domains, units, **fields):
    data = {"name": "The Office", "default_sla_plan": "", "notes": "", **fields}
    data.update(inline_data("domains", [{"domain": d} for d in domains]))
    data.update(inline_data("units", [{"name": u} for u in units]))
    return data


def test_add_with_domains_and_units(admin_client):
    plan = SLAPlanFactory(name="Gold")
    response = admin_client.post(
        admin_url(Organization, "add"),
        organization_data(
            ["TheOffice.example", "@dundermifflin.example"],
            ["Sales", "Accounting"],
            default_sla_plan=plan.pk,
        ),
    )
    assert response.status_code == 302, form_errors(response)
    office = Organization.objects.get()
    assert office.default_sla_plan == plan
    assert sorted(office.domains.values_list("domain", flat=True)) == [
        "dundermifflin.example",
        "theoffice.example",
    ]
    assert sorted(office.units.values_list("name", flat=True)) == ["Accounting", "Sales"]


@pytest.mark.parametrize(
    ("domains", "error"),
    [
        (["theoffice.example", "TheOffice.example"], "Please correct the duplicate data"),
        (["gmail.com"], DOMAIN_PUBLIC),
        (["not a domain"], "Enter a domain such as example.com"),
    ],
)
def test_bad_domains_are_form_errors(admin_client, domains, error):
    response = admin_client.post(admin_url(Organization, "add"), organization_data(domains, []))
    assert response.status_code == 200
    assert any(error in e for e in form_errors(response)), form_errors(response)
    assert not Organization.objects.exists()


def test_a_domain_of_another_organization_is_a_form_error(admin_client):
    organization_create(name="Corporate", domains=["theoffice.example"])
    response = admin_client.post(
        admin_url(Organization, "add"), organization_data(["THEOFFICE.example"], [])
    )
    assert response.status_code == 200
    assert "Another organization already has this domain." in form_errors(response)


def test_a_name_in_another_case_is_a_form_error(admin_client):
    organization_create(name="The Office")
    response = admin_client.post(
        admin_url(Organization, "add"), organization_data([], [], name="THE OFFICE")
    )
    assert response.status_code == 200
    assert "An organization with this name already exists." in form_errors(response)


def test_the_list_shows_domains_and_members(admin_client):
    office = organization_create(name="The Office", domains=["theoffice.example"])
    user_set_organization(user=UserFactory(), organization=office)
    html = admin_client.get(admin_url(Organization, "changelist")).content.decode()
    assert "theoffice.example" in html and '<td class="field-member_count">1</td>' in html


def test_match_existing_users_by_domain(admin_client):
    office = organization_create(name="The Office", domains=["theoffice.example"])
    oscar = UserFactory(email="oscar@theoffice.example")
    karen = UserFactory(email="karen@stamford.example")
    response = admin_client.post(
        admin_url(Organization, "changelist"),
        {"action": "match_users_by_domain", "_selected_action": [office.pk]},
        follow=True,
    )
    assert "The Office: 1 joined." in response.content.decode()
    oscar.refresh_from_db()
    karen.refresh_from_db()
    assert (oscar.organization, karen.organization) == (office, None)


def test_a_user_added_in_the_admin_joins_by_domain(admin_client):
    office = organization_create(name="The Office", domains=["theoffice.example"])
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "Pam.Beesly@TheOffice.example",
            "display_name": "Pam",
            "usable_password": "false",
        },
    )
    assert response.status_code == 302, form_errors(response)
    assert User.objects.get(email="pam.beesly@theoffice.example").organization == office


def test_bulk_assignment_asks_then_assigns(admin_client):
    office = organization_create(name="The Office", units=["Sales"])
    sales = office.units.get()
    people = UserFactory.create_batch(3)
    chosen = [people[0].pk, people[1].pk]
    url = admin_url(User, "changelist")

    ask = admin_client.post(url, {"action": "assign_organization", "_selected_action": chosen})
    assert ask.status_code == 200
    html = ask.content.decode()
    assert "Assign to an organization" in html and people[0].email in html
    assert people[2].email not in html

    done = admin_client.post(
        url,
        {
            "action": "assign_organization",
            "_selected_action": chosen,
            "apply": "Assign",
            "organization": office.pk,
            "unit": sales.pk,
        },
        follow=True,
    )
    assert "2 users now in The Office &gt; Sales." in done.content.decode()
    rows = dict(User.objects.values_list("pk", "unit_id"))
    assert (rows[people[0].pk], rows[people[1].pk], rows[people[2].pk]) == (
        sales.pk,
        sales.pk,
        None,
    )


def test_bulk_assignment_refuses_a_unit_of_another_organization(admin_client):
    office = organization_create(name="The Office")
    other = organization_create(name="Vance Refrigeration", units=["Sales"])
    jim = UserFactory()
    response = admin_client.post(
        admin_url(User, "changelist"),
        {
            "action": "assign_organization",
            "_selected_action": [jim.pk],
            "apply": "Assign",
            "organization": office.pk,
            "unit": other.units.get().pk,
        },
    )
    assert response.status_code == 200
    assert escape(UNIT_OF_ANOTHER_ORGANIZATION) in response.content.decode()
    jim.refresh_from_db()
    assert jim.organization_id is None


def test_the_user_page_refuses_a_unit_of_another_organization(admin_client):
    office = organization_create(name="The Office")
    other = organization_create(name="Vance Refrigeration", units=["Sales"])
    jim = UserFactory(email="jim@example.com", display_name="Jim")
    page = admin_client.get(admin_url(User, "change", jim.pk))
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update(
        {
            "email": jim.email,
            "display_name": "Jim",
            "time_zone": "UTC",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "organization": office.pk,
            "unit": other.units.get().pk,
        }
    )
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin_client.post(admin_url(User, "change", jim.pk), data)
    assert response.status_code == 200
    assert UNIT_OF_ANOTHER_ORGANIZATION in form_errors(response)


def test_bulk_assignment_of_every_user_across_pages(admin_client):
    office = organization_create(name="The Office")
    UserFactory.create_batch(3)
    url = admin_url(User, "changelist")
    first = User.objects.order_by("pk").first()
    chosen = {
        "action": "assign_organization",
        "_selected_action": [first.pk],
        "select_across": "1",
    }

    ask = admin_client.post(url, chosen)
    assert 'name="select_across" value="1"' in ask.content.decode()
    admin_client.post(url, {**chosen, "apply": "Assign", "organization": office.pk, "unit": ""})

    assert not User.objects.exclude(organization=office).exists()
