"""Each action, through the ticket services as the system, named in its events."""

import json

import pytest
from django.core import mail

from accounts.models import Department
from automation.emails import rule_emails_send
from automation.models import RuleEmail, RuleRun
from tests.automation.conftest import make_rule, run_triggers
from tests.support.factories import CannedResponseFactory
from tickets.models import EventKind, MailSuppression, Notification, Status, TicketEvent
from tickets.services import ticket_assign, ticket_resolve
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create, webhook_endpoint_settings_check


def act(desk, *actions, trigger="ticket_created", ticket=None, cause=None):
    """The rule made, then the ticket (or `cause(ticket)`), then the triggers run."""
    rule = make_rule(name="Act", trigger=trigger, actions=list(actions))
    ticket = ticket or desk.ticket()
    if cause is not None:
        cause(ticket)
    run_triggers()
    ticket.refresh_from_db()
    return rule, ticket


def rule_events(ticket, kind):
    return TicketEvent.objects.filter(ticket=ticket, kind=kind, data__rule__name="Act")


def test_set_sla_plan(desk):
    _, ticket = act(desk, {"kind": "set_plan", "sla_plan": desk.critical})
    assert ticket.sla_plan == desk.critical
    assert rule_events(ticket, EventKind.PLAN_CHANGED).count() == 1


def test_assign_a_named_agent(desk):
    _, ticket = act(desk, {"kind": "assign", "agent": desk.agent})
    assert ticket.assignee == desk.agent
    assert rule_events(ticket, EventKind.ASSIGNED).count() == 1
    # The agent hears of it (the system is not them).
    assert Notification.objects.filter(
        kind=Notification.Kind.ASSIGNED, recipient=desk.agent.user
    ).exists()


def test_assign_automatically_by_the_departments_policy(desk):
    def round_robin(ticket):
        # After intake (which found the policy off), so the rule is what assigns.
        Department.objects.filter(pk=ticket.department_id).update(
            auto_assignment=Department.AutoAssignment.ROUND_ROBIN
        )

    _, ticket = act(desk, {"kind": "assign_auto"}, cause=round_robin)
    # The first agent of the department in round-robin order (by id): someone who works there.
    assert ticket.assignee in {desk.agent, desk.manager}
    assert ticket.department.memberships.filter(agent=ticket.assignee).exists()
    event = rule_events(ticket, EventKind.ASSIGNED).get()
    assert event.data["auto"] is True


def test_assign_automatically_with_the_policy_off_leaves_it_unassigned(desk):
    _, ticket = act(desk, {"kind": "assign_auto"})
    assert ticket.assignee is None
    assert not rule_events(ticket, EventKind.ASSIGNED).exists()


@pytest.mark.parametrize("status", [Status.PENDING, Status.RESOLVED, Status.CLOSED])
def test_set_status(desk, status):
    _, ticket = act(desk, {"kind": "set_status", "status": status})
    assert ticket.status == status
    assert rule_events(ticket, EventKind.STATUS_CHANGED).get().data["to"]["id"] == status


def test_set_status_already_there_is_skipped(desk):
    rule, ticket = act(
        desk,
        {"kind": "set_status", "status": "resolved"},
        trigger="status_changed",
        cause=lambda t: ticket_resolve(ticket=t, by=desk.agent.user),
    )
    assert RuleRun.objects.get(rule=rule).failed is False
    assert not rule_events(ticket, EventKind.STATUS_CHANGED).exists()


def test_add_internal_note_with_placeholders(desk):
    _, ticket = act(
        desk, {"kind": "add_note", "text": "#{number} for {requester_name} in {department} {x}"}
    )
    note = ticket.entries.get(kind="note")
    assert note.body == f"#{ticket.number} for Jim Halpert in IT {{x}}"
    assert note.author is None


def test_send_a_reply_from_its_own_text_escaped_in_the_email(desk):
    _, ticket = act(
        desk,
        {"kind": "send_reply", "text": "Hi {requester_name}, <b>thanks</b> for #{number}"},
    )
    reply = ticket.entries.get(kind="reply")
    assert reply.body == f"Hi Jim Halpert, <b>thanks</b> for #{ticket.number}"
    assert reply.author is None
    notification = Notification.objects.get(kind=Notification.Kind.REQUESTER_REPLY)
    from tickets.outbox.render import render_notification

    message = render_notification(notification)
    html = message.alternatives[0][0]
    assert "&lt;b&gt;thanks&lt;/b&gt;" in html and "<b>thanks" not in html
    # A rule's reply is not a first response: the clock still runs.
    assert ticket.clocks.filter(kind="first_response", met_at__isnull=True).exists()


