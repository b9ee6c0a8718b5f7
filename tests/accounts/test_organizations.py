"""Organizations and their units (accounts.services, decision 0039): names unique in any
case, domains checked and unique, a unit only of the user's organization, a new user
joining by their address's domain, existing users matched on request."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import (
    DOMAIN_INVALID,
    DOMAIN_PUBLIC,
    UNIT_OF_ANOTHER_ORGANIZATION,
    Organization,
    User,
)
from accounts.services import (
    email_domain,
    guest_user_get_or_create,
    organization_add_domain,
    organization_create,
    organization_id_for_email,
    organization_match_users,
    unit_create,
    user_create,
    user_set_organization,
    users_set_organization,
)
from tests.support.factories import SLAPlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return organization_create(
        name="The Office", domains=["TheOffice.example"], units=["Sales", "Accounting"]
    )


def unit(organization, name):
    return organization.units.get(name=name)


def test_an_organization_with_domains_units_and_plan():
    plan = SLAPlanFactory(name="Gold")
    office = organization_create(
        name="  The   Office ",
        domains=["@theoffice.example", "dundermifflin.example"],
        units=["Sales"],
        default_sla_plan=plan,
        notes="Scranton",
    )

    office.refresh_from_db()
    assert (office.name, office.default_sla_plan, office.notes) == ("The Office", plan, "Scranton")
    assert sorted(office.domains.values_list("domain", flat=True)) == [
        "dundermifflin.example",
        "theoffice.example",
    ]
    assert [u.name for u in office.units.all()] == ["Sales"]
    assert str(office.units.get()) == "The Office > Sales"


def test_names_are_unique_in_any_case(office):
    with pytest.raises(ValidationError, match="already exists"):
        organization_create(name="the office")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="THE OFFICE")


def test_unit_names_are_unique_within_an_organization_in_any_case(office):
    with pytest.raises(ValidationError, match="already has a unit"):
        unit_create(organization=office, name="sales")
    other = organization_create(name="Vance Refrigeration")
    assert unit_create(organization=other, name="Sales").organization == other


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("not a domain", DOMAIN_INVALID),
        ("jim@theoffice.example", DOMAIN_INVALID),
        ("localhost", DOMAIN_INVALID),
        ("-bad.example", DOMAIN_INVALID),
        ("", "This field cannot be blank."),
        ("<script>.example", DOMAIN_INVALID),
        ("Gmail.com", DOMAIN_PUBLIC),
        ("outlook.com", DOMAIN_PUBLIC),
    ],
)
def test_bad_and_public_domains_are_refused_clearly(office, domain, message):
    with pytest.raises(ValidationError) as error:
        organization_add_domain(organization=office, domain=domain)
    assert error.value.message_dict["domain"] == [message]


def test_a_domain_belongs_to_one_organization(office):
    other = organization_create(name="Vance Refrigeration")
    with pytest.raises(ValidationError) as error:
        organization_add_domain(organization=other, domain="THEOFFICE.example")
    assert error.value.message_dict["domain"] == ["Another organization already has this domain."]


def test_a_new_user_joins_the_organization_of_their_domain(office):
    jim = user_create(email="Jim.Halpert@THEOFFICE.example", display_name="Jim")
    pam = guest_user_get_or_create(email="pam@theoffice.example")
    stranger = user_create(email="karen@stamford.example")
    sub = user_create(email="andy@sales.theoffice.example")

    assert (jim.organization, jim.unit) == (office, None)
    assert User.objects.get(pk=pam.pk).organization == office
    assert stranger.organization is None
    assert sub.organization is None  # a subdomain is a domain of its own


def test_an_existing_user_is_not_moved_by_a_later_lookup(office):
    """Typing an address into a form returns its user untouched (no re-matching)."""
    karen = user_create(email="karen@theoffice.example")
    user_set_organization(user=karen, organization=None)

    again = guest_user_get_or_create(email="karen@theoffice.example")

    assert again.organization_id is None


def test_domain_lookup_helpers(office):
    assert email_domain("Jim@TheOffice.Example ") == "theoffice.example"
    assert email_domain("no-at-sign") == "no-at-sign"
    assert organization_id_for_email("x@theoffice.example") == office.pk
    assert organization_id_for_email("") is None
    assert organization_id_for_email("x@elsewhere.example") is None


def test_a_unit_must_be_of_the_users_organization(office):
    other = organization_create(name="Vance Refrigeration", units=["Sales"])
    jim = UserFactory()

    with pytest.raises(ValidationError) as error:
        user_set_organization(user=jim, organization=office, unit=unit(other, "Sales"))
    assert error.value.message_dict["unit"] == [UNIT_OF_ANOTHER_ORGANIZATION]
    with pytest.raises(ValidationError):
        user_set_organization(user=jim, organization=None, unit=unit(office, "Sales"))

    jim = user_set_organization(user=jim, organization=office, unit=unit(office, "Sales"))
    jim.refresh_from_db()
    assert (jim.organization, jim.unit.name) == (office, "Sales")


def test_the_model_refuses_a_unit_of_another_organization(office):
    """What the admin's user form shows beside the field."""
    other = organization_create(name="Vance Refrigeration", units=["Sales"])
    jim = UserFactory()
    jim.organization, jim.unit = office, unit(other, "Sales")
    with pytest.raises(ValidationError) as error:
        jim.full_clean()
    assert error.value.message_dict["unit"] == [UNIT_OF_ANOTHER_ORGANIZATION]


