"""The fan-out: a delivery per subscribed endpoint for each event, written with the event,
with a small, frozen body; and nothing at all (not even a query) without endpoints."""

import datetime as dt
import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.support.factories import DepartmentFactory
from tickets.clocks import sla_sweep
from tickets.models import EventKind, Priority
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_assign,
    ticket_claim,
    ticket_link,
    ticket_merge,
    ticket_merge_undo,
    ticket_reply,
    ticket_resolve,
    ticket_set_priority,
    ticket_transfer,
)
from webhooks.models import EventType, WebhookDelivery
from webhooks.payloads import MAX_BODY_BYTES
from webhooks.services import webhook_endpoint_settings_check, webhook_endpoint_update

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def deliveries(endpoint=None):
    rows = WebhookDelivery.objects.order_by("id")
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    return rows


def types(endpoint=None):
    return list(deliveries(endpoint).values_list("event_type", flat=True))


def body(delivery):
    return json.loads(delivery.payload)


def test_a_new_ticket_is_one_delivery_with_the_tickets_facts(desk, make_endpoint, settings):
    settings.SITE_URL = "https://help.example.com"
    endpoint, _ = make_endpoint()
    with time_machine.travel(START, tick=False):
        ticket = desk.ticket()

    [delivery] = deliveries()
    assert (delivery.endpoint, delivery.event_type, delivery.state) == (
        endpoint,
        "ticket.created",
        WebhookDelivery.State.PENDING,
    )
    assert delivery.webhook_id.startswith("msg_") and len(delivery.webhook_id) == 30
    assert delivery.next_attempt_at == START
    payload = body(delivery)
    assert payload["type"] == "ticket.created"
    assert payload["timestamp"] == "2026-03-02T10:00:00Z"
    assert payload["data"]["ticket"] == {
        "id": ticket.pk,
        "number": ticket.number,
        "url": f"https://help.example.com/agent/tickets/{ticket.number}/",
        "subject": "CRM is down",
        "status": "open",
        "priority": {"id": 3, "name": "High"},
        "department_id": desk.it.pk,
        "assignee_id": None,
        "updated_at": "2026-03-02T10:00:00Z",
    }
    assert payload["data"]["changes"] == {
        "status": {"old": None, "new": {"id": "open", "name": "Open"}}
    }
    assert payload["data"]["event"]["kind"] == "created"
    assert payload["data"]["event"]["actor_id"] == desk.requester.pk


def test_changes_carry_old_and_new_from_the_events_data(desk, make_endpoint):
    make_endpoint()
    ticket = desk.ticket()
    manager = desk.manager.user
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        ticket_assign(ticket=ticket, agent=desk.agent, by=manager)
        ticket_set_priority(ticket=ticket, priority=Priority.URGENT, by=manager)
        ticket_resolve(ticket=ticket, by=manager)

    later = {d.event_type: body(d) for d in deliveries()[1:]}
    assert sorted(later) == ["ticket.assigned", "ticket.status_changed", "ticket.updated"]
    assert later["ticket.assigned"]["data"]["changes"] == {
        "assignee": {"old": None, "new": {"id": desk.agent.pk, "name": "Ryan Howard"}}
    }
    assert later["ticket.updated"]["data"]["changes"] == {
        "priority": {"old": {"id": 3, "name": "High"}, "new": {"id": 4, "name": "Urgent"}}
    }
    assert later["ticket.status_changed"]["data"]["changes"] == {
        "status": {
            "old": {"id": "open", "name": "Open"},
            "new": {"id": "resolved", "name": "Resolved"},
        }
    }
    # What the ticket is after the change, with the time a consumer compares against.
    resolved = later["ticket.status_changed"]["data"]["ticket"]
    assert (resolved["status"], resolved["assignee_id"], resolved["priority"]["id"]) == (
        "resolved",
        desk.agent.pk,
        4,
    )
    assert resolved["updated_at"] == "2026-03-02T11:00:00Z"


def test_each_kind_maps_to_its_type(desk, make_endpoint):
    make_endpoint(include_notes=True)
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=desk.agent.user)
    ticket_add_note(ticket=ticket, body="Checked the server.", by=desk.agent.user)
    ticket_reply(ticket=ticket, body="It is back.", by=desk.agent.user)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    ticket_add_message(ticket=ticket, body="Down again!", by=desk.requester)

    assert types() == [
        "ticket.created",
        "ticket.assigned",  # claimed
        "ticket.note.created",
        "ticket.reply.created",
        "ticket.status_changed",  # resolved
        "ticket.message.created",
        "ticket.status_changed",  # reopened by the message
    ]


