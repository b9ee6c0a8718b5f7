"""Imported tickets' search documents hold everything a ticket made here holds: subject,
thread, custom fields and tags, written for the whole batch at once; and
`rebuild_search_index` makes every document again from the rows, in batches."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import SYSTEM
from tickets.fieldvalues import FieldValue
from tickets.models import (
    CustomField,
    EntryKind,
    FieldKind,
    Priority,
    Status,
    Tag,
    TicketFieldValue,
    TicketSearchDocument,
    TicketTag,
)
from tickets.selectors import QueueFilters, ticket_list_for_agent, ticket_search_for_agent
from tickets.services import EntryImport, TicketImport, ticket_add_tag, tickets_import

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AT = datetime.datetime(2025, 6, 2, 9, tzinfo=datetime.UTC)


@pytest.fixture
def asset_tag(db):
    return CustomField.objects.create(name="asset_tag", label="Asset tag", kind=FieldKind.TEXT)


def _item(desk, number, *, subject="Laptop will not start", fields=(), tags=()):
    return TicketImport(
        number=number,
        subject=subject,
        requester_id=desk.requester.pk,
        department_id=desk.it.pk,
        status=Status.OPEN,
        priority=Priority.NORMAL,
        source="web",
        created_at=AT,
        updated_at=AT,
        entries=[EntryImport(kind=EntryKind.MESSAGE, body="It beeps twice.", created_at=AT)],
        fields=list(fields),
        tags=list(tags),
        key=number,
    )


def _import(items):
    return tickets_import(tickets=items, by=SYSTEM, written=[], store_files=False)


def _found(desk, query) -> list[int]:
    """The ticket numbers the desk's search and the queue's text filter find."""
    user = desk.agent.user
    results = ticket_search_for_agent(user=user, query=query).results
    searched = {hit.ticket.number for hit in results}
    page = ticket_list_for_agent(user=user, view="all", filters=QueueFilters(text=query))
    assert {t.number for t in page.tickets} == searched, query
    return sorted(searched)


def _weighed(ticket_id: int, weight: str) -> set[str]:
    """The lexemes of the ticket's document with that weight."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unnest(tsvector_to_array(ts_filter(document, %s))) "
            "FROM tickets_ticketsearchdocument WHERE ticket_id = %s",
            ["{" + weight + "}", ticket_id],
        )
        return {row[0] for row in cursor.fetchall()}


def test_an_imported_tag_and_text_field_are_found_by_search(desk, asset_tag, client_for):
    _import(
        [
            _item(desk, 880001, fields=[FieldValue(asset_tag, "DM-0042")], tags=["legacy-vpn"]),
            _item(desk, 880002, fields=[FieldValue(asset_tag, "DM-7777")], tags=["printer"]),
        ]
    )

    assert TicketFieldValue.objects.get(ticket__number=880001).value_text == "DM-0042"
    assert list(TicketTag.objects.filter(ticket__number=880001).values_list("tag__name")) == [
        ("legacy-vpn",)
    ]
    assert _found(desk, "DM-0042") == [880001]
    assert _found(desk, "0042") == [880001]
    assert _found(desk, "legacy-vpn") == [880001]
    assert _found(desk, "vpn") == [880001]
    assert _found(desk, "beeps") == [880001, 880002]  # the thread, as before
    html = client_for(desk.agent.user).get("/agent/search/", {"q": "legacy vpn"}).content
    assert b"880001" in html and b"880002" not in html


def test_the_documents_weigh_fields_c_and_tags_d_and_a_later_tag_change_keeps_c(desk, asset_tag):
    imported = _import(
        [_item(desk, 880003, fields=[FieldValue(asset_tag, "DM-0042")], tags=["VPN"])]
    )
    ticket_id = imported.tickets[880003]
    assert _weighed(ticket_id, "c") == {"dm", "-0042", "0042"}
    assert _weighed(ticket_id, "d") == {"vpn"}
    assert {"laptop", "start"} <= _weighed(ticket_id, "a")
    assert _weighed(ticket_id, "b") == {"beep", "twice"}

    # The services' tag change rewrites D and keeps what the import wrote in A, B and C.
    ticket = TicketTag.objects.get(ticket_id=ticket_id).ticket
    ticket_add_tag(ticket=ticket, name="outage", by=desk.agent.user)
    assert _weighed(ticket_id, "c") == {"dm", "-0042", "0042"}
    assert _weighed(ticket_id, "d") == {"vpn", "outag"}
    assert _found(desk, "outage") == [ticket.number]
    assert _found(desk, "DM-0042") == [ticket.number]


def test_import_writes_tags_and_fields_in_a_few_queries_whatever_the_tickets(desk, asset_tag):
    Tag.objects.create(name="VPN")  # an existing tag is reused, whatever the case
    counts = []
    for start, count in ((880100, 2), (880200, 20)):
        items = [
            _item(
                desk,
                start + i,
                fields=[FieldValue(asset_tag, f"DM-{start + i}")],
                tags=["vpn", f"batch-{start}", f"t{i}"],
            )
            for i in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            _import(items)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Tag.objects.filter(name__iexact="vpn").count() == 1
    assert TicketTag.objects.filter(tag__name="VPN").count() == 22
    assert _found(desk, "DM-880215") == [880215]


def _rebuild(*args) -> str:
    out = StringIO()
    call_command("rebuild_search_index", *args, stdout=out)
    return out.getvalue()


def test_rebuild_on_an_empty_database_says_so():
    assert _rebuild() == "No tickets: nothing to rebuild.\n"


def test_rebuild_makes_every_document_again_in_batches_and_twice_is_the_same(desk, asset_tag):
    _import(
        [
            _item(desk, 880300 + i, fields=[FieldValue(asset_tag, f"DM-{i}")], tags=[f"t{i}"])
            for i in range(5)
        ]
    )
    made_here = desk.ticket(subject="Monitor flickers")
    ticket_add_tag(ticket=made_here, name="screens", by=desk.agent.user)
    before = dict(TicketSearchDocument.objects.values_list("ticket_id", "document"))
    TicketSearchDocument.objects.all().delete()  # lost, say, in a restore
    assert _found(desk, "screens") == []

    output = _rebuild("--batch", "2")

    lines = output.splitlines()
    assert lines[:3] == [
        f"2/6 tickets, up to id {sorted(before)[1]}",
        f"4/6 tickets, up to id {sorted(before)[3]}",
        f"6/6 tickets, up to id {sorted(before)[5]}",
    ]
    assert lines[3].startswith("Rebuilt 6 search documents in ")
    after = dict(TicketSearchDocument.objects.values_list("ticket_id", "document"))
    assert after == before  # the same documents the services and the import wrote
    assert _found(desk, "screens") == [made_here.number]
    assert _found(desk, "DM-3") == [880303]
    _rebuild("--batch", "4")
    assert dict(TicketSearchDocument.objects.values_list("ticket_id", "document")) == before


def test_rebuild_refuses_a_batch_below_one():
    with pytest.raises(CommandError, match="--batch must be at least 1"):
        _rebuild("--batch", "0")
