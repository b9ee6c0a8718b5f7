"""The sweep warns, breaches and escalates, each exactly once."""

import datetime as dt
import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.models import Department
from accounts.services import department_set_auto_assignment
from tests.support.factories import AgentFactory, DepartmentFactory
from tickets.clocks import sla_sweep
from tickets.events import escalation_text, event_values
from tickets.models import (
    ClockKind,
    EventKind,
    Notification,
    Priority,
    SLAClock,
    SLAState,
    TicketEvent,
)
from tickets.outbox import notifications_send_pending
from tickets.services import ticket_assign, ticket_reply, ticket_set_pending
from tickets.tasks import run_sla_sweep

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def at(minutes):
    return START + timedelta(minutes=minutes)


def events(ticket, kind):
    """(before, after) of each event of `kind`, as the admin shows them."""
    return [
        event_values(k, data)
        for k, data in ticket.events.filter(kind=kind).values_list("kind", "data")
    ]


@pytest.fixture
def ticket(desk):
    """Jim's CRM ticket on Standard (60/120/480), assigned to Ryan; Kevin manages IT."""
    desk.it.manager = desk.manager
    desk.it.save()
    with time_machine.travel(START, tick=False):
        ticket = desk.ticket()
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
    return ticket


def test_nothing_happens_before_the_warning_time(ticket):
    result = sla_sweep(now=at(44))

    assert result.transitions == 0
    assert not ticket.events.filter(kind=EventKind.SLA_WARNING).exists()


def test_warning_once_with_an_email_to_the_assignee(desk, ticket):
    result = sla_sweep(now=at(45))

    assert (result.warnings, result.breaches) == (1, 0)
    assert events(ticket, EventKind.SLA_WARNING) == [("", "first_response")]
    ticket.refresh_from_db()
    assert ticket.sla_state_at(at(45)) == SLAState.WARNING
    # The services' own emails (new ticket, assignment) are not the sweep's business here.
    sla_emails = Notification.objects.filter(kind__startswith="sla_")
    [notification] = sla_emails
    assert (notification.kind, notification.recipient) == ("sla_warning", desk.agent.user)

    again = sla_sweep(now=at(50))

    assert again.transitions == 0
    assert ticket.events.filter(kind=EventKind.SLA_WARNING).count() == 1
    assert sla_emails.count() == 1


def test_breach_marks_overdue_and_runs_the_plan_actions_once(desk, ticket):
    plan = desk.standard
    plan.escalate_notify_assignee = True
    plan.escalate_notify_manager = True
    plan.escalate_raise_priority = True
    plan.save()

    result = sla_sweep(now=at(61))

    assert (result.warnings, result.breaches) == (1, 1)  # the missed warning comes first
    ticket.refresh_from_db()
    assert ticket.sla_state_at(at(61)) == SLAState.BREACHED
    assert ticket.priority == Priority.URGENT  # High, one step up
    [breach] = ticket.events.filter(kind=EventKind.SLA_BREACHED)
    assert (breach.data["clock"], breach.actor) == (
        {"id": breach.clock_id, "kind": "first_response", "name": "First response"},
        None,
    )
    assert sorted(events(ticket, EventKind.ESCALATED)) == [
        ("first_response", "Notified Kevin Benavides (manager)"),
        ("first_response", "Notified Ryan Howard (assignee)"),
        ("first_response", "Priority raised from High to Urgent"),
    ]
    # The raise is also the change itself, by the system, as a service would record it.
    [raised] = ticket.events.filter(kind=EventKind.PRIORITY_CHANGED)
    assert (raised.actor, raised.data) == (
        None,
        {"from": {"id": 3, "name": "High"}, "to": {"id": 4, "name": "Urgent"}},
    )
    recipients = Notification.objects.filter(kind="sla_breached").values_list(
        "recipient__display_name", flat=True
    )
    assert sorted(recipients) == ["Kevin Benavides", "Ryan Howard"]
    clock = SLAClock.objects.get(ticket=ticket, kind=ClockKind.FIRST_RESPONSE)
    assert clock.breached_at == at(61)

    assert sla_sweep(now=at(90)).transitions == 0
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 3


