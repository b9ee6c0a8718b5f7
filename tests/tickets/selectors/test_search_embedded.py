"""Search in the embedded mode (SQLite, `make run`): no search documents, so the tags are
found by their names. The branch is chosen by the connection's vendor, which these tests
set to SQLite's on whatever database the suite runs."""

from types import SimpleNamespace

import pytest

from tickets.models import Ticket
from tickets.selectors import search, ticket_search_filter, ticket_search_for_agent
from tickets.services import ticket_add_tag


@pytest.fixture
def embedded(monkeypatch):
    monkeypatch.setattr(search, "connection", SimpleNamespace(vendor="sqlite"))


def found(desk, query) -> list[tuple[int, str]]:
    results = ticket_search_for_agent(user=desk.agent.user, query=query)
    return [(r.ticket.number, r.reason) for r in results.results]


def test_a_tag_is_found_by_its_name_in_any_case(desk, embedded):
    tagged = desk.ticket(subject="Laptop fan is very loud")
    desk.ticket(subject="Printer jams")
    ticket_add_tag(ticket=tagged, name="overheating", by=desk.agent.user)

    assert found(desk, "overheating") == [(tagged.number, "tag")]
    assert found(desk, "Overheat") == [(tagged.number, "tag")]


def test_the_subject_still_comes_first(desk, embedded):
    by_subject = desk.ticket(subject="VPN drops every hour")
    by_tag = desk.ticket(subject="Cannot reach the file server")
    ticket_add_tag(ticket=by_tag, name="vpn", by=desk.agent.user)

    assert found(desk, "vpn") == [(by_subject.number, "subject"), (by_tag.number, "tag")]


def test_the_search_as_a_filter_finds_the_tag_too(desk, embedded):
    tagged = desk.ticket(subject="Laptop fan is very loud")
    desk.ticket(subject="Printer jams")
    ticket_add_tag(ticket=tagged, name="overheating", by=desk.agent.user)

    matches = Ticket.objects.filter(ticket_search_filter("overheating"))
    assert list(matches.values_list("number", flat=True)) == [tagged.number]


def test_the_search_page_says_the_tag_matched(desk, embedded, client_for):
    tagged = desk.ticket(subject="Laptop fan is very loud")
    ticket_add_tag(ticket=tagged, name="overheating", by=desk.agent.user)

    page = client_for(desk.agent.user).get("/agent/search/?q=overheating").content.decode()
    assert f"/agent/tickets/{tagged.number}/" in page
    assert '<td class="small">Tag</td>' in page
