import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import services
from accounts.models import Agent, AuditEntry, Department, DepartmentMembership, User
from accounts.roles import SYSTEM
from accounts.services import (
    AVAILABILITY_NOT_YOURS,
    agent_create,
    agent_set_availability,
    agent_set_role,
    department_create,
    department_set_auto_assignment,
    department_set_manager,
    guest_user_get_or_create,
    user_create,
    user_get_or_create_from_sso,
)
from tests.support.factories import AgentFactory, DepartmentFactory, SLAPlanFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = DepartmentMembership.Role


class TestUserCreate:
    def test_creates_a_user_who_can_log_in(self):
        user = user_create(
            email="  Jim.Halpert@TheOffice.example ",
            display_name="Jim Halpert",
            password="demo",
            time_zone="America/New_York",
        )

        user.refresh_from_db()
        assert user.email == "jim.halpert@theoffice.example"
        assert user.display_name == "Jim Halpert"
        assert user.time_zone == "America/New_York"
        assert not user.is_staff
        assert not user.is_superuser
        assert authenticate(email="JIM.HALPERT@theoffice.example", password="demo") == user

    def test_without_a_password_the_user_cannot_log_in(self):
        user = user_create(email="nopass@example.com")

        assert not user.has_usable_password()

    def test_staff_and_superuser(self):
        user = user_create(email="boss@example.com", is_staff=True, is_superuser=True)

        assert user.is_staff
        assert user.is_superuser

    @pytest.mark.parametrize("email", ["", "not-an-email", "a@"])
    def test_rejects_invalid_email(self, email):
        with pytest.raises(ValidationError) as excinfo:
            user_create(email=email)
        assert "email" in excinfo.value.message_dict
        assert not User.objects.exists()

    def test_rejects_unknown_time_zone(self):
        with pytest.raises(ValidationError) as excinfo:
            user_create(email="tz@example.com", time_zone="Mars/Olympus_Mons")
        assert "time_zone" in excinfo.value.message_dict

    def test_rejects_an_email_that_differs_only_in_case(self):
        user_create(email="dwight@example.com")

        with pytest.raises(ValidationError):
            user_create(email="Dwight@Example.com")
        assert User.objects.count() == 1


class TestGuestUserGetOrCreate:
    def test_creates_a_guest_without_usable_password(self):
        guest = guest_user_get_or_create(email="Toby@Example.com", display_name="Toby Flenderson")

        assert guest.email == "toby@example.com"
        assert guest.display_name == "Toby Flenderson"
        assert not guest.has_usable_password()
        assert not guest.is_staff

    def test_returns_the_existing_user_whatever_the_case(self):
        existing = UserFactory(email="pam@example.com", display_name="Pam Beesly")

        guest = guest_user_get_or_create(email="PAM@example.COM", display_name="Someone else")

        assert guest == existing
        assert User.objects.count() == 1
        # Typing someone's address into a form must not rename them or lock them out.
        existing.refresh_from_db()
        assert existing.display_name == "Pam Beesly"
        assert existing.has_usable_password()

    def test_rejects_invalid_email(self):
        with pytest.raises(ValidationError):
            guest_user_get_or_create(email="nope")

    def test_losing_the_race_to_create_the_guest_returns_theirs(self, monkeypatch):
        # Another request (mail for the same sender on another worker, say) creates the
        # guest between our look-up and our insert: the unique index refuses ours.
        theirs = UserFactory(email="pam@example.com", display_name="Pam Beesly")
        look_up = services._user_by_email
        looked = []

        def before_they_committed(normalized):
            looked.append(normalized)
            return None if len(looked) == 1 else look_up(normalized)

        monkeypatch.setattr(services, "_user_by_email", before_they_committed)
        with transaction.atomic():  # the caller's transaction (a ticket's, a message's)
            guest = guest_user_get_or_create(email="Pam@Example.com", display_name="Pam B.")
            # ...is still usable: only the refused insert was undone.
            assert User.objects.filter(email="pam@example.com").count() == 1
        assert (guest, len(looked)) == (theirs, 2)
        theirs.refresh_from_db()
        assert theirs.display_name == "Pam Beesly"


class TestAgentCreate:
    def test_agent_with_a_role_in_each_department(self):
        it, sales = DepartmentFactory(name="IT"), DepartmentFactory(name="Sales")
        user = UserFactory()

        agent = agent_create(user=user, departments={it: Role.MANAGER, sales: Role.AGENT})

        roles = {m.department.name: m.role for m in agent.memberships.select_related("department")}
        assert roles == {"IT": "manager", "Sales": "agent"}
        assert user.agent == agent

    def test_agent_without_departments(self):
        agent = agent_create(user=UserFactory(), departments={})

        assert not agent.memberships.exists()

    def test_rejects_unknown_role(self):
        with pytest.raises(ValidationError):
            agent_create(user=UserFactory(), departments={DepartmentFactory(): "boss"})
        assert not Agent.objects.exists()

    def test_rejects_a_user_who_is_already_an_agent(self):
        agent = AgentFactory()

        with pytest.raises(ValidationError):
            agent_create(user=agent.user, departments={})


