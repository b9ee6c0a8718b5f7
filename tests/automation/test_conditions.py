"""Each condition, as the admin writes it: checked on save, and meaning the same in SQL for
event rules, time rules and the dry run."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from automation.conditions import Calendars, business_hours_hold, condition_clean, rule_tickets
from automation.models import Condition, Rule
from tests.support.factories import BusinessCalendarFactory, UserFactory
from tickets.models import Priority
from tickets.services import ticket_add_message, ticket_assign, ticket_reply, ticket_set_pending

NOW = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)  # a Wednesday


def matches(ticket, *conditions, match="all", department=None) -> bool:
    rule = Rule(name="probe", trigger="ticket_created", match=match, department=department)
    rule.pk = 0
    made = []
    for i, fields in enumerate(conditions, start=1):
        condition = Condition(**fields)
        condition.pk = i
        condition_clean(condition)
        made.append(condition)
    now = timezone.now()
    found = rule_tickets(rule, made, now=now).filter(pk=ticket.pk).first()
    return found is not None and business_hours_hold(found, made, now=now, calendars=Calendars())


@pytest.fixture
def ticket(desk):
    return desk.ticket(subject="Printer on floor 2", body="The toner is empty again.")


def test_department_and_help_topic(desk, ticket):
    assert matches(ticket, {"field": "department", "operator": "is", "department": desk.it})
    assert not matches(ticket, {"field": "department", "operator": "is", "department": desk.sales})
    assert matches(ticket, {"field": "department", "operator": "is_not", "department": desk.sales})
    assert matches(ticket, {"field": "help_topic", "operator": "is", "help_topic": desk.topic})


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("priority", "high", True),  # the topic's default; labels work
        ("priority", "3", True),
        ("priority", "low", False),
        ("status", "open", True),
        ("status", "Pending", False),
        ("source", "web", True),
        ("source", "email", False),
        ("sla_state", "ok", True),
        ("sla_state", "breached", False),
    ],
)
def test_choices(ticket, field, value, expected):
    assert matches(ticket, {"field": field, "operator": "is", "value": value}) is expected
    assert matches(ticket, {"field": field, "operator": "is_not", "value": value}) is not expected


def test_requester_email_and_domain(desk):
    pam = UserFactory(email="Pam@DunderMifflin.com")
    ticket = desk.ticket(requester=pam, by=pam)
    assert matches(
        ticket, {"field": "requester_email", "operator": "is", "value": "pam@dundermifflin.com"}
    )
    assert matches(
        ticket, {"field": "requester_domain", "operator": "is", "value": "@dundermifflin.com"}
    )
    assert not matches(
        ticket, {"field": "requester_domain", "operator": "is", "value": "mifflin.com"}
    )


def test_subject_and_body_words_any_case(desk, ticket):
    assert matches(
        ticket, {"field": "subject", "operator": "contains", "value": "scanner, PRINTER"}
    )
    assert not matches(ticket, {"field": "subject", "operator": "contains", "value": "toner"})
    assert matches(ticket, {"field": "body", "operator": "contains", "value": "Toner"})
    assert matches(ticket, {"field": "body", "operator": "not_contains", "value": "laptop"})
    ticket_add_message(ticket=ticket, body="And the laptop too", by=desk.requester)
    assert matches(ticket, {"field": "body", "operator": "contains", "value": "laptop"})


def test_assignee_none_or_some(desk, ticket):
    assert matches(ticket, {"field": "assignee", "operator": "is", "value": "none"})
    ticket_assign(ticket=ticket, agent=desk.agent, by=desk.manager.user)
    assert matches(ticket, {"field": "assignee", "operator": "is", "value": "some"})


def test_all_or_any(desk, ticket):
    printer = {"field": "subject", "operator": "contains", "value": "printer"}
    sales = {"field": "department", "operator": "is", "department": desk.sales}
    assert not matches(ticket, printer, sales)
    assert matches(ticket, printer, sales, match="any")


def test_hours_since_created_requester_and_agent(desk):
    with time_machine.travel(NOW - dt.timedelta(hours=30), tick=False):
        ticket = desk.ticket()
    with time_machine.travel(NOW - dt.timedelta(hours=5), tick=False):
        ticket_reply(ticket=ticket, body="On it", by=desk.agent.user)
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        ticket_add_message(ticket=ticket, body="Thanks", by=desk.requester)
    with time_machine.travel(NOW, tick=False):
        hours = lambda field, n: {"field": field, "operator": "calendar_hours", "value": n}  # noqa: E731
        assert matches(ticket, hours("hours_since_created", "30"))
        assert not matches(ticket, hours("hours_since_created", "31"))
        assert matches(ticket, hours("hours_since_agent", "5"))
        assert not matches(ticket, hours("hours_since_agent", "6"))
        assert matches(ticket, hours("hours_since_requester", "1.5"))
        assert not matches(ticket, hours("hours_since_requester", "3"))


def test_hours_pending_in_business_hours(desk):
    calendar = BusinessCalendarFactory(weekdays_nine_to_five=True, time_zone="UTC")
    desk.standard.calendar = calendar
    desk.standard.save()
    # Pending since Monday 17:00: by Wednesday 12:00 that is 8 + 3 = 11 business hours.
    with time_machine.travel(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC), tick=False):
        ticket = desk.ticket(help_topic=None, department=desk.it)
    with time_machine.travel(dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC), tick=False):
        ticket_set_pending(ticket=ticket, by=desk.agent.user)
    assert ticket.sla_plan_id == desk.standard.pk
    with time_machine.travel(NOW, tick=False):
        pending = lambda op, n: {"field": "hours_pending", "operator": op, "value": n}  # noqa: E731
        assert matches(ticket, pending("business_hours", "11"))
        assert not matches(ticket, pending("business_hours", "12"))
        assert matches(ticket, pending("calendar_hours", "43"))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"field": "priority", "operator": "is", "value": "very"}, "Choose a priority"),
        ({"field": "subject", "operator": "is", "value": "x"}, "takes"),
        ({"field": "subject", "operator": "contains", "value": " , "}, "one or more words"),
        ({"field": "hours_pending", "operator": "business_hours", "value": "-1"}, "above 0"),
        ({"field": "hours_pending", "operator": "calendar_hours", "value": "soon"}, "number"),
        ({"field": "department", "operator": "is"}, "Choose the department"),
        ({"field": "requester_domain", "operator": "is", "value": "nodot"}, "domain"),
    ],
)
def test_bad_conditions_are_refused_clearly(fields, message):
    with pytest.raises(ValidationError) as raised:
        condition_clean(Condition(**fields))
    assert message in str(raised.value)


def test_priority_label_is_stored_as_its_number():
    condition = Condition(field="priority", operator="is", value="Urgent")
    condition_clean(condition)
    assert condition.value == str(Priority.URGENT.value)