def test_reassign_and_transfer_on_breach(desk, ticket):
    escalations = DepartmentFactory(name="Escalations")
    senior = AgentFactory(user__display_name="Michael Scott", departments=[escalations])
    desk.standard.escalate_to_department = escalations
    desk.standard.escalate_to_agent = senior
    desk.standard.escalate_notify_assignee = True
    desk.standard.save()

    sla_sweep(now=at(61))

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (escalations, senior)
    assert sorted(events(ticket, EventKind.ESCALATED)) == [
        ("first_response", "Notified Michael Scott (assignee)"),
        ("first_response", "Reassigned to Michael Scott"),
        ("first_response", "Transferred to Escalations"),
    ]
    # The moves themselves, by the system, in the services' vocabulary: Ryan does not work
    # in Escalations, so the transfer lets him go, and the plan then assigns Michael.
    [transferred] = ticket.events.filter(kind=EventKind.TRANSFERRED)
    assert (transferred.actor, transferred.data) == (
        None,
        {
            "from": {"id": desk.it.pk, "name": "IT"},
            "to": {"id": escalations.pk, "name": "Escalations"},
        },
    )
    ryan = {"id": desk.agent.pk, "name": "Ryan Howard"}
    michael = {"id": senior.pk, "name": "Michael Scott"}
    assigned = ticket.events.filter(kind=EventKind.ASSIGNED, actor=None)
    assert list(assigned.values_list("data", flat=True)) == [
        {"from": ryan, "to": None},
        {"from": None, "to": michael},
    ]
    [notification] = Notification.objects.filter(kind="sla_breached")
    assert notification.recipient == senior.user


def test_a_transfer_into_an_auto_assigning_department_gets_an_agent(desk, ticket):
    """The escalation lets Ryan go (he does not work in Escalations); the sweep's pass then
    gives the ticket to an available agent there, by its policy, once."""
    escalations = DepartmentFactory(name="Escalations")
    department_set_auto_assignment(
        department=escalations, policy=Department.AutoAssignment.ROUND_ROBIN
    )
    away = AgentFactory(user__display_name="Toby Flenderson", departments=[escalations])
    away.is_available = False
    away.save()
    oscar = AgentFactory(user__display_name="Oscar Martinez", departments=[escalations])
    desk.standard.escalate_to_department = escalations
    desk.standard.save()

    with time_machine.travel(at(61), tick=False):
        run_sla_sweep()
        run_sla_sweep()  # a second pass (a retried task) assigns nothing again

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (escalations, oscar)
    [auto] = ticket.events.filter(kind=EventKind.ASSIGNED, data__auto=True)
    assert (auto.actor, auto.data["to"]["name"]) == (None, "Oscar Martinez")


def test_the_sweep_command_auto_assigns_escalated_tickets_too(desk, ticket):
    escalations = DepartmentFactory(name="Escalations")
    department_set_auto_assignment(
        department=escalations, policy=Department.AutoAssignment.LEAST_OPEN
    )
    oscar = AgentFactory(user__display_name="Oscar Martinez", departments=[escalations])
    desk.standard.escalate_to_department = escalations
    desk.standard.save()
    out = io.StringIO()

    with time_machine.travel(at(61), tick=False):
        call_command("sla_sweep", stdout=out)

    ticket.refresh_from_db()
    assert ticket.assignee == oscar
    assert "1 escalated tickets auto-assigned" in out.getvalue()


def test_a_transfer_into_a_department_without_auto_assignment_stays_unassigned(desk, ticket):
    escalations = DepartmentFactory(name="Escalations")
    AgentFactory(departments=[escalations])
    desk.standard.escalate_to_department = escalations
    desk.standard.save()

    with time_machine.travel(at(61), tick=False):
        run_sla_sweep()

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (escalations, None)


def test_reassign_skips_an_agent_outside_the_department(desk, ticket):
    desk.standard.escalate_to_agent = desk.sales_agent
    desk.standard.save()

    sla_sweep(now=at(61))

    ticket.refresh_from_db()
    assert ticket.assignee == desk.agent
    assert not ticket.events.filter(kind=EventKind.ESCALATED, data__action="assigned").exists()
    assert not ticket.events.filter(kind=EventKind.ASSIGNED, actor=None).exists()


def test_met_and_paused_clocks_are_left_alone(desk, ticket):
    ticket_reply(ticket=ticket, body="On it", by=desk.agent.user)
    with time_machine.travel(at(5), tick=False):
        ticket_set_pending(ticket=ticket, by=desk.agent.user)

    result = sla_sweep(now=at(10_000))

    assert result.transitions == 0
    ticket.refresh_from_db()
    assert ticket.sla_state_at(at(10_000)) == SLAState.NONE  # nothing running: no deadline


def test_both_clocks_breaching_escalate_once_per_ticket(desk, ticket):
    desk.standard.escalate_raise_priority = True
    desk.standard.save()

    result = sla_sweep(now=at(1000))

    assert result.breaches == 2
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    raised = ticket.events.filter(kind=EventKind.ESCALATED, data__action="priority_raised")
    assert raised.count() == 1
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 2  # and notify assignee


