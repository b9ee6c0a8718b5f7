"""Tags in the domain: made on the fly, one tag whatever the case, added and removed by
agents of the ticket's department with their events, found by search (and no longer once
removed), the queue's filter, bulk, and an admin's merge."""

import pytest
from django.db import IntegrityError, transaction

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EventKind, Tag, TicketEvent, TicketTag
from tickets.selectors import (
    QueueFilters,
    ticket_list_for_agent,
    ticket_search_for_agent,
    ticket_tags,
)
from tickets.selectors.search import ticket_search_filter
from tickets.services import (
    MAX_TAGS_PER_TICKET,
    tag_clean_name,
    tag_rename,
    tags_delete,
    tags_merge,
    ticket_add_tag,
    ticket_bulk_apply,
    ticket_close,
    ticket_remove_tag,
)
from tickets.services.tags import (
    MERGE_NOT_PERMITTED,
    TAG_BAD_CHARACTER,
    TAG_EMPTY,
    TAG_NOT_ON_TICKET,
    TAG_TOO_LONG,
    TOO_MANY_TAGS,
)

pytestmark = pytest.mark.django_db


def _events(ticket, kind):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("id"))


def _numbers(user, **filters):
    page = ticket_list_for_agent(user=user, view="all", filters=QueueFilters(**filters))
    return {t.number for t in page.tickets}


def test_an_agent_tags_a_ticket_and_the_tag_is_made_on_the_fly(desk):
    ticket = desk.ticket()
    tag = ticket_add_tag(ticket=ticket, name="  VPN  ", by=desk.agent.user)
    assert tag.name == "VPN"
    assert tag.created_by == desk.agent.user
    assert [t.name for t in ticket_tags(ticket=ticket)] == ["VPN"]
    (event,) = _events(ticket, EventKind.TAG_ADDED)
    assert event.actor == desk.agent.user
    assert event.data == {"to": {"id": tag.pk, "name": "VPN"}}


def test_tags_are_one_whatever_the_case(desk):
    first, second = desk.ticket(), desk.ticket()
    vpn = ticket_add_tag(ticket=first, name="VPN", by=desk.agent.user)
    again = ticket_add_tag(ticket=second, name="vpn", by=desk.agent.user)
    assert again.pk == vpn.pk and again.name == "VPN"  # the first spelling stays
    assert Tag.objects.count() == 1
    # On the same ticket in another case: nothing changes, no second event.
    ticket_add_tag(ticket=first, name="Vpn", by=desk.agent.user)
    assert TicketTag.objects.filter(ticket=first).count() == 1
    assert len(_events(first, EventKind.TAG_ADDED)) == 1


def test_the_database_refuses_a_second_tag_differing_only_in_case(desk):
    Tag.objects.create(name="Printer")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="PRINTER")


def test_removing_a_tag_records_its_event(desk):
    ticket = desk.ticket()
    tag = ticket_add_tag(ticket=ticket, name="printer", by=desk.agent.user)
    ticket_remove_tag(ticket=ticket, name="PRINTER", by=desk.manager.user)
    assert ticket_tags(ticket=ticket) == []
    (event,) = _events(ticket, EventKind.TAG_REMOVED)
    assert event.data == {"from": {"id": tag.pk, "name": "printer"}}
    assert Tag.objects.filter(pk=tag.pk).exists()  # the tag stays for other tickets
    with pytest.raises(InvalidInput, match=TAG_NOT_ON_TICKET):
        ticket_remove_tag(ticket=ticket, name="printer", by=desk.agent.user)


def test_only_agents_of_the_department_tag(desk):
    ticket = desk.ticket()
    for person in (desk.sales_agent.user, desk.requester, UserFactory(), None):
        with pytest.raises(NotPermitted):
            ticket_add_tag(ticket=ticket, name="vpn", by=person)
    assert not Tag.objects.exists()  # refused before anything was made
    ticket_add_tag(ticket=ticket, name="vpn", by=desk.agent.user)
    with pytest.raises(NotPermitted):
        ticket_remove_tag(ticket=ticket, name="vpn", by=desk.sales_agent.user)
    assert ticket_tags(ticket=ticket)


def test_a_closed_ticket_can_still_be_tagged(desk):
    ticket = desk.ticket()
    ticket_close(ticket=ticket, by=desk.agent.user)
    ticket_add_tag(ticket=ticket, name="post-mortem", by=desk.agent.user)
    assert [t.name for t in ticket_tags(ticket=ticket)] == ["post-mortem"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", TAG_EMPTY),
        ("   ", TAG_EMPTY),
        ("x" * 51, TAG_TOO_LONG),
        ("line\nbreak", TAG_BAD_CHARACTER),
        ("nul\x00", TAG_BAD_CHARACTER),
        ("tab\there", TAG_BAD_CHARACTER),
        ("rtl\u202eoverride", TAG_BAD_CHARACTER),
        ("zero\u200bwidth", TAG_BAD_CHARACTER),
    ],
)
def test_tag_names_are_checked(desk, name, message):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput) as error:
        ticket_add_tag(ticket=ticket, name=name, by=desk.agent.user)
    assert error.value.message == message
    assert not Tag.objects.exists()