class TestAgentSetRole:
    def test_joins_a_department(self):
        agent, it = AgentFactory(), DepartmentFactory()

        membership = agent_set_role(agent=agent, department=it, role=Role.AGENT)

        assert membership.role == "agent"
        assert list(agent.departments.all()) == [it]

    def test_changes_the_role_in_place(self):
        it = DepartmentFactory()
        agent = AgentFactory(departments=[it])

        agent_set_role(agent=agent, department=it, role=Role.MANAGER)

        assert DepartmentMembership.objects.get(agent=agent, department=it).role == "manager"
        assert DepartmentMembership.objects.count() == 1

    def test_rejects_unknown_role(self):
        with pytest.raises(ValidationError):
            agent_set_role(agent=AgentFactory(), department=DepartmentFactory(), role="boss")


class TestDepartments:
    def test_create_with_manager_gives_the_manager_role(self):
        plan = SLAPlanFactory()
        manager = AgentFactory()

        department = department_create(
            name=" IT ", email="it@example.com", default_sla_plan=plan, manager=manager
        )

        department.refresh_from_db()
        assert department.name == "IT"
        assert department.default_sla_plan == plan
        assert department.manager == manager
        assert DepartmentMembership.objects.get(agent=manager, department=department).role == (
            "manager"
        )

    def test_create_rejects_a_duplicate_name(self):
        DepartmentFactory(name="Sales")

        with pytest.raises(ValidationError):
            department_create(name="Sales")

    def test_set_manager_to_none(self):
        manager = AgentFactory()
        department = department_create(name="Accounting", manager=manager)

        department_set_manager(department=department, manager=None)

        department.refresh_from_db()
        assert department.manager is None


# Single sign-on ------------------------------------------------------------------------


def test_sso_matches_an_address_case_insensitively_and_keeps_a_chosen_name():
    jim = user_create(email="jim@example.com", display_name="Jim Halpert", password="pw")

    found = user_get_or_create_from_sso(email="JIM@Example.com", display_name="J.", create=False)

    assert found == jim
    found.refresh_from_db()
    assert found.display_name == "Jim Halpert"
    assert found.email_confirmed_at is not None  # the provider vouched for the address
    assert found.check_password("pw")


def test_sso_fills_a_guests_empty_name_and_creates_only_when_allowed():
    guest = guest_user_get_or_create(email="pam@example.com")

    assert (
        user_get_or_create_from_sso(
            email="pam@example.com", display_name="Pam Beesly", create=False
        )
        == guest
    )
    guest.refresh_from_db()
    assert guest.display_name == "Pam Beesly"
    assert user_get_or_create_from_sso(email="new@example.com", create=False) is None
    assert not User.objects.filter(email="new@example.com").exists()

    new = user_get_or_create_from_sso(email="New@Example.com", display_name="N" * 200, create=True)
    assert new.email == "new@example.com"
    assert len(new.display_name) == 150
    assert not new.has_usable_password()
    assert not Agent.objects.filter(user=new).exists()


def test_sso_leaves_a_disabled_user_untouched():
    toby = user_create(email="toby@example.com")
    User.objects.filter(pk=toby.pk).update(is_active=False)

    found = user_get_or_create_from_sso(email="toby@example.com", display_name="T", create=True)

    assert found == toby and not found.is_active
    found.refresh_from_db()
    assert found.display_name == "" and found.email_confirmed_at is None


# Availability and auto-assignment policies ----------------------------------------------


def test_an_agent_sets_their_own_availability_and_the_audit_log_says_so():
    ryan = AgentFactory(user__display_name="Ryan Howard")
    assert ryan.is_available is True  # the default

    agent = agent_set_availability(agent=ryan, available=False, by=ryan.user)

    assert agent.is_available is False
    ryan.refresh_from_db()
    assert ryan.is_available is False
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.AGENT_AVAILABILITY_CHANGED)
    assert (entry.actor, entry.target_label) == (ryan.user, "Ryan Howard")
    assert entry.data == {"agent": {"id": ryan.pk, "label": "Ryan Howard"}, "available": False}


def test_an_administrator_may_set_an_agents_availability_nobody_else_may():
    ryan, pam = AgentFactory(), AgentFactory()
    for stranger in (None, SYSTEM, pam.user, UserFactory(is_staff=True)):
        with pytest.raises(PermissionDenied, match=AVAILABILITY_NOT_YOURS):
            agent_set_availability(agent=ryan, available=False, by=stranger)
    ryan.refresh_from_db()
    assert ryan.is_available is True

    agent_set_availability(agent=ryan, available=False, by=UserFactory(is_superuser=True))
    ryan.refresh_from_db()
    assert ryan.is_available is False


def test_a_department_policy_must_be_one_of_the_three():
    it = DepartmentFactory(name="IT")

    with pytest.raises(ValidationError, match="not an auto-assignment policy"):
        department_set_auto_assignment(department=it, policy="random")

    department = department_set_auto_assignment(department=it, policy="round_robin")
    assert department.auto_assignment == Department.AutoAssignment.ROUND_ROBIN