def test_the_unique_index_refuses_a_second_breach_event(ticket):
    sla_sweep(now=at(61))
    clock = SLAClock.objects.get(ticket=ticket, kind=ClockKind.FIRST_RESPONSE)

    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.SLA_BREACHED, clock=clock)


def test_notifications_are_sent_once(desk, ticket):
    sla_sweep(now=at(61))
    queued = Notification.objects.count()

    assert notifications_send_pending() == queued
    assert notifications_send_pending() == 0

    assert len(mail.outbox) == queued
    subjects = sorted(message.subject for message in mail.outbox)
    assert any(s.startswith(f"[#{ticket.number}] SLA breached: CRM is down") for s in subjects)
    assert all(n.sent_at for n in Notification.objects.all())


def test_user_text_in_emails_is_inert(desk):
    desk.it.manager = desk.manager
    desk.it.save()
    with time_machine.travel(START, tick=False):
        ticket = desk.ticket(subject='<script>alert(1)</script> "quoted"')
        ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
    sla_sweep(now=at(61))

    notifications_send_pending()

    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert '<script>alert(1)</script> "quoted"' in message.subject  # plain text stays plain


def test_sla_sweep_command(ticket, capsys):
    with time_machine.travel(at(61), tick=False):
        call_command("sla_sweep")

    assert "1 warnings, 1 breaches" in capsys.readouterr().out


def test_at_risk_and_overdue_are_right_before_any_sweep_runs(desk, ticket):
    """The queue must never be wrong: the state follows from the deadlines, not the sweep."""
    from tickets.models import Ticket, sla_state_q

    ticket.refresh_from_db()
    assert [ticket.sla_state_at(at(m)) for m in (0, 45, 60)] == [
        SLAState.OK,
        SLAState.WARNING,
        SLAState.BREACHED,
    ]
    for minute, state in ((0, SLAState.OK), (45, SLAState.WARNING), (60, SLAState.BREACHED)):
        assert list(Ticket.objects.filter(sla_state_q(state, at(minute)))) == [ticket]
    assert not Ticket.objects.filter(sla_state_q(SLAState.NONE, at(0))).exists()


def test_a_ticket_deletes_with_its_clocks_events_and_emails(ticket):
    sla_sweep(now=at(61))
    assert Notification.objects.exists()

    ticket.delete()

    assert not SLAClock.objects.exists()
    assert not TicketEvent.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "name", ['Ryan "The Temp" Howard', "back\\slash", "{braces},commas", "NULL"]
)
def test_names_in_escalation_events_are_stored_exactly(desk, ticket, name):
    desk.agent.user.display_name = name
    desk.agent.user.save()

    sla_sweep(now=at(61))

    assert events(ticket, EventKind.ESCALATED) == [
        ("first_response", f"Notified {name} (assignee)")
    ]


def test_hostile_names_survive_the_sweep_as_plain_text(desk, ticket):
    from tests.support.hostile import PAYLOADS

    for payload in PAYLOADS:
        desk.agent.user.display_name = payload[:150]
        desk.agent.user.save()
        SLAClock.objects.filter(ticket=ticket).update(breached_at=None, warned_at=None)
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla").delete()
        Notification.objects.all().delete()
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).delete()

        sla_sweep(now=at(61))

        [event] = ticket.events.filter(kind=EventKind.ESCALATED)
        assert event.data["to"]["name"] == payload[:150]
        assert escalation_text(event.data) == f"Notified {payload[:150]} (assignee)"


def test_a_backlog_calls_in_helper_sweeps_and_each_clock_still_breaches_once(
    desk, settings, django_capture_on_commit_callbacks
):
    from tickets.clocks import sla_backlog_exceeds
    from tickets.tasks import run_sla_sweep

    settings.SLA_SWEEP_BATCH_SIZE = 2
    settings.SLA_SWEEP_PARALLELISM = 3
    with time_machine.travel(START, tick=False):
        tickets = [desk.ticket() for _ in range(5)]
    assert not sla_backlog_exceeds(2, now=at(59))
    assert sla_backlog_exceeds(2, now=at(61))

    with time_machine.travel(at(61), tick=False), django_capture_on_commit_callbacks(execute=True):
        run_sla_sweep.delay()  # eager in tests: the helpers run inline, first

    for ticket in tickets:
        assert ticket.events.filter(kind=EventKind.SLA_BREACHED).count() == 1
