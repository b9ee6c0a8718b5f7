import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Agent, Department, User
from tests.support.admin_helpers import admin_url, form_errors, inline_data
from tests.support.factories import AgentFactory, DepartmentFactory, SLAPlanFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "an unguessable passphrase 42"


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def user_add_data(**overrides):
    data = {
        "email": "Pam.Beesly@TheOffice.example",
        "display_name": "Pam Beesly",
        "usable_password": "true",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
    }
    data.update(overrides)
    return data


class TestUserAdmin:
    def test_add_form_asks_for_email_and_password_only(self, admin_client):
        response = admin_client.get(admin_url(User, "add"))

        fields = set(response.context["adminform"].form.fields)
        assert {"email", "password1", "password2"} <= fields
        assert "username" not in fields
        assert "is_superuser" not in fields

    def test_add_creates_a_user_who_can_log_in(self, admin_client):
        response = admin_client.post(admin_url(User, "add"), user_add_data())

        assert response.status_code == 302
        user = User.objects.get(email__startswith="pam")
        assert user.email == "pam.beesly@theoffice.example"
        assert user.display_name == "Pam Beesly"
        assert authenticate(email="pam.beesly@theoffice.example", password=STRONG_PASSWORD)

    def test_add_without_password_creates_a_user_who_cannot_log_in(self, admin_client):
        response = admin_client.post(
            admin_url(User, "add"),
            user_add_data(usable_password="false", password1="", password2=""),
        )

        assert response.status_code == 302
        assert not User.objects.get(email__startswith="pam").has_usable_password()

    def test_add_rejects_an_email_that_differs_only_in_case(self, admin_client):
        UserFactory(email="pam.beesly@theoffice.example")

        response = admin_client.post(admin_url(User, "add"), user_add_data())

        assert response.status_code == 200
        assert "email" in response.context["adminform"].form.errors
        assert User.objects.filter(email__iexact="pam.beesly@theoffice.example").count() == 1

    def test_add_rejects_mismatched_passwords(self, admin_client):
        response = admin_client.post(admin_url(User, "add"), user_add_data(password2="other"))

        assert response.status_code == 200
        assert "password2" in response.context["adminform"].form.errors

    def test_change_form_edits_profile_and_permissions(self, admin_client):
        user = UserFactory(email="ryan@example.com")

        response = admin_client.get(admin_url(User, "change", user.pk))
        fields = set(response.context["adminform"].form.fields)
        assert {"display_name", "time_zone", "is_staff", "is_superuser", "groups"} <= fields
        assert "user_permissions" in fields

        response = admin_client.post(
            admin_url(User, "change", user.pk),
            {
                "email": "ryan@example.com",
                "display_name": "Ryan Howard",
                "time_zone": "America/New_York",
                "is_active": "on",
                "is_staff": "on",
                "date_joined_0": "2025-06-13",
                "date_joined_1": "09:00:00",
                "initial-date_joined_0": "2025-06-13",
                "initial-date_joined_1": "09:00:00",
            },
        )

        assert response.status_code == 302, form_errors(response)
        user.refresh_from_db()
        assert user.display_name == "Ryan Howard"
        assert user.time_zone == "America/New_York"
        assert user.is_staff

    def test_change_rejects_unknown_time_zone(self, admin_client):
        user = UserFactory(email="ryan@example.com")

        response = admin_client.post(
            admin_url(User, "change", user.pk),
            {"email": "ryan@example.com", "time_zone": "Mars/Base", "is_active": "on"},
        )

        assert response.status_code == 200
        assert "time_zone" in response.context["adminform"].form.errors

    def test_search_by_email_and_name(self, admin_client):
        jim = UserFactory(email="jim@theoffice.example", display_name="Jim Halpert")
        UserFactory(email="dwight@theoffice.example", display_name="Dwight Schrute")

        for term in ["jim@", "Halpert", "JIM"]:
            response = admin_client.get(admin_url(User, "changelist"), {"q": term})
            assert list(response.context["cl"].result_list) == [jim], term

    def test_filter_agents(self, admin_client):
        agent = AgentFactory()
        UserFactory()

        response = admin_client.get(admin_url(User, "changelist"), {"is_agent": "yes"})

        assert list(response.context["cl"].result_list) == [agent.user]


