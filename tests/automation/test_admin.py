"""Rules in the admin: made with inline conditions and actions, each checked with a clear
message; the dry run lists the tickets in play the rule matches now, and changes nothing."""

import pytest

from automation.models import Action, Rule
from tests.support.admin_helpers import admin_url, form_errors, inline_data
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_close

pytestmark = pytest.mark.django_db


def post_rule(admin_client, *, conditions, actions, **fields):
    data = {
        "name": "Route printer tickets",
        "description": "",
        "is_active": "on",
        "order": "10",
        "department": "",
        "trigger": "ticket_created",
        "match": "all",
        **fields,
    }
    data.update(inline_data("conditions", conditions))
    data.update(inline_data("actions", actions))
    return admin_client.post(admin_url(Rule, "add"), data)


def action_row(**fields):
    row = dict.fromkeys(
        [
            "order",
            "kind",
            "priority",
            "sla_plan",
            "department",
            "agent",
            "status",
            "canned_response",
            "text",
            "email",
            "webhook_endpoint",
        ],
        "",
    )
    row["order"] = "0"
    row.update(fields)
    return row


def condition_row(**fields):
    return {
        "field": "",
        "operator": "is",
        "value": "",
        "department": "",
        "help_topic": "",
        **fields,
    }


def test_the_printer_rule_is_made_in_the_admin(admin_client, desk):
    response = post_rule(
        admin_client,
        conditions=[condition_row(field="subject", operator="contains", value=" printer ")],
        actions=[
            action_row(kind="transfer", department=desk.it.pk),
            action_row(kind="set_priority", priority="3", order="1"),
        ],
    )

    assert response.status_code == 302, form_errors(response)
    rule = Rule.objects.get(name="Route printer tickets")
    assert rule.conditions.get().value == "printer"
    assert [a.kind for a in rule.actions.all()] == ["transfer", "set_priority"]


def test_mistakes_get_clear_messages(admin_client, desk):
    response = post_rule(
        admin_client,
        conditions=[
            condition_row(field="priority", operator="is", value="very high"),
            condition_row(field="subject", operator="is", value="printer"),
            condition_row(field="hours_pending", operator="business_hours", value="soon"),
        ],
        actions=[action_row(kind="transfer"), action_row(kind="send_reply")],
    )

    assert response.status_code == 200
    errors = " ".join(form_errors(response))
    assert "Choose a priority: one of 1, 2, 3, 4." in errors
    assert "Subject takes “contains any of" in errors
    assert "Enter a number of hours" in errors
    assert "“Transfer to a department” needs this." in errors
    assert "“Send a reply to the requester” needs this (or a canned response)." in errors
    assert not Rule.objects.filter(name="Route printer tickets").exists()
    assert not Action.objects.filter(
        kind__in=["transfer", "send_reply"], rule__trigger="ticket_created"
    ).exists()


def test_dry_run_lists_the_matching_tickets_in_play(admin_client, desk):
    rule = Rule.objects.create(name="Printers", trigger="ticket_created")
    rule.conditions.create(field="subject", operator="contains", value="printer")
    printer = desk.ticket(subject="Printer jam")
    closed = desk.ticket(subject="Old printer")
    ticket_close(ticket=closed, by=desk.agent.user)
    desk.ticket(subject="CRM is down")
    events = TicketEvent.objects.count()

    change = admin_client.get(admin_url(Rule, "change", rule.pk)).content.decode()
    url = admin_url(Rule, "dry_run", rule.pk)
    assert f'href="{url}"' in change

    page = admin_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"#{printer.number}" in html and "Printer jam" in html
    assert f"#{closed.number}" not in html and "CRM is down" not in html
    assert "1 ticket" in html
    assert TicketEvent.objects.count() == events  # nothing changed
    assert Ticket.objects.get(pk=printer.pk).priority == printer.priority


def test_dry_run_of_a_rule_matching_nothing(admin_client, desk):
    rule = Rule.objects.create(name="Nothing", trigger="time")
    rule.conditions.create(field="hours_since_created", operator="calendar_hours", value="100")
    desk.ticket()
    html = admin_client.get(admin_url(Rule, "dry_run", rule.pk)).content.decode()
    assert "No ticket matches now." in html


def test_dry_run_shows_hostile_subjects_as_text(admin_client, desk):
    rule = Rule.objects.create(name="All", trigger="ticket_created")
    for payload in PAYLOADS[:20]:
        desk.ticket(subject=payload[:200] or "x")
    html = admin_client.get(admin_url(Rule, "dry_run", rule.pk)).content.decode()
    assert_inert(html)


def test_dry_run_needs_the_admin(client_for, desk):
    rule = Rule.objects.create(name="Printers", trigger="ticket_created")
    response = client_for(desk.agent.user).get(admin_url(Rule, "dry_run", rule.pk))
    assert response.status_code in (302, 403)
    assert admin_url(Rule, "dry_run", rule.pk).encode() not in response.content