def test_entries_carry_an_excerpt_never_the_whole_text(desk, make_endpoint):
    make_endpoint()
    ticket = desk.ticket()
    long_text = "The CRM shows an error. " * 4000  # 96,000 characters
    ticket_reply(ticket=ticket, body=long_text, by=desk.agent.user)

    delivery = deliveries().get(event_type="ticket.reply.created")
    assert len(delivery.payload.encode()) < MAX_BODY_BYTES
    entry = body(delivery)["data"]["entry"]
    assert entry["excerpt"].startswith("The CRM shows an error.")
    assert len(entry["excerpt"]) <= 500
    assert (entry["length"], entry["truncated"], entry["kind"]) == (
        len(long_text.strip()),
        True,
        "reply",
    )
    assert entry["author"] == {"id": desk.agent.user.pk, "name": "Ryan Howard"}


def test_every_body_stays_under_20_kb_whatever_was_typed(desk, make_endpoint):
    make_endpoint()
    ticket = desk.ticket(subject="Ж" * 255, body="ü" * 99_000)
    ticket_add_message(ticket=ticket, body="😀" * 99_000, by=desk.requester)

    assert deliveries().count() == 2
    for delivery in deliveries():
        assert len(delivery.payload.encode()) < MAX_BODY_BYTES
        json.loads(delivery.payload)


def test_only_endpoints_subscribed_to_the_type_get_it(desk, make_endpoint):
    created_only, _ = make_endpoint(events=["ticket.created"])
    replies_only, _ = make_endpoint(events=["ticket.reply.created"])
    ticket = desk.ticket()
    ticket_reply(ticket=ticket, body="On it.", by=desk.agent.user)

    assert types(created_only) == ["ticket.created"]
    assert types(replies_only) == ["ticket.reply.created"]


def test_departments_filter_and_a_transfer_reaches_both_sides(desk, make_endpoint):
    it_only, _ = make_endpoint(departments=[desk.it])
    sales_only, _ = make_endpoint(departments=[desk.sales])
    everywhere, _ = make_endpoint()
    ticket = desk.ticket()  # in IT
    ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)
    ticket_reply(ticket=ticket, body="Sales will call you.", by=desk.sales_agent.user)

    assert types(it_only) == ["ticket.created", "ticket.updated"]
    assert types(sales_only) == ["ticket.updated", "ticket.reply.created"]
    assert types(everywhere) == ["ticket.created", "ticket.updated", "ticket.reply.created"]
    [moved] = deliveries(sales_only).filter(event_type="ticket.updated")
    assert body(moved)["data"]["changes"]["department"] == {
        "old": {"id": desk.it.pk, "name": "IT"},
        "new": {"id": desk.sales.pk, "name": "Sales"},
    }


def test_internal_notes_only_to_endpoints_that_opted_in(desk, make_endpoint):
    plain, _ = make_endpoint()
    with_notes, _ = make_endpoint(include_notes=True)
    ticket = desk.ticket()
    ticket_add_note(ticket=ticket, body="Password is on the sticky note.", by=desk.agent.user)

    assert types(plain) == ["ticket.created"]
    assert types(with_notes) == ["ticket.created", "ticket.note.created"]
    assert "sticky note" in deliveries(with_notes).get(event_type="ticket.note.created").payload


def test_inactive_endpoints_and_rolled_back_changes_get_nothing(desk, make_endpoint):
    endpoint, _ = make_endpoint()
    ticket = desk.ticket()
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_reply(ticket=ticket, body="Never sent.", by=desk.agent.user)
        raise RuntimeError("the change fails after the event")
    assert types() == ["ticket.created"]

    webhook_endpoint_update(
        endpoint=endpoint,
        settings_=webhook_endpoint_settings_check(
            url=endpoint.url, events=endpoint.events, is_active=False
        ),
        by=None,
    )
    ticket_reply(ticket=ticket, body="Nobody listens.", by=desk.agent.user)
    assert types() == ["ticket.created"]


