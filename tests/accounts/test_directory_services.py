"""The services the company directory's sign-in writes through (accounts/services.py):
leaving a department, deactivating an agent, and mirroring the directory's roles."""

import pytest

from accounts.models import Agent, DepartmentMembership, User
from accounts.services import (
    agent_leave_department,
    agent_mirror_directory_roles,
    agent_set_active,
    department_set_manager,
    user_create,
    user_sign_in_from_directory,
)

pytestmark = pytest.mark.django_db

Role = DepartmentMembership.Role


def roles_of(agent):
    return {m.department.name: m.role for m in agent.memberships.select_related("department")}


class TestAgentLeaveDepartment:
    def test_the_agent_leaves_and_stops_receiving_escalations(self, desk):
        agent_leave_department(agent=desk.manager, department=desk.it)

        desk.it.refresh_from_db()
        assert roles_of(desk.manager) == {}
        assert desk.it.manager is None

    def test_leaving_a_department_one_is_not_in_changes_nothing(self, desk):
        agent_leave_department(agent=desk.agent, department=desk.sales)

        assert roles_of(desk.agent) == {"IT": "agent"}


def test_agent_set_active(desk):
    agent_set_active(agent=desk.agent, is_active=False)

    assert not Agent.objects.get(pk=desk.agent.pk).is_active


class TestAgentMirrorDirectoryRoles:
    def test_a_user_given_a_role_becomes_an_agent(self, desk):
        user = user_create(email="new@example.com")

        agent = agent_mirror_directory_roles(
            user=user, roles={desk.it: Role.MANAGER}, managed=[desk.it, desk.sales]
        )

        assert roles_of(agent) == {"IT": "manager"}

    def test_a_user_given_no_role_stays_a_requester(self, desk):
        user = user_create(email="new@example.com")

        assert agent_mirror_directory_roles(user=user, roles={}, managed=[desk.it]) is None
        assert not Agent.objects.filter(user=user).exists()

    def test_roles_in_managed_departments_become_exactly_the_directorys(self, desk):
        agent_mirror_directory_roles(
            user=desk.agent.user, roles={desk.sales: Role.AGENT}, managed=[desk.it, desk.sales]
        )

        assert roles_of(desk.agent) == {"Sales": "agent"}

    def test_a_department_the_directory_does_not_manage_is_kept(self, desk):
        agent_mirror_directory_roles(
            user=desk.agent.user, roles={desk.sales: Role.AGENT}, managed=[desk.sales]
        )

        assert roles_of(desk.agent) == {"IT": "agent", "Sales": "agent"}

    def test_a_demoted_manager_stops_receiving_escalations(self, desk):
        agent_mirror_directory_roles(
            user=desk.manager.user, roles={desk.it: Role.AGENT}, managed=[desk.it]
        )

        desk.it.refresh_from_db()
        assert roles_of(desk.manager) == {"IT": "agent"}
        assert desk.it.manager is None

    def test_a_manager_the_directory_keeps_still_receives_them(self, desk):
        department_set_manager(department=desk.it, manager=desk.manager)

        agent_mirror_directory_roles(
            user=desk.manager.user, roles={desk.it: Role.MANAGER}, managed=[desk.it]
        )

        desk.it.refresh_from_db()
        assert desk.it.manager == desk.manager

    def test_an_agent_left_with_no_department_is_deactivated_and_comes_back(self, desk):
        agent = agent_mirror_directory_roles(user=desk.agent.user, roles={}, managed=[desk.it])
        assert not agent.is_active

        agent = agent_mirror_directory_roles(
            user=desk.agent.user, roles={desk.it: Role.AGENT}, managed=[desk.it]
        )
        assert agent.is_active

    def test_an_unknown_role_is_refused(self, desk):
        with pytest.raises(Exception, match="not a department role"):
            agent_mirror_directory_roles(
                user=desk.agent.user, roles={desk.it: "boss"}, managed=[desk.it]
            )


class TestUserSignInFromDirectory:
    def test_a_new_person_gets_a_user_without_a_password(self, desk):
        user = user_sign_in_from_directory(
            email="Pam.Beesly@Example.com",
            display_name="Pam Beesly",
            time_zone="Europe/Paris",
            roles={},
            managed=[],
        )

        assert user.email == "pam.beesly@example.com"
        assert user.time_zone == "Europe/Paris"
        assert not user.has_usable_password()

    def test_an_existing_user_is_brought_up_to_date_and_keeps_their_password(self, desk):
        user = user_create(email="pam@example.com", display_name="Pam", password="local-pw-1")

        user_sign_in_from_directory(
            email="PAM@example.com",
            display_name="Pam Halpert",
            time_zone="America/Chicago",
            roles={},
            managed=[],
        )

        user = User.objects.get(pk=user.pk)
        assert (user.display_name, user.time_zone) == ("Pam Halpert", "America/Chicago")
        assert user.check_password("local-pw-1")

    def test_what_the_directory_leaves_empty_or_gets_wrong_is_kept(self, desk):
        user = user_create(email="pam@example.com", display_name="Pam", time_zone="Asia/Tokyo")

        user_sign_in_from_directory(
            email="pam@example.com", display_name=" ", time_zone="Mars/Olympus", roles={},
            managed=[],
        )  # fmt: skip

        user = User.objects.get(pk=user.pk)
        assert (user.display_name, user.time_zone) == ("Pam", "Asia/Tokyo")
