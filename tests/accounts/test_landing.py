"""Where people land after logging in: agents in their workspace, end users on their
tickets, anyone on a `next` of this site if they came with one."""

import pytest

from tests.support.factories import AgentFactory, DepartmentFactory, UserFactory

PASSWORD = "a-long-enough-password-42"


@pytest.fixture
def agent(db):
    return AgentFactory(
        user__email="ryan@example.com", user__password=PASSWORD, departments=[DepartmentFactory()]
    )


def log_in(client, email, next_url=None):
    data = {"username": email, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def test_an_agent_lands_in_the_agent_workspace(client, agent):
    response = log_in(client, "ryan@example.com")
    assert response.status_code == 302 and response["Location"] == "/agent/"


def test_a_superuser_lands_in_the_agent_workspace(client, db):
    UserFactory(email="admin@example.com", password=PASSWORD, superuser=True)
    assert log_in(client, "admin@example.com")["Location"] == "/agent/"


def test_an_end_user_lands_on_their_tickets(client, db):
    UserFactory(email="jim@example.com", password=PASSWORD)
    assert log_in(client, "jim@example.com")["Location"] == "/tickets/"


def test_an_inactive_agent_lands_where_end_users_do(client, agent):
    agent.is_active = False
    agent.save()
    assert log_in(client, "ryan@example.com")["Location"] == "/tickets/"


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/tickets/new/", "/tickets/new/"),
        ("/agent/search/?q=crm", "/agent/search/?q=crm"),
        ("https://evil.example/", "/agent/"),
        ("//evil.example/", "/agent/"),
        ("/\\evil.example", "/agent/"),
        ("javascript:alert(1)", "/agent/"),
    ],
)
def test_a_safe_next_wins_over_the_agents_landing(client, agent, next_url, expected):
    response = log_in(client, "ryan@example.com", next_url)
    assert response.status_code == 302 and response["Location"] == expected


def test_the_login_page_sends_a_logged_in_agent_to_the_workspace(client, agent):
    client.force_login(agent.user)
    response = client.get("/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/agent/"
