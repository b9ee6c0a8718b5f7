import pytest

from tests.support.factories import DepartmentFactory, HelpTopicFactory, SLAPlanFactory
from tests.support.hostile import PAYLOADS
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import (
    EntryKind,
    EventKind,
    Notification,
    Priority,
    Source,
    Status,
    Ticket,
)
from tickets.services import ticket_create, ticket_open


def test_create_uses_the_topic_for_department_plan_and_priority(desk):
    ticket = desk.ticket()

    ticket.refresh_from_db()
    assert ticket.department == desk.it
    assert ticket.sla_plan == desk.standard  # the department's default; topic names none
    assert ticket.priority == Priority.HIGH
    assert ticket.status == Status.OPEN
    assert ticket.source == Source.WEB
    assert ticket.assignee is None
    [entry] = ticket.entries.all()
    assert (entry.kind, entry.author, entry.body) == (
        EntryKind.MESSAGE,
        desk.requester,
        "We cannot log in to the CRM.",
    )
    [event] = ticket.events.all()
    assert (event.kind, event.actor, event.data) == (
        EventKind.CREATED,
        desk.requester,
        {"to": {"id": "open", "name": "Open"}},
    )


def test_topic_plan_wins_over_department_default(desk):
    desk.topic.sla_plan = desk.critical
    desk.topic.save()

    assert desk.ticket().sla_plan == desk.critical


def test_system_default_plan_when_neither_topic_nor_department_names_one(desk):
    department = DepartmentFactory(name="Facilities")
    topic = HelpTopicFactory(department=department)

    assert desk.ticket(help_topic=topic).sla_plan == desk.standard


def test_no_plan_at_all_is_allowed(db, desk):
    desk.standard.is_default = False
    desk.standard.save()
    topic = HelpTopicFactory(department=DepartmentFactory(name="Facilities"))

    assert desk.ticket(help_topic=topic).sla_plan is None


def test_explicit_priority_and_department_win(desk):
    ticket = desk.ticket(help_topic=None, department=desk.sales, priority=Priority.URGENT)

    assert (ticket.department, ticket.priority) == (desk.sales, Priority.URGENT)


def test_numbers_are_unique_and_increasing(desk):
    first, second = desk.ticket(), desk.ticket()

    assert second.number > first.number >= 1001


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("", "body", "subject cannot be empty"),
        ("   ", "body", "subject cannot be empty"),
        ("Subject", "  \n ", "description cannot be empty"),
        ("x" * 256, "body", "subject is too long"),
        ("Subject", "nul\x00byte", "cannot be stored"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(desk, subject, body, message):
    with pytest.raises(InvalidInput, match=message):
        desk.ticket(subject=subject, body=body)
    assert Ticket.objects.count() == 0


def test_inactive_topic_department_or_requester_is_refused(desk):
    desk.topic.is_active = False
    desk.topic.save()
    with pytest.raises(InvalidInput):
        desk.ticket()

    desk.sales.is_active = False
    desk.sales.save()
    with pytest.raises(InvalidInput):
        desk.ticket(help_topic=None, department=desk.sales)

    desk.requester.is_active = False
    desk.requester.save()
    with pytest.raises(NotPermitted):
        desk.ticket(help_topic=None, department=desk.it)
    assert Ticket.objects.count() == 0


def test_needs_a_topic_or_department(desk):
    with pytest.raises(InvalidInput, match="help topic or a department"):
        desk.ticket(help_topic=None)


def test_subject_and_body_are_stored_exactly_as_written(desk):
    assert len(PAYLOADS) > 30
    for line in PAYLOADS:
        ticket = desk.ticket(subject=line[:255], body=line)
        assert Ticket.objects.get(pk=ticket.pk).subject == line[:255].strip()
        assert ticket.entries.get().body == line.strip()


def test_agent_creating_for_a_requester_is_the_actor(desk):
    ticket = ticket_create(
        requester=desk.requester,
        subject="Printer",
        body="Jammed",
        department=desk.it,
        source=Source.PHONE,
        by=desk.agent.user,
    )

    event = ticket.events.get()
    assert event.actor == desk.agent.user
    assert ticket.source == Source.PHONE


def test_plan_defaults_ignore_retired_system_plan(db, desk):
    desk.standard.is_default = False
    desk.standard.save()
    SLAPlanFactory(name="Old", is_default=True, is_active=False)
    topic = HelpTopicFactory(department=DepartmentFactory(name="Facilities"))

    assert desk.ticket(help_topic=topic).sla_plan is None


@pytest.mark.parametrize("alert_agents", [True, False])
def test_alert_agents_false_tells_the_department_nothing(desk, alert_agents):
    ticket = ticket_create(
        requester=desk.requester,
        by=desk.requester,
        subject="Printer jammed",
        body="Again.",
        help_topic=desk.topic,
        alert_agents=alert_agents,
    )
    kinds = set(ticket.notifications.values_list("kind", flat=True))
    assert (Notification.Kind.NEW_TICKET in kinds) is alert_agents
    assert Notification.Kind.REQUESTER_ACKNOWLEDGEMENT in kinds


def test_ticket_open_answers_with_the_ticket_and_its_first_entry(desk):
    opened = ticket_open(
        requester=desk.requester,
        by=desk.requester,
        subject="CRM is down",
        body="We cannot log in to the CRM.",
        help_topic=desk.topic,
    )

    assert opened.entry == opened.ticket.entries.get()
    assert (opened.entry.kind, opened.entry.body) == (
        EntryKind.MESSAGE,
        "We cannot log in to the CRM.",
    )
    # The same submission again answers with the first ticket and its entry.
    again = ticket_open(
        requester=desk.requester,
        by=desk.requester,
        subject="CRM is down",
        body="We cannot log in to the CRM, still.",
        help_topic=desk.topic,
        intake_token="form-1",
    )
    repeated = ticket_open(
        requester=desk.requester,
        by=desk.requester,
        subject="CRM is down",
        body="We cannot log in to the CRM, still.",
        help_topic=desk.topic,
        intake_token="form-1",
    )
    assert (repeated.ticket, repeated.entry) == (again.ticket, again.entry)
    assert Ticket.objects.count() == 2
