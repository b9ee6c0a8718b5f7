"""Search: exact number, requester email, ranked full text with partial words, substrings."""

import pytest

from tests.support.factories import UserFactory
from tickets.models import Ticket, TicketSearchDocument
from tickets.search_index import search_documents_create_many
from tickets.selectors import search, ticket_search_filter, ticket_search_for_agent
from tickets.selectors.search import ticket_search_finds_nothing
from tickets.services import ticket_add_note, ticket_reply, ticket_transfer

pytestmark = pytest.mark.postgres


def found(desk, query, user=None) -> list[int]:
    results = ticket_search_for_agent(user=user or desk.agent.user, query=query)
    return [r.ticket.number for r in results.results]


def test_exact_number_with_or_without_hash(desk):
    ticket = desk.ticket()
    desk.ticket(subject=f"Mentions {ticket.number} in the subject")
    assert found(desk, str(ticket.number))[0] == ticket.number
    assert found(desk, f"#{ticket.number}")[0] == ticket.number


def test_requester_email_case_insensitively(desk):
    angela = desk.ticket(requester=desk.other_requester, subject="Monitor")
    desk.ticket(subject="Jim's")
    assert found(desk, desk.other_requester.email.upper()) == [angela.number]


def test_words_in_subject_rank_above_words_in_the_thread(desk):
    in_thread = desk.ticket(subject="Laptop problem", body="The printer next to me is loud.")
    in_subject = desk.ticket(subject="Printer jams", body="Every page.")
    desk.ticket(subject="Unrelated", body="Nothing to see.")
    assert found(desk, "printer") == [in_subject.number, in_thread.number]


def test_notes_and_replies_are_searched_too(desk):
    ticket = desk.ticket(subject="Slow computer")
    ticket_add_note(ticket=ticket, body="Replaced the thermal paste.", by=desk.agent.user)
    ticket_reply(ticket=ticket, body="Your docking station is on its way.", by=desk.agent.user)
    assert found(desk, "thermal") == [ticket.number]
    assert found(desk, "docking station") == [ticket.number]


def test_partial_words_and_word_forms(desk):
    ticket = desk.ticket(subject="My monitor keeps flickering", body="Since Monday.")
    assert found(desk, "flicker") == [ticket.number]
    assert found(desk, "flick") == [ticket.number]
    assert found(desk, "monit flick") == [ticket.number]
    assert found(desk, "flickers") == [ticket.number]


def test_substrings_of_the_subject(desk):
    ticket = desk.ticket(subject="Wireless keyboard HP4050X stopped working")
    assert found(desk, "board") == [ticket.number]
    assert found(desk, "4050") == [ticket.number]


def test_every_word_must_match(desk):
    desk.ticket(subject="Printer jams")
    assert found(desk, "printer monitor") == []


def test_query_syntax_is_not_interpreted(desk):
    desk.ticket(subject="Printer jams")
    for query in ["printer & !", "printer:* | (", "'", "\\", "%", "_", "!!!", "a" * 500, "<>"]:
        ticket_search_for_agent(user=desk.agent.user, query=query)  # no error
    assert found(desk, "printer)(") == found(desk, "printer")


def test_only_the_agents_departments(desk):
    sales = desk.ticket(subject="Quarterly printer budget", help_topic=None, department=desk.sales)
    it = desk.ticket(subject="Printer jams")
    assert found(desk, "printer") == [it.number]
    assert found(desk, str(sales.number)) == []
    assert found(desk, "printer", user=desk.sales_agent.user) == [sales.number]
    assert found(desk, "printer", user=UserFactory()) == []


def _document_department(ticket) -> int | None:
    return TicketSearchDocument.objects.get(ticket=ticket).department_id


def test_a_transferred_ticket_is_found_by_its_new_departments_agents_only(desk):
    """The documents' copy of the department (decision 0050) follows a transfer: the
    search reads the copy, so a stale one would show the ticket to the wrong agents."""
    ticket = desk.ticket(subject="Printer toner order")
    ticket_add_note(ticket=ticket, body="Sales pays for toner.", by=desk.agent.user)
    assert _document_department(ticket) == desk.it.pk
    assert found(desk, "toner") == [ticket.number]
    ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)
    assert _document_department(ticket) == desk.sales.pk
    assert found(desk, "toner") == []
    assert found(desk, "toner", user=desk.sales_agent.user) == [ticket.number]


def test_documents_written_in_bulk_take_their_tickets_department(desk):
    """Whatever writes a document (here the importers' bulk statement, which names no
    department), it carries its ticket's."""
    ticket = desk.ticket(subject="Headset", help_topic=None, department=desk.sales)
    TicketSearchDocument.objects.filter(ticket=ticket).delete()
    search_documents_create_many([(ticket.pk, "Headset crackles", "Left ear only.")])
    assert _document_department(ticket) == desk.sales.pk
    assert found(desk, "crackles", user=desk.sales_agent.user) == [ticket.number]
    assert found(desk, "crackles") == []


# The search as a filter (the API's ticket list) ------------------------------------------


def test_the_filter_finds_what_the_ranked_search_finds(desk):
    pam = UserFactory(email="pam@example.com")
    tickets = [
        desk.ticket(subject="My monitor keeps flickering", body="Since Monday."),
        desk.ticket(subject="Wireless keyboard HP4050X stopped working"),
        desk.ticket(subject="Printer jams", body="Toner on every page.", requester=pam, by=pam),
        desk.ticket(subject="Laptop problem", body="The printer next to me is loud."),
    ]
    ticket_add_note(ticket=tickets[0], body="Replaced the cable.", by=desk.agent.user)
    queries = ["flick", "monit flick", "board", "4050", "printer", "toner", "cable",
               "pam@example.com", str(tickets[1].number), f"#{tickets[2].number}", "nothing",
               "the"]  # fmt: skip
    for query in queries:
        ranked = set(found(desk, query))
        filtered = set(
            Ticket.objects.filter(ticket_search_filter(query)).values_list("number", flat=True)
        )
        assert filtered == ranked, query


@pytest.mark.parametrize("query", ["", "   ", "!!!", "%", "()", "--"])
def test_the_filter_of_nothing_to_search_for_is_none(query):
    assert ticket_search_filter(query) is None
    assert ticket_search_finds_nothing(query)


@pytest.mark.parametrize("query", ["1042", "#7", "pam@example.com", "printer", "a b"])
def test_something_to_search_for_is_seen_without_the_database(query):
    assert not ticket_search_finds_nothing(query)


@pytest.mark.parametrize("limit", [0, 1, 5000])
def test_common_and_rare_words_filter_the_same_tickets(desk, monkeypatch, limit):
    # Up to FILTER_ID_LIMIT matches go to the list as ids, more as a check per ticket:
    # both forms find the same tickets.
    monkeypatch.setattr(search, "FILTER_ID_LIMIT", limit)
    made = [
        desk.ticket(subject="Printer jams", body="Toner everywhere."),
        desk.ticket(subject="Printer offline"),
        desk.ticket(subject="Monitor flickers", body="Next to the printer."),
        desk.ticket(subject="Laptop slow"),
    ]
    for query, expected in [("printer", made[:3]), ("print toner", made[:1]), ("zebra", [])]:
        found_numbers = set(
            Ticket.objects.filter(ticket_search_filter(query)).values_list("number", flat=True)
        )
        assert found_numbers == {t.number for t in expected}, (query, limit)