def test_send_a_canned_reply(desk):
    canned = CannedResponseFactory(body="Dear {requester_name}: we got #{number}.")
    _, ticket = act(desk, {"kind": "send_reply", "canned_response": canned})
    assert ticket.entries.get(kind="reply").body == (f"Dear Jim Halpert: we got #{ticket.number}.")


def test_email_an_address(desk, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _, ticket = act(
        desk, {"kind": "email_address", "email": "it-lead@example.com", "text": "See #{number}"}
    )
    assert RuleEmail.objects.get().to == "it-lead@example.com"
    rule_emails_send()
    sent = [m for m in mail.outbox if m.to == ["it-lead@example.com"]]
    assert len(sent) == 1
    assert sent[0].subject == f"[#{ticket.number}] CRM is down"
    assert sent[0].body.startswith(f"See #{ticket.number}")
    assert "rule 'Act'" in sent[0].body
    assert RuleEmail.objects.get().sent_at is not None
    assert rule_emails_send() == 0  # sent once
    # Automatic mail, which auto-responders must not answer.
    assert sent[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_email_to_a_bounced_address_is_held_back_with_its_reason(desk, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    MailSuppression.objects.create(address="it-lead@example.com", status="5.1.1")
    act(desk, {"kind": "email_address", "email": "IT-Lead@example.com", "text": "See"})
    assert rule_emails_send() == 0
    assert not [m for m in mail.outbox if m.to == ["IT-Lead@example.com"]]
    email = RuleEmail.objects.get()
    assert email.sent_at is None
    assert "bounced" in email.last_error
    assert rule_emails_send() == 0  # not retried


def test_notify_the_department_manager(desk):
    desk.it.manager = desk.manager
    desk.it.save()
    act(desk, {"kind": "notify_manager", "text": "Nobody took #{number}"})
    assert RuleEmail.objects.get().to == desk.manager.user.email


def test_notify_manager_without_one_does_nothing(desk):
    rule, _ = act(desk, {"kind": "notify_manager", "text": "x"})
    assert not RuleEmail.objects.exists()
    assert RuleRun.objects.get(rule=rule).failed is False


def test_call_a_webhook_endpoint(desk):
    checked = webhook_endpoint_settings_check(
        url="https://hooks.example.com/in", events=["ticket.sla.breached"]
    )
    endpoint, _secret = webhook_endpoint_create(settings_=checked, departments=(), by=None)
    _, ticket = act(desk, {"kind": "call_webhook", "webhook_endpoint": endpoint})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event_type="automation.rule")
    body = json.loads(delivery.payload)
    assert body["data"]["ticket"]["number"] == ticket.number
    assert body["data"]["rule"]["name"] == "Act"


def test_assign_to_an_agent_outside_the_department_fails_clearly(desk):
    rule, ticket = act(desk, {"kind": "assign", "agent": desk.sales_agent})
    run = RuleRun.objects.get(rule=rule)
    assert run.failed and run.error == "Dwight Schrute does not work in IT."
    assert ticket.assignee is None


def test_an_unknown_action_kind_fails_the_run(desk):
    rule, _ = act(desk, {"kind": "summon_dragons"})
    assert "does not exist" in RuleRun.objects.get(rule=rule).error


def test_assign_then_transfer_lets_the_assignee_go(desk):
    _, ticket = act(
        desk,
        {"kind": "transfer", "department": desk.sales},
        trigger="assigned",
        cause=lambda t: ticket_assign(ticket=t, agent=desk.agent, by=desk.manager.user),
    )
    assert ticket.department == desk.sales and ticket.assignee is None


def test_webhook_deliveries_of_a_rules_change_name_the_rule(desk):
    checked = webhook_endpoint_settings_check(
        url="https://hooks.example.com/in", events=["ticket.updated"]
    )
    webhook_endpoint_create(settings_=checked, departments=(), by=None)
    act(desk, {"kind": "set_priority", "priority": 4})
    delivery = WebhookDelivery.objects.get(event_type="ticket.updated")
    assert json.loads(delivery.payload)["data"]["event"]["rule"]["name"] == "Act"