def test_bulk_assignment(office):
    people = UserFactory.create_batch(3)
    sales = unit(office, "Sales")

    assert (
        users_set_organization(
            user_ids=[p.pk for p in people[:2]], organization=office, unit=sales
        )
        == 2
    )

    assert [
        (p.organization_id, p.unit_id)
        for p in User.objects.filter(pk__in=[p.pk for p in people]).order_by("pk")
    ] == [
        (office.pk, sales.pk),
        (office.pk, sales.pk),
        (None, None),
    ]
    other = organization_create(name="Vance Refrigeration", units=["Sales"])
    with pytest.raises(ValidationError):
        users_set_organization(
            user_ids=[people[2].pk], organization=office, unit=unit(other, "Sales")
        )


def test_matching_existing_users_by_domain(office):
    """Only users in no organization join: an admin's placement elsewhere stands. (The
    factory saves users directly, as rows made before the organization existed.)"""
    before = [
        UserFactory(email="oscar@theoffice.example"),
        UserFactory(email="toby@THEOFFICE.example"),
        UserFactory(email="jan@corporate.example"),
        UserFactory(email="holly@theoffice.example.evil"),
    ]
    elsewhere = organization_create(name="Corporate")
    moved = UserFactory(email="david@theoffice.example")
    user_set_organization(user=moved, organization=elsewhere)

    assert organization_match_users(organization=office) == 2

    rows = dict(
        User.objects.filter(pk__in=[u.pk for u in [*before, moved]]).values_list(
            "email", "organization_id"
        )
    )
    assert rows == {
        "oscar@theoffice.example": office.pk,
        "toby@THEOFFICE.example": office.pk,  # the factory skips the lowercasing
        "jan@corporate.example": None,
        "holly@theoffice.example.evil": None,
        "david@theoffice.example": elsewhere.pk,
    }
    assert organization_match_users(organization=office) == 0
    assert organization_match_users(organization=elsewhere) == 0  # it has no domain


def test_deleting_an_organization_leaves_its_members_in_none(office):
    jim = user_create(email="jim@theoffice.example")
    user_set_organization(user=jim, organization=office, unit=unit(office, "Sales"))
    office.delete()
    jim.refresh_from_db()
    assert (jim.organization_id, jim.unit_id) == (None, None)
