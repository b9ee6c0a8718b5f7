"""Races against a real PostgreSQL, with real threads, each on its own connection."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from tests.support.factories import AgentFactory
from tickets.errors import AlreadyClaimed, InvalidInput
from tickets.models import EventKind, Ticket, TicketEvent, TicketMerge
from tickets.services import ticket_claim, ticket_merge

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and sequences are what is under test: PostgreSQL only")


def _run_together(workers):
    """Start every callable at the same instant on its own thread; return results or errors."""
    barrier = threading.Barrier(len(workers))
    results = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as error:  # the caller inspects what each thread met
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


def test_of_agents_claiming_at_the_same_moment_exactly_one_wins(desk):
    rivals = [desk.agent, desk.manager] + [AgentFactory(departments=[desk.it]) for _ in range(4)]

    for _ in range(10):
        ticket = desk.ticket()
        results = _run_together(
            [
                lambda agent=agent, ticket=ticket: ticket_claim(ticket=ticket, by=agent.user)
                for agent in rivals
            ]
        )

        winners = [r for r in results if isinstance(r, Ticket)]
        losers = [r for r in results if isinstance(r, AlreadyClaimed)]
        assert (len(winners), len(losers)) == (1, len(rivals) - 1), results
        ticket.refresh_from_db()
        assert ticket.assignee == winners[0].assignee
        assert "already claimed by" in losers[0].message
        claimed = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CLAIMED)
        assert claimed.count() == 1


def test_ticket_numbers_stay_unique_under_concurrent_creation(desk):
    threads, per_thread = 8, 25

    def create_many():
        return [desk.ticket(subject=f"Ticket {i}").number for i in range(per_thread)]

    results = _run_together([create_many] * threads)

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = [number for batch in results for number in batch]
    assert len(numbers) == threads * per_thread
    assert Counter(numbers).most_common(1)[0][1] == 1
    assert Ticket.objects.count() == threads * per_thread


def test_of_two_merges_of_the_same_tickets_at_the_same_moment_one_wins(desk):
    by = desk.agent.user
    for _ in range(5):
        a, b = desk.ticket(), desk.ticket()
        # One merges a into b, the other b into a: the stable lock order makes the second
        # wait for the first and then find its target merged away.
        results = _run_together(
            [
                lambda a=a, b=b: ticket_merge(sources=[a], target=b, by=by),
                lambda a=a, b=b: ticket_merge(sources=[b], target=a, by=by),
            ]
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], InvalidInput)
        assert TicketMerge.objects.filter(source__in=[a, b], undone_at__isnull=True).count() == 1

        c, d = desk.ticket(), desk.ticket()
        results = _run_together([lambda c=c, d=d: ticket_merge(sources=[c], target=d, by=by)] * 2)
        assert sum(isinstance(r, InvalidInput) for r in results) == 1, results
        assert TicketMerge.objects.filter(source=c).count() == 1
