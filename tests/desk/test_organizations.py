"""Organizations in the agent workspace (decision 0039): the ticket page shows the
requester's organization and unit with its other open tickets, counting only those the
agent may work; the queue filters by organization; hostile names stay text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import organization_create, user_set_organization
from tests.desk.test_ticket_page import TICKET_PAGE_QUERIES, _ticket_page_queries
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.services import ticket_create, ticket_resolve, ticket_set_pending

pytestmark = pytest.mark.postgres


@pytest.fixture
def office(desk):
    office = organization_create(name="The Office", units=["Sales", "Accounting"])
    user_set_organization(
        user=desk.requester, organization=office, unit=office.units.get(name="Sales")
    )
    user_set_organization(user=desk.other_requester, organization=office)
    return office


def page(client, ticket) -> str:
    response = client.get(f"/agent/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def organization_part(html: str) -> str:
    start = html.index('class="requester-organization')
    return html[start : html.index("</div>", start)]


def test_the_page_shows_the_organization_and_its_other_open_tickets(desk, office, client_for):
    ticket = desk.ticket()
    angela = desk.other_requester
    theirs = desk.ticket(requester=angela, by=angela, subject="Printer jam")
    pending = desk.ticket(requester=angela, by=angela, subject="Waiting on her")
    ticket_set_pending(ticket=pending, by=desk.agent.user)
    done = desk.ticket(requester=angela, by=angela, subject="Solved already")
    ticket_resolve(ticket=done, by=desk.agent.user)
    secret = desk.ticket(
        requester=angela, by=angela, subject="Sales secret", help_topic=None, department=desk.sales
    )
    outsider = UserFactory(display_name="Karen Filippelli")
    stranger = desk.ticket(requester=outsider, by=outsider, subject="Stamford thing")

    part = organization_part(page(client_for(desk.agent.user), ticket))

    assert "The Office" in part and "Sales" in part
    # Open ones only, of the agent's departments only: the Sales ticket is not counted.
    assert "1 other open ticket<" in part
    assert f"#{theirs.number} Printer jam" in part and "Angela Martin" in part
    for hidden in (pending, done, secret, stranger, ticket):
        assert f"#{hidden.number} " not in part
    assert f'href="/agent/?view=open&amp;organization={office.pk}"' in part


def test_a_sales_agent_sees_the_sales_ticket_on_their_side(desk, office, client_for):
    angela = desk.other_requester
    ours = desk.ticket(
        requester=angela, by=angela, subject="Quota", help_topic=None, department=desk.sales
    )
    it_ticket = desk.ticket()
    sales_ticket = desk.ticket(subject="Commission", help_topic=None, department=desk.sales)

    part = organization_part(page(client_for(desk.sales_agent.user), sales_ticket))

    assert f"#{ours.number} Quota" in part and "1 other open ticket<" in part
    assert f"#{it_ticket.number} " not in part


def test_the_count_goes_past_the_links_shown(desk, office, client_for):
    ticket = desk.ticket()
    for i in range(7):
        desk.ticket(subject=f"Another {i}")
    part = organization_part(page(client_for(desk.agent.user), ticket))
    assert "7 other open tickets<" in part
    assert part.count("<li") == 5  # the newest five; "see all" for the rest
    assert "Another 6" in part and "Another 1" not in part


def test_no_other_tickets_says_so(desk, office, client_for):
    part = organization_part(page(client_for(desk.agent.user), desk.ticket()))
    assert "No other open tickets." in part


def test_a_requester_in_no_organization_shows_no_section(desk, client_for):
    html = page(client_for(desk.agent.user), desk.ticket())
    assert "requester-organization" not in html


@pytest.mark.parametrize("rounds", [1, 8])
def test_the_page_costs_one_query_more_for_a_member_whatever_the_tickets(
    desk, office, client_for, django_assert_num_queries, rounds
):
    """_ticket_page_queries opens a ticket of the requester per round: the organization's
    open tickets grow with the rounds, the queries do not."""
    expected = TICKET_PAGE_QUERIES + 1  # + the organization's open tickets, with their count
    _ticket_page_queries(desk, client_for, django_assert_num_queries, rounds, expected)


# The queue ------------------------------------------------------------------------------


def test_the_queue_filters_by_organization(desk, office, client_for):
    angela = desk.other_requester
    desk.ticket(subject="Jim's")
    desk.ticket(requester=angela, by=angela, subject="Angela's")
    outsider = UserFactory(display_name="Karen Filippelli")
    desk.ticket(requester=outsider, by=outsider, subject="Karen's")
    client = client_for(desk.agent.user)

    html = client.get(f"/agent/?view=open&organization={office.pk}").content.decode()

    assert "Jim&#x27;s" in html and "Angela&#x27;s" in html
    assert "Karen&#x27;s" not in html
    assert f'<option value="{office.pk}" selected>The Office</option>' in html
    assert "Karen&#x27;s" in client.get("/agent/?view=open").content.decode()


@pytest.mark.parametrize("value", ["abc", "0", "99999999", "-1", "1e9", ""])
def test_a_bad_organization_in_the_queue_is_dropped_not_a_500(desk, office, client_for, value):
    desk.ticket(subject="Still listed")
    response = client_for(desk.agent.user).get(f"/agent/?view=open&organization={value}")
    assert response.status_code == 200
    assert "Still listed" in response.content.decode()


def test_the_filter_is_offered_only_when_there_are_organizations(desk, client_for):
    html = client_for(desk.agent.user).get("/agent/").content.decode()
    assert 'name="organization"' not in html
    organization_create(name="The Office")
    html = client_for(desk.agent.user).get("/agent/").content.decode()
    assert 'name="organization"' in html and "Any organization" in html


@pytest.mark.parametrize("count", [2, 12])
def test_the_filtered_queue_costs_the_same_for_more_rows(
    desk, office, client_for, django_assert_num_queries, count
):
    for i in range(count):
        desk.ticket(subject=f"Q{i}")
    client = client_for(desk.manager.user)
    client.get(f"/agent/?organization={office.pk}")  # the capped count, cached
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/agent/?organization={office.pk}").status_code == 200
    assert len(queries) == QUEUE_FILTERED_QUERIES, [q["sql"][:120] for q in queries]


# The filtered queue a second time: QUEUE_QUERIES (tests/desk/test_queue.py) less the view
# counts, which come from the cache as the filtered list's count does (+ the tag filter's
# tags, decision 0043; + the page's tags for the Tags column, one prefetch for every row).
QUEUE_FILTERED_QUERIES = 16


def test_the_export_of_the_filtered_queue_has_only_its_tickets(desk, office, client_for):
    desk.ticket(subject="In the office")
    outsider = UserFactory(display_name="Karen Filippelli")
    desk.ticket(requester=outsider, by=outsider, subject="Not in it")
    response = client_for(desk.manager.user).get(
        f"/agent/reports/tickets.csv?view=open&organization={office.pk}"
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "In the office" in body and "Not in it" not in body


# Hostile names ----------------------------------------------------------------------------


def test_hostile_organization_and_unit_names_stay_text(desk, client_for):
    client = client_for(desk.manager.user)
    for i, payload in enumerate(PAYLOADS):
        organization = organization_create(name=f"{i} {payload}"[:128], units=[payload[:128]])
        requester = UserFactory(display_name=f"R{i}")
        user_set_organization(
            user=requester, organization=organization, unit=organization.units.get()
        )
        ticket = ticket_create(
            requester=requester, by=requester, subject=f"T{i}", body="B", help_topic=desk.topic
        )
        ticket_create(
            requester=requester,
            by=requester,
            subject=payload[:255],
            body="B",
            help_topic=desk.topic,
        )
        assert_inert(page(client, ticket))
        assert_inert(client.get(f"/agent/?organization={organization.pk}").content.decode())
    assert_inert(client.get("/agent/").content.decode())