def test_inner_spaces_are_one(desk):
    assert tag_clean_name("  new   hire\u00a0laptop ") == "new hire laptop"
    assert tag_clean_name("x" * 50) == "x" * 50


def test_a_ticket_has_a_bounded_number_of_tags(desk):
    ticket = desk.ticket()
    for n in range(MAX_TAGS_PER_TICKET):
        ticket_add_tag(ticket=ticket, name=f"t{n}", by=desk.agent.user)
    with pytest.raises(InvalidInput, match=TOO_MANY_TAGS):
        ticket_add_tag(ticket=ticket, name="one more", by=desk.agent.user)


def test_hostile_tags_are_stored_as_typed(desk):
    ticket = desk.ticket()
    stored = 0
    for payload in PAYLOADS[:40]:
        try:
            name = tag_clean_name(payload)
        except InvalidInput:
            continue
        other = desk.ticket()
        tag = ticket_add_tag(ticket=other, name=payload, by=desk.agent.user)
        assert tag.name.lower() == name.lower()
        stored += 1
    assert stored > 10
    assert ticket_tags(ticket=ticket) == []


@pytest.mark.postgres
def test_search_finds_a_ticket_by_its_tag_until_it_is_removed(desk):
    ticket = desk.ticket(subject="Laptop", body="Screen is dark.")
    other = desk.ticket(subject="Printer", body="Out of toner.")
    ticket_add_tag(ticket=ticket, name="Hardware-Refresh", by=desk.agent.user)

    def found(query):
        results = ticket_search_for_agent(user=desk.agent.user, query=query)
        return {r.ticket.number for r in results.results}

    assert found("hardware-refresh") == {ticket.number}
    assert found("refresh") == {ticket.number}
    # The filter form (the API's q) finds it too.
    assert _numbers(desk.agent.user, text="refresh") == {ticket.number}
    assert ticket_search_filter("refresh") is not None
    ticket_remove_tag(ticket=ticket, name="hardware-refresh", by=desk.agent.user)
    assert found("refresh") == set()
    # The subject and thread are untouched by the tags' rewrite.
    assert found("laptop") == {ticket.number}
    assert found("screen") == {ticket.number}
    assert found("toner") == {other.number}


@pytest.mark.postgres
def test_a_tag_word_also_in_the_thread_stays_findable_after_removal(desk):
    ticket = desk.ticket(subject="VPN drops", body="Every hour.")
    ticket_add_tag(ticket=ticket, name="vpn", by=desk.agent.user)
    ticket_remove_tag(ticket=ticket, name="vpn", by=desk.agent.user)
    results = ticket_search_for_agent(user=desk.agent.user, query="vpn")
    assert [r.ticket.number for r in results.results] == [ticket.number]


def test_the_queue_filters_by_tag_by_id_and_by_name(desk):
    tagged, untagged = desk.ticket(), desk.ticket()
    tag = ticket_add_tag(ticket=tagged, name="VPN", by=desk.agent.user)
    assert _numbers(desk.agent.user, tag=tag.pk) == {tagged.number}
    assert _numbers(desk.agent.user, tag="vpn") == {tagged.number}
    assert _numbers(desk.agent.user, tag="no such tag") == set()
    assert untagged.number in _numbers(desk.agent.user)


def test_bulk_adds_and_removes_a_tag(desk):
    mine = [desk.ticket(), desk.ticket()]
    theirs = desk.ticket(department=desk.sales)
    numbers = [t.number for t in mine] + [theirs.number]
    outcome = ticket_bulk_apply(
        numbers=numbers, action="add-tag", tag="Outage", by=desk.agent.user
    )
    assert outcome.done == [t.number for t in mine]
    assert outcome.failed == [(theirs.number, "No such ticket.")]
    assert all(ticket_tags(ticket=t)[0].name == "Outage" for t in mine)
    assert ticket_tags(ticket=theirs) == []

    outcome = ticket_bulk_apply(
        numbers=[mine[0].number], action="remove-tag", tag="outage", by=desk.agent.user
    )
    assert outcome.done == [mine[0].number]
    assert ticket_tags(ticket=mine[0]) == []
    outcome = ticket_bulk_apply(
        numbers=[mine[0].number], action="remove-tag", tag="outage", by=desk.agent.user
    )
    assert outcome.failed == [(mine[0].number, TAG_NOT_ON_TICKET)]


def test_bulk_refuses_a_bad_tag_once(desk):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput, match=TAG_EMPTY):
        ticket_bulk_apply(numbers=[ticket.number], action="add-tag", tag="", by=desk.agent.user)
    with pytest.raises(InvalidInput, match=TAG_BAD_CHARACTER):
        ticket_bulk_apply(
            numbers=[ticket.number], action="add-tag", tag="a\nb", by=desk.agent.user
        )


def _admin():
    return UserFactory(is_staff=True, is_superuser=True)


