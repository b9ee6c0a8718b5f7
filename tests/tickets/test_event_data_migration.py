"""Migration 0011 turns the events' two display strings into structured data, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tickets", "0010_guest_access_and_requester_emails")]
AFTER = [("tickets", "0011_event_data")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_old_events_are_backfilled_with_ids_and_labels_and_come_back_the_same():
    apps = _migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    Agent = apps.get_model("accounts", "Agent")
    Department = apps.get_model("accounts", "Department")
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    jim = User.objects.create(email="jim@example.com", display_name="Jim Halpert")
    ryan = User.objects.create(email="ryan@example.com", display_name="Ryan Howard")
    agent = Agent.objects.create(user=ryan)
    it = Department.objects.create(name="IT")
    sales = Department.objects.create(name="Sales")
    ticket = Ticket.objects.create(number=1001, subject="CRM", requester=jim, department=it)
    rows = [
        ("created", None, "", "open"),
        ("claimed", ryan, "", "Ryan Howard"),
        ("transferred", ryan, "IT", "Sales"),
        ("priority_changed", ryan, "High", "Urgent"),
        ("status_changed", ryan, "open", "pending"),
        ("escalated", None, "first_response", "Transferred to Sales"),
        ("escalated", None, "first_response", "Notified Ryan Howard (assignee)"),
        ("escalated", None, "resolution", "Something we no longer write"),
    ]
    for kind, actor, old, new in rows:
        TicketEvent.objects.create(
            ticket=ticket, kind=kind, actor=actor, old_value=old, new_value=new
        )

    apps = _migrate(AFTER)
    data = list(
        apps.get_model("tickets", "TicketEvent")
        .objects.order_by("id")
        .values_list("data", flat=True)
    )

    assert data == [
        {"to": {"id": "open", "name": "Open"}},
        {"to": {"id": agent.pk, "name": "Ryan Howard"}},
        {"from": {"id": it.pk, "name": "IT"}, "to": {"id": sales.pk, "name": "Sales"}},
        {"from": {"id": 3, "name": "High"}, "to": {"id": 4, "name": "Urgent"}},
        {"from": {"id": "open", "name": "Open"}, "to": {"id": "pending", "name": "Pending"}},
        {
            "clock": {"id": None, "kind": "first_response", "name": "First response"},
            "action": "transferred",
            "to": {"id": sales.pk, "name": "Sales"},
        },
        {
            "clock": {"id": None, "kind": "first_response", "name": "First response"},
            "action": "notified",
            "to": {"id": ryan.pk, "name": "Ryan Howard"},
            "role": "assignee",
        },
        {
            "clock": {"id": None, "kind": "resolution", "name": "Resolution"},
            "text": "Something we no longer write",
        },
    ]

    apps = _migrate(BEFORE)
    back = apps.get_model("tickets", "TicketEvent").objects.order_by("id")
    assert [(e.kind, e.old_value, e.new_value) for e in back] == [
        (kind, old, new) for kind, _actor, old, new in rows
    ]