def test_no_query_at_all_without_an_active_endpoint(desk):
    desk.ticket()  # warms the process's copy of the (empty) endpoint set

    with CaptureQueriesContext(connection) as queries:
        ticket = desk.ticket()
        ticket_claim(ticket=ticket, by=desk.agent.user)
        ticket_reply(ticket=ticket, body="Done.", by=desk.agent.user)

    webhook_tables = [q["sql"] for q in queries if "webhooks_" in q["sql"]]
    assert webhook_tables == []
    assert not WebhookDelivery.objects.exists()


def test_the_same_number_of_queries_per_event_however_many_endpoints(desk, make_endpoint):
    make_endpoint()
    ticket = desk.ticket()

    def reply_queries():
        with CaptureQueriesContext(connection) as queries:
            ticket_reply(ticket=ticket, body="More.", by=desk.agent.user)
        return [q["sql"] for q in queries if "webhooks_" in q["sql"]]

    one = reply_queries()
    for _ in range(4):
        make_endpoint()
    reply_queries()  # the new endpoints are read once
    five = reply_queries()
    assert len(one) == len(five) == 1  # the one INSERT of the deliveries
    assert deliveries().filter(event_type="ticket.reply.created").count() == 1 + 5 + 5


@pytest.fixture
def sla_ticket(desk):
    """Jim's ticket on Standard (first response 60 min, warning at 75 %), assigned to Ryan."""
    with time_machine.travel(START, tick=False):
        ticket = desk.ticket()
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
    return ticket


def test_the_sla_sweeps_bulk_events_fan_out_too(desk, sla_ticket, make_endpoint):
    escalations = DepartmentFactory(name="Escalations")
    desk.standard.escalate_to_department = escalations
    desk.standard.save()
    endpoint, _ = make_endpoint()

    sla_sweep(now=START + timedelta(minutes=61))

    assert sorted(types(endpoint)) == [
        "ticket.assigned",  # Ryan let go by the transfer
        "ticket.escalated",
        "ticket.sla.breached",
        "ticket.sla.warning",
        "ticket.updated",  # transferred
    ]
    by_type = {d.event_type: body(d) for d in deliveries(endpoint)}
    breached = by_type["ticket.sla.breached"]["data"]
    assert breached["clock"]["kind"] == "first_response"
    assert breached["ticket"]["department_id"] == escalations.pk  # after the escalation
    assert breached["event"]["actor_id"] is None
    assert by_type["ticket.escalated"]["data"]["escalation"]["action"] == "transferred"
    assert {d.event_id for d in deliveries(endpoint)} == set(
        sla_ticket.events.filter(
            kind__in=[
                EventKind.SLA_WARNING,
                EventKind.SLA_BREACHED,
                EventKind.ESCALATED,
                EventKind.TRANSFERRED,
                EventKind.ASSIGNED,
            ],
            created_at=START + timedelta(minutes=61),
        ).values_list("id", flat=True)
    )


def test_the_sweep_reads_nothing_for_webhooks_without_endpoints(desk, sla_ticket):
    desk.ticket()  # warms the copy of the endpoint set
    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep(now=START + timedelta(minutes=61))
    assert result.breaches == 1
    assert [q["sql"] for q in queries if "webhooks_" in q["sql"]] == []


def test_the_sweep_skips_tickets_of_other_departments(desk, sla_ticket, make_endpoint):
    sales_only, _ = make_endpoint(departments=[desk.sales], events=[EventType.SLA_BREACHED])
    sla_sweep(now=START + timedelta(minutes=61))
    assert types(sales_only) == []


def test_merges_and_links_are_their_own_event_types(desk, make_endpoint):
    endpoint, _ = make_endpoint(events=[EventType.TICKET_MERGED, EventType.TICKET_LINKED])
    target, source, other = desk.ticket(), desk.ticket(), desk.ticket()

    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    ticket_merge_undo(ticket=source, by=desk.agent.user)
    ticket_link(ticket=other, other=target, kind="duplicate_of", by=desk.agent.user)

    rows = list(deliveries(endpoint))
    assert [d.event_type for d in rows] == ["ticket.merged"] * 4 + ["ticket.linked"] * 2
    merged_into = body(rows[0])["data"]
    assert merged_into["ticket"]["number"] == source.number
    assert merged_into["event"]["kind"] == "merged_into"
    assert merged_into["merge"]["to"]["number"] == target.number
    linked = body(rows[4])["data"]
    assert linked["link"]["link"]["name"] in ("duplicate of", "duplicated by")