def test_merge_moves_the_tickets_to_the_target_and_deletes_the_others(desk):
    a, b, both = desk.ticket(), desk.ticket(), desk.ticket()
    vpn = ticket_add_tag(ticket=a, name="VPN", by=desk.agent.user)
    ticket_add_tag(ticket=both, name="VPN", by=desk.agent.user)
    vpn2 = ticket_add_tag(ticket=b, name="vpn-access", by=desk.agent.user)
    ticket_add_tag(ticket=both, name="vpn-access", by=desk.agent.user)
    remote = ticket_add_tag(ticket=both, name="remote", by=desk.agent.user)
    admin = _admin()

    changed = tags_merge(target=vpn, sources=[vpn2, remote, vpn], by=admin)

    assert changed == 2  # b and both; a had only the target
    assert set(Tag.objects.values_list("name", flat=True)) == {"VPN"}
    for ticket in (a, b, both):
        assert [t.name for t in ticket_tags(ticket=ticket)] == ["VPN"]
    added = _events(b, EventKind.TAG_ADDED)[-1]
    assert added.actor == admin
    assert added.data == {
        "to": {"id": vpn.pk, "name": "VPN"},
        "merged_from": {"id": vpn2.pk, "name": "vpn-access"},
    }
    removed = _events(both, EventKind.TAG_REMOVED)
    assert {e.data["from"]["name"] for e in removed} == {"vpn-access", "remote"}
    assert all(e.data["merged_into"]["id"] == vpn.pk for e in removed)
    # "both" had the target already: no second tag_added for it.
    assert len(_events(both, EventKind.TAG_ADDED)) == 3  # its own three adds


@pytest.mark.postgres
def test_merged_tickets_are_found_by_the_target_and_no_longer_by_the_source(desk):
    ticket = desk.ticket(subject="Cannot connect", body="From home.")
    target = Tag.objects.create(name="remote-work")
    source = ticket_add_tag(ticket=ticket, name="wfh", by=desk.agent.user)
    tags_merge(target=target, sources=[source], by=_admin())
    results = ticket_search_for_agent(user=desk.agent.user, query="wfh")
    assert results.results == []
    results = ticket_search_for_agent(user=desk.agent.user, query="remote")
    assert [r.ticket.number for r in results.results] == [ticket.number]


def test_only_admins_who_may_manage_tags_merge(desk):
    ticket = desk.ticket()
    target = ticket_add_tag(ticket=ticket, name="a", by=desk.agent.user)
    source = Tag.objects.create(name="b")
    for person in (desk.manager.user, UserFactory(is_staff=True), SYSTEM, None):
        with pytest.raises(NotPermitted, match=MERGE_NOT_PERMITTED):
            tags_merge(target=target, sources=[source], by=person)
    assert Tag.objects.count() == 2
    with pytest.raises(InvalidInput):
        tags_merge(target=target, sources=[target], by=_admin())


def test_a_merge_that_fails_changes_nothing(desk, monkeypatch):
    ticket = desk.ticket()
    target = Tag.objects.create(name="target")
    source = ticket_add_tag(ticket=ticket, name="source", by=desk.agent.user)

    def boom(**kwargs):
        raise RuntimeError("search is down")

    monkeypatch.setattr("tickets.services.tags.search_document_set_tags", boom)
    with pytest.raises(RuntimeError):
        tags_merge(target=target, sources=[source], by=_admin())
    assert [t.name for t in ticket_tags(ticket=ticket)] == ["source"]
    assert Tag.objects.count() == 2
    assert not _events(ticket, EventKind.TAG_REMOVED)


@pytest.mark.postgres
def test_a_renamed_tag_finds_its_tickets_by_the_new_name(desk):
    ticket = desk.ticket(subject="Cannot print", body="Tray 2.")
    tag = ticket_add_tag(ticket=ticket, name="prnter", by=desk.agent.user)
    tag_rename(tag=tag, name="Printer", by=_admin())

    def found(query):
        results = ticket_search_for_agent(user=desk.agent.user, query=query)
        return [r.ticket.number for r in results.results]

    assert found("prnter") == []
    assert found("printer") == [ticket.number]
    with pytest.raises(NotPermitted):
        tag_rename(tag=tag, name="x", by=desk.agent.user)
    other = Tag.objects.create(name="toner")
    with pytest.raises(InvalidInput, match="merge the two"):
        tag_rename(tag=other, name="PRINTER", by=_admin())


@pytest.mark.postgres
def test_a_deleted_tag_is_removed_from_its_tickets_and_their_search(desk):
    ticket = desk.ticket(subject="Cannot print", body="Tray 2.")
    tag = ticket_add_tag(ticket=ticket, name="urgentish", by=desk.agent.user)
    assert tags_delete(tags=[tag], by=_admin()) == 1
    assert ticket_tags(ticket=ticket) == []
    (event,) = _events(ticket, EventKind.TAG_REMOVED)
    assert event.data == {"from": {"id": tag.pk, "name": "urgentish"}}
    assert ticket_search_for_agent(user=desk.agent.user, query="urgentish").results == []
    with pytest.raises(NotPermitted):
        tags_delete(tags=[Tag.objects.create(name="x")], by=desk.manager.user)
