"""The queue page: capped counts shown, constant queries, htmx refreshes, columns."""

import pytest

from tickets import selectors
from tickets.models import Tag
from tickets.services import ticket_add_tag, ticket_claim

pytestmark = pytest.mark.postgres


def test_count_shows_as_capped_in_the_page(desk, client_for, monkeypatch):
    monkeypatch.setattr(selectors.queue, "COUNT_CAP", 2)
    for i in range(4):
        desk.ticket(subject=f"T{i}")
    html = client_for(desk.agent.user).get("/agent/").content.decode()
    assert "2+ tickets" in html


def test_the_filtered_count_agrees_with_its_number(desk, client_for):
    one = desk.ticket(subject="Laptop fan is very loud")
    ticket_add_tag(ticket=one, name="overheating", by=desk.agent.user)
    for subject in ("VPN drops", "VPN is slow"):
        ticket_add_tag(ticket=desk.ticket(subject=subject), name="vpn", by=desk.agent.user)
    tags = dict(Tag.objects.values_list("name", "pk"))
    client = client_for(desk.agent.user)

    html = client.get(f"/agent/?tag={tags['overheating']}").content.decode()
    assert "1 ticket matches these filters" in html
    html = client.get(f"/agent/?tag={tags['vpn']}").content.decode()
    assert "2 tickets match these filters" in html


def _queue_queries(desk, client_for, django_assert_num_queries, count: int, expected: int):
    for i in range(count):
        ticket = desk.ticket(subject=f"Q{i}")
        if i % 2:
            ticket_claim(ticket=ticket, by=desk.agent.user)
        for name in ("vpn", f"tag-{i % 3}"):  # every row shows tags: still one query
            ticket_add_tag(ticket=ticket, name=name, by=desk.agent.user)
    client = client_for(desk.manager.user)
    with django_assert_num_queries(expected):
        response = client.get("/agent/?sort=priority")
    assert response.status_code == 200


# Session, user, agent, memberships, departments, filter agents and topics, managed
# departments, view counts (the unfiltered list count among them), page keys, page rows;
# the user's and their groups' permissions (the desk's "API keys" link); the custom choice
# fields to filter and sort by; the page's tags (the Tags column: one prefetch for every
# row of the page, never one per row).
QUEUE_QUERIES = 17  # + organizations (the filter's choices); + tags (the tag filter's tags)


@pytest.mark.parametrize("count", [2, 20])
def test_queue_queries_do_not_grow_with_rows(desk, client_for, django_assert_num_queries, count):
    _queue_queries(desk, client_for, django_assert_num_queries, count, QUEUE_QUERIES)


def test_htmx_refresh_renders_only_the_results(desk, client_for):
    desk.ticket(subject="Partial")
    response = client_for(desk.agent.user).get("/agent/?view=open", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-results"')
    assert "<html" not in html
    assert "Partial" in html


def test_queue_page_shows_columns_and_sla_colours(desk, spread, client_for):
    html = client_for(desk.agent.user).get("/agent/").content.decode()
    assert "sla sla-breached" in html
    assert "\u2212" in html  # negative time left for the breached ticket
    for column in [
        "Subject",
        "Requester",
        "Department",
        "Assignee",
        "Priority",
        "Status",
        "Time left",
        "Updated",
    ]:
        assert f">{column}</th>" in html
    assert "Ryan Howard" in html and "Jim Halpert" in html