def department_data(**overrides):
    data = {"name": "IT", "email": "it@example.com", "auto_assignment": "off", "is_active": "on"}
    data.update(overrides)
    return data


class TestDepartmentAdmin:
    def test_add_with_manager_plan_and_memberships(self, admin_client):
        plan = SLAPlanFactory()
        ryan, kevin = AgentFactory(), AgentFactory()

        response = admin_client.post(
            admin_url(Department, "add"),
            {
                **department_data(manager=kevin.pk, default_sla_plan=plan.pk),
                **inline_data(
                    "memberships",
                    [
                        {"agent": kevin.pk, "role": "manager"},
                        {"agent": ryan.pk, "role": "agent"},
                    ],
                ),
            },
        )

        assert response.status_code == 302, form_errors(response)
        department = Department.objects.get()
        assert department.manager == kevin
        assert department.default_sla_plan == plan
        roles = dict(department.memberships.values_list("agent_id", "role"))
        assert roles == {kevin.pk: "manager", ryan.pk: "agent"}

    def test_the_same_agent_twice_is_a_form_error(self, admin_client):
        ryan = AgentFactory()

        response = admin_client.post(
            admin_url(Department, "add"),
            {
                **department_data(),
                **inline_data(
                    "memberships",
                    [{"agent": ryan.pk, "role": "agent"}, {"agent": ryan.pk, "role": "manager"}],
                ),
            },
        )

        assert response.status_code == 200
        assert any("duplicate" in error.lower() for error in form_errors(response))
        assert not Department.objects.exists()

    def test_unknown_role_is_a_form_error(self, admin_client):
        ryan = AgentFactory()

        response = admin_client.post(
            admin_url(Department, "add"),
            {
                **department_data(),
                **inline_data("memberships", [{"agent": ryan.pk, "role": "boss"}]),
            },
        )

        assert response.status_code == 200
        assert form_errors(response)
        assert not Department.objects.exists()

    def test_duplicate_name_is_a_form_error(self, admin_client):
        DepartmentFactory(name="IT")

        response = admin_client.post(
            admin_url(Department, "add"), {**department_data(), **inline_data("memberships", [])}
        )

        assert response.status_code == 200
        assert "name" in response.context["adminform"].form.errors

    def test_changelist_queries_do_not_grow_with_rows(self, admin_client):
        DepartmentFactory(manager=AgentFactory(), default_sla_plan=SLAPlanFactory())
        few = count_queries(admin_client, admin_url(Department, "changelist"))
        for _ in range(5):
            DepartmentFactory(manager=AgentFactory(), default_sla_plan=SLAPlanFactory())
        assert count_queries(admin_client, admin_url(Department, "changelist")) == few


class TestAutoAssignmentAdmin:
    def test_the_department_form_sets_the_policy_and_the_list_shows_it(self, admin_client):
        it = DepartmentFactory(name="IT", email="it@example.com")

        response = admin_client.post(
            admin_url(Department, "change", it.pk),
            {**department_data(auto_assignment="least_open"), **inline_data("memberships", [])},
        )

        assert response.status_code == 302, form_errors(response)
        it.refresh_from_db()
        assert it.auto_assignment == Department.AutoAssignment.LEAST_OPEN
        listing = admin_client.get(admin_url(Department, "changelist")).content.decode()
        assert "Fewest open tickets (with a running SLA clock)" in listing

    def test_an_unknown_policy_is_a_form_error(self, admin_client):
        it = DepartmentFactory(name="IT")

        response = admin_client.post(
            admin_url(Department, "change", it.pk),
            {**department_data(auto_assignment="random"), **inline_data("memberships", [])},
        )

        assert response.status_code == 200
        assert "Select a valid choice" in str(form_errors(response))
        it.refresh_from_db()
        assert it.auto_assignment == Department.AutoAssignment.OFF

    def test_the_agent_form_shows_and_changes_availability(self, admin_client):
        agent = AgentFactory(user__display_name="Ryan Howard")
        url = admin_url(Agent, "change", agent.pk)
        assert 'name="is_available"' in admin_client.get(url).content.decode()

        response = admin_client.post(
            url,
            {
                "user": agent.user_id,
                "signature": "",
                "is_active": "on",
                **inline_data("memberships", []),
            },
        )

        assert response.status_code == 302, form_errors(response)
        agent.refresh_from_db()
        assert agent.is_available is False
        listing = admin_client.get(admin_url(Agent, "changelist"), {"is_available__exact": "0"})
        assert "Ryan Howard" in listing.content.decode()


