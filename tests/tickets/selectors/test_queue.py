"""The queue selector: views, filters, sorts, keyset pages and capped counts."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tickets import selectors
from tickets.models import Priority, SLAState, Status, Ticket
from tickets.selectors import QueueFilters, ticket_list_for_agent
from tickets.services import (
    ticket_set_pending,
    ticket_set_priority,
)

pytestmark = pytest.mark.postgres


def numbers(page) -> list[int]:
    return [t.number for t in page.tickets]


def test_views_hold_what_their_names_say(desk, spread):
    user = desk.agent.user

    def view(name):
        return set(numbers(ticket_list_for_agent(user=user, view=name)))

    n = {k: t.number for k, t in spread.items()}
    assert view("open") == {n["breached"], n["mine"], n["other"]}
    assert view("mine") == {n["mine"]}
    assert view("unassigned") == {n["breached"]}
    assert view("at_risk") == {n["breached"]}
    assert view("pending") == {n["pending"]}
    assert view("done") == {n["resolved"], n["closed"]}
    # Sales' ticket is nowhere for an IT agent, and everywhere it belongs for Sales.
    sales = ticket_list_for_agent(user=desk.sales_agent.user, view="open")
    assert numbers(sales) == [n["sales"]]


def test_default_sort_is_the_next_deadline_first_and_no_deadline_last(desk, spread):
    page = ticket_list_for_agent(user=desk.agent.user, view="open")
    assert numbers(page)[0] == spread["breached"].number
    dues = [t.next_due_at for t in page.tickets]
    assert dues == sorted(dues)


def test_filters(desk, spread):
    user = desk.agent.user
    n = {k: t.number for k, t in spread.items()}
    ticket_set_priority(ticket=spread["other"], priority=Priority.URGENT, by=user)

    def listed(**filters):
        return set(
            numbers(ticket_list_for_agent(user=user, view="open", filters=QueueFilters(**filters)))
        )

    assert listed(priority=Priority.URGENT) == {n["other"]}
    assert listed(assignee=str(desk.agent.pk)) == {n["mine"]}
    assert listed(assignee="none") == {n["breached"]}
    assert listed(sla_state=SLAState.BREACHED) == {n["breached"]}
    assert listed(help_topic=desk.topic.pk) == {n["breached"], n["mine"], n["other"]}
    assert listed(department=desk.sales.pk) == set()  # not theirs: ignored, not shown
    assert listed(status=Status.PENDING) == set()  # not in the Open view
    done = ticket_list_for_agent(user=user, view="done", filters=QueueFilters(status="closed"))
    assert numbers(done) == [n["closed"]]


@pytest.mark.parametrize("sort", ["due", "priority", "updated", "created"])
def test_keyset_pages_walk_the_whole_list_forwards_and_back(desk, sort):
    user = desk.manager.user
    start = timezone.now() - dt.timedelta(hours=2)
    for i in range(11):
        with time_machine.travel(start + dt.timedelta(minutes=i % 4), tick=False):
            ticket = desk.ticket(subject=f"Ticket {i}")
            if i % 3 == 0:
                ticket_set_priority(ticket=ticket, priority=Priority.URGENT, by=user)
            if i % 5 == 0:
                ticket_set_pending(ticket=ticket, by=user)  # no running deadline
    # Two departments: the merge across index ranges is part of what is tested.
    desk.manager.memberships.create(department=desk.sales)
    for i in range(3):
        desk.ticket(subject=f"Sales {i}", help_topic=None, department=desk.sales)

    def walk(view):
        pages, cursor = [], None
        while True:
            page = ticket_list_for_agent(
                user=user, view=view, sort=sort, after=cursor, page_size=4
            )
            pages.append(numbers(page))
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        back, cursor = [], page.prev_cursor
        while cursor:
            page = ticket_list_for_agent(
                user=user, view=view, sort=sort, before=cursor, page_size=4
            )
            back.insert(0, numbers(page))
            cursor = page.prev_cursor
        return pages, back

    for view in ("open", "pending"):
        pages, back = walk(view)
        flat = [n for page in pages for n in page]
        expected = Ticket.objects.filter(status=view).order_by(*EXPECTED_ORDER[sort])
        assert flat == [t.number for t in expected], (view, sort)
        assert back == pages[:-1]
        assert all(len(p) == 4 for p in pages[:-1])


EXPECTED_ORDER = {
    "due": [
        selectors_due := __import__("tickets.models", fromlist=["DUE_KEY"]).DUE_KEY.asc(),
        "id",
    ],
    "priority": ["-priority", selectors_due, "id"],
    "updated": ["-updated_at", "-id"],
    "created": ["-created_at", "-id"],
}


def test_a_malformed_cursor_means_page_one(desk, spread):
    first = ticket_list_for_agent(user=desk.agent.user, view="open")
    for junk in ["x", "e30", "WzEsMl0", "W251bGwsIDFd", "!!"]:
        assert numbers(
            ticket_list_for_agent(user=desk.agent.user, view="open", after=junk)
        ) == numbers(first)


def test_counts_are_capped_and_cached(desk, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors.queue, "COUNT_CAP", 3)
    for i in range(5):
        desk.ticket(subject=f"T{i}")
    user = desk.agent.user
    counts = selectors.queue_view_counts(user=user)
    assert counts["open"] == 4  # the cap plus one: shown as "3+"
    assert counts["pending"] == 0
    with django_assert_num_queries(0):
        selectors.queue_view_counts(user=user)
