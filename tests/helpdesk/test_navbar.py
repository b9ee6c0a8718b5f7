"""The navbar shows agents the way to their workspace; nobody else sees it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories import AgentFactory, DepartmentFactory, UserFactory

LINK = '<a class="nav-link'
LABEL = "Agent workspace</a>"


@pytest.fixture
def agent(db):
    return AgentFactory(departments=[DepartmentFactory()])


def navbar(client, url="/") -> str:
    html = client.get(url).content.decode()
    return html[html.index('<nav class="navbar') : html.index("</nav>")]


def test_agents_see_the_agent_workspace_link(client, agent):
    client.force_login(agent.user)
    nav = navbar(client)
    assert 'href="/agent/">Agent workspace</a>' in nav


def test_superusers_see_it_too(client, db):
    client.force_login(UserFactory(superuser=True))
    assert LABEL in navbar(client)


@pytest.mark.parametrize("who", ["anonymous", "end user", "inactive agent"])
def test_nobody_else_sees_it(client, agent, who):
    if who == "end user":
        client.force_login(UserFactory())
    elif who == "inactive agent":
        agent.is_active = False
        agent.save()
        client.force_login(agent.user)
    assert LABEL not in navbar(client)
    assert LABEL not in navbar(client, "/tickets/new/")


def test_it_is_marked_current_in_the_workspace(client, agent):
    client.force_login(agent.user)
    nav = navbar(client, "/agent/")
    assert 'class="nav-link active" aria-current="page" href="/agent/">Agent workspace' in nav
    assert "active" not in navbar(client).split(LABEL)[0].rsplit(LINK, 1)[1]


def agent_lookups(queries) -> int:
    return sum('"accounts_agent"' in q["sql"] for q in queries)


def test_the_link_costs_at_most_one_query(client, agent):
    client.force_login(agent.user)
    with CaptureQueriesContext(connection) as queries:
        client.get("/tickets/new/")
    assert agent_lookups(queries.captured_queries) <= 1
    # An anonymous page asks nothing about agents at all.
    client.logout()
    with CaptureQueriesContext(connection) as queries:
        client.get("/tickets/new/")
    assert agent_lookups(queries.captured_queries) == 0