class TestAgentAdmin:
    def test_add_with_department_roles(self, admin_client):
        user = UserFactory()
        it, sales = DepartmentFactory(name="IT"), DepartmentFactory(name="Sales")

        response = admin_client.post(
            admin_url(Agent, "add"),
            {
                "user": user.pk,
                "signature": "Ryan",
                "is_active": "on",
                **inline_data(
                    "memberships",
                    [
                        {"department": it.pk, "role": "manager"},
                        {"department": sales.pk, "role": "agent"},
                    ],
                ),
            },
        )

        assert response.status_code == 302, form_errors(response)
        agent = Agent.objects.get()
        assert agent.user == user
        roles = dict(agent.memberships.values_list("department__name", "role"))
        assert roles == {"IT": "manager", "Sales": "agent"}

    def test_user_who_is_already_an_agent_is_a_form_error(self, admin_client):
        agent = AgentFactory()

        response = admin_client.post(
            admin_url(Agent, "add"),
            {"user": agent.user.pk, "is_active": "on", **inline_data("memberships", [])},
        )

        assert response.status_code == 200
        assert "user" in response.context["adminform"].form.errors

    def test_list_shows_department_roles(self, admin_client):
        it = DepartmentFactory(name="IT")
        AgentFactory(user=UserFactory(display_name="Kevin Benavides"), managed=[it])

        response = admin_client.get(admin_url(Agent, "changelist"))

        assert "IT (Manager)" in response.content.decode()

    def test_filter_by_department_and_role(self, admin_client):
        it, sales = DepartmentFactory(name="IT"), DepartmentFactory(name="Sales")
        manager = AgentFactory(managed=[it])
        AgentFactory(departments=[it])
        AgentFactory(departments=[sales])

        response = admin_client.get(
            admin_url(Agent, "changelist"),
            {"memberships__department__id__exact": it.pk, "memberships__role": "manager"},
        )

        assert list(response.context["cl"].result_list) == [manager]

    def test_search_by_name_and_email(self, admin_client):
        ryan = AgentFactory(user=UserFactory(email="ryan@x.example", display_name="Ryan Howard"))
        AgentFactory(user=UserFactory(email="kevin@x.example", display_name="Kevin Benavides"))

        for term in ["Howard", "ryan@"]:
            response = admin_client.get(admin_url(Agent, "changelist"), {"q": term})
            assert list(response.context["cl"].result_list) == [ryan], term

    def test_changelist_queries_do_not_grow_with_rows(self, admin_client):
        it = DepartmentFactory()
        AgentFactory(departments=[it])
        few = count_queries(admin_client, admin_url(Agent, "changelist"))
        for _ in range(5):
            AgentFactory(departments=[it, DepartmentFactory()])
        assert count_queries(admin_client, admin_url(Agent, "changelist")) == few

    def test_autocomplete_queries_do_not_grow_with_rows(self, admin_client):
        """Agents are picked by autocomplete on departments and SLA plans."""
        url = reverse("admin:autocomplete")
        params = {"app_label": "accounts", "model_name": "department", "field_name": "manager"}

        AgentFactory()
        few = count_queries(admin_client, url, params)
        for _ in range(5):
            AgentFactory()
        assert count_queries(admin_client, url, params) == few
        assert len(admin_client.get(url, params).json()["results"]) == 6
