import datetime

import pytest
import time_machine
from django.core import mail

from accounts.roles import SYSTEM
from tickets.errors import InvalidInput, NotPermitted, OpenTasks, TransitionNotAllowed
from tickets.models import EventKind, Notification, Status, Task, TaskStatus
from tickets.outbox import notifications_send_pending
from tickets.services import (
    OPEN_TASKS,
    task_assign,
    task_complete,
    task_create,
    task_delete,
    task_edit,
    task_reopen,
    ticket_bulk_apply,
    ticket_close,
    ticket_resolve,
)
from tickets.services.tasks import (
    TASK_ALREADY_DONE,
    TASK_ASSIGNEE_ELSEWHERE,
    TASK_DUE_NAIVE,
    TASK_NOT_PERMITTED,
    TASK_NOT_YOURS,
    TASK_TICKET_CLOSED,
)

NOW = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


def _ref(obj, name):
    return {"id": obj.pk, "name": name}


@time_machine.travel(NOW, tick=False)
def test_an_agent_adds_a_task_for_another_department(desk):
    ticket = desk.ticket()
    due = NOW + datetime.timedelta(days=1)

    task = task_create(
        ticket=ticket,
        title="  Move the desk  ",
        description="Second floor.",
        department=desk.sales,
        assignee=desk.sales_agent,
        due_at=due,
        by=desk.agent.user,
    )

    task.refresh_from_db()
    assert (task.title, task.status, task.department, task.assignee, task.due_at) == (
        "Move the desk",
        TaskStatus.OPEN,
        desk.sales,
        desk.sales_agent,
        due,
    )
    assert task.created_by == desk.agent.user
    event = ticket.events.get(kind=EventKind.TASK_CREATED)
    assert (event.actor, event.data) == (
        desk.agent.user,
        {
            "task": _ref(task, "Move the desk"),
            "department": _ref(desk.sales, "Sales"),
            "assignee": _ref(desk.sales_agent, "Dwight Schrute"),
            "due_at": "2026-12-04T09:00:00+00:00",
        },
    )
    notification = Notification.objects.get(kind=Notification.Kind.TASK_ASSIGNED)
    assert (notification.recipient, notification.event, notification.ticket) == (
        desk.sales_agent.user,
        event,
        ticket,
    )


def test_a_task_defaults_to_the_tickets_department_and_nobody(desk):
    ticket = desk.ticket()

    task = task_create(ticket=ticket, title="Check the logs", by=desk.agent.user)

    assert (task.department, task.assignee, task.due_at) == (desk.it, None, None)
    assert not Notification.objects.filter(kind=Notification.Kind.TASK_ASSIGNED).exists()


def test_nobody_is_told_of_a_task_they_gave_themselves(desk):
    ticket = desk.ticket()

    task_create(ticket=ticket, title="Check the logs", assignee=desk.agent, by=desk.agent.user)

    assert not Notification.objects.filter(kind=Notification.Kind.TASK_ASSIGNED).exists()


def test_the_assignee_must_work_in_the_tasks_department(desk):
    ticket = desk.ticket()

    with pytest.raises(InvalidInput) as error:
        task_create(
            ticket=ticket,
            title="Move the desk",
            department=desk.sales,
            assignee=desk.agent,
            by=desk.agent.user,
        )

    assert error.value.message == TASK_ASSIGNEE_ELSEWHERE.format(
        agent="Ryan Howard", department="Sales"
    )
    assert not Task.objects.exists()


def test_an_agent_of_another_department_cannot_add_tasks(desk):
    ticket = desk.ticket()

    for stranger in (desk.sales_agent.user, desk.requester, None):
        with pytest.raises(NotPermitted) as error:
            task_create(ticket=ticket, title="Sneak", by=stranger)
        assert error.value.message == TASK_NOT_PERMITTED
    assert not Task.objects.exists()


def test_the_system_may_add_tasks(desk):
    ticket = desk.ticket()

    task = task_create(ticket=ticket, title="Automated check", by=SYSTEM)

    assert task.created_by is None
    assert ticket.events.get(kind=EventKind.TASK_CREATED).actor is None


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "The title cannot be empty."),
        ("   ", "The title cannot be empty."),
        ("x" * 201, "The title is too long (at most 200 characters)."),
        ("a\x00b", "The title contains a character that cannot be stored."),
    ],
)
def test_a_title_is_required_and_bounded(desk, title, message):
    with pytest.raises(InvalidInput) as error:
        task_create(ticket=desk.ticket(), title=title, by=desk.agent.user)
    assert error.value.message == message


def test_a_due_time_must_be_aware(desk):
    with pytest.raises(InvalidInput) as error:
        task_create(
            ticket=desk.ticket(),
            title="Call back",
            due_at=datetime.datetime(2026, 12, 4, 9, 0),  # naive: the point
            by=desk.agent.user,
        )
    assert error.value.message == TASK_DUE_NAIVE


def test_no_tasks_are_added_to_a_closed_ticket(desk):
    ticket = desk.ticket()
    ticket_close(ticket=ticket, by=desk.agent.user)

    with pytest.raises(TransitionNotAllowed) as error:
        task_create(ticket=ticket, title="Too late", by=desk.agent.user)
    assert error.value.message == TASK_TICKET_CLOSED.format(number=ticket.number)


def test_assigning_records_and_notifies(desk):
    ticket = desk.ticket()
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)

    task_assign(task=task, agent=desk.manager, by=desk.agent.user)
    task_assign(task=task, agent=desk.manager, by=desk.agent.user)  # no change: nothing
    task_assign(task=task, agent=None, by=desk.agent.user)

    values = list(
        ticket.events.filter(kind=EventKind.TASK_ASSIGNED).values_list("data", flat=True)
    )
    kevin = _ref(desk.manager, "Kevin Benavides")
    task_ref = _ref(task, "Replace the monitor")
    assert values == [
        {"task": task_ref, "from": None, "to": kevin},
        {"task": task_ref, "from": kevin, "to": None},
    ]
    assert list(
        Notification.objects.filter(kind=Notification.Kind.TASK_ASSIGNED).values_list(
            "recipient", flat=True
        )
    ) == [desk.manager.user_id]


def test_assigning_checks_the_department(desk):
    task = task_create(ticket=desk.ticket(), title="Replace the monitor", by=desk.agent.user)

    with pytest.raises(InvalidInput):
        task_assign(task=task, agent=desk.sales_agent, by=desk.agent.user)
    with pytest.raises(NotPermitted):
        task_assign(task=task, agent=desk.agent, by=desk.sales_agent.user)


@time_machine.travel(NOW, tick=False)
def test_editing_records_what_changed(desk):
    ticket = desk.ticket()
    task = task_create(
        ticket=ticket, title="Replace the monitor", assignee=desk.agent, by=desk.manager.user
    )

    task_edit(
        task=task,
        title="Replace both monitors",
        description="Dell, 24 inch.",
        department=desk.sales,
        due_at=NOW + datetime.timedelta(hours=4),
        by=desk.manager.user,
    )

    task.refresh_from_db()
    assert (task.title, task.description, task.department, task.assignee) == (
        "Replace both monitors",
        "Dell, 24 inch.",
        desk.sales,
        None,  # Ryan does not work in Sales: let go
    )
    changed = ticket.events.get(kind=EventKind.TASK_CHANGED)
    assert changed.data == {
        "task": _ref(task, "Replace both monitors"),
        "changes": [
            {"field": "title", "from": "Replace the monitor", "to": "Replace both monitors"},
            {"field": "description", "from": None, "to": None},
            {"field": "due_at", "from": None, "to": "2026-12-03T13:00:00+00:00"},
            {
                "field": "department",
                "from": _ref(desk.it, "IT"),
                "to": _ref(desk.sales, "Sales"),
            },
        ],
    }
    unassigned = ticket.events.filter(kind=EventKind.TASK_ASSIGNED).last()
    assert unassigned.data["to"] is None


def test_editing_nothing_records_nothing(desk):
    ticket = desk.ticket()
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)

    task_edit(task=task, title="Replace the monitor", department=desk.it, by=desk.agent.user)

    assert not ticket.events.filter(kind=EventKind.TASK_CHANGED).exists()


def test_the_assignee_from_another_department_completes_their_task(desk):
    ticket = desk.ticket()
    task = task_create(
        ticket=ticket,
        title="Move the desk",
        department=desk.sales,
        assignee=desk.sales_agent,
        by=desk.agent.user,
    )

    with time_machine.travel(NOW, tick=False):
        task_complete(task=task, by=desk.sales_agent.user)

    task.refresh_from_db()
    assert (task.status, task.completed_at, task.completed_by) == (
        TaskStatus.DONE,
        NOW,
        desk.sales_agent.user,
    )
    event = ticket.events.get(kind=EventKind.TASK_COMPLETED)
    assert (event.actor, event.data) == (
        desk.sales_agent.user,
        {"task": _ref(task, "Move the desk")},
    )

    task_reopen(task=task, by=desk.sales_agent.user)
    task.refresh_from_db()
    assert (task.status, task.completed_at, task.completed_by) == (TaskStatus.OPEN, None, None)
    assert ticket.events.filter(kind=EventKind.TASK_REOPENED).count() == 1


def test_but_may_not_edit_or_delete_it(desk):
    task = task_create(
        ticket=desk.ticket(),
        title="Move the desk",
        department=desk.sales,
        assignee=desk.sales_agent,
        by=desk.agent.user,
    )

    with pytest.raises(NotPermitted):
        task_edit(task=task, title="Mine now", by=desk.sales_agent.user)
    with pytest.raises(NotPermitted):
        task_delete(task=task, by=desk.sales_agent.user)


def test_someone_else_of_another_department_cannot_complete_a_task(desk):
    task = task_create(ticket=desk.ticket(), title="Replace the monitor", by=desk.agent.user)

    with pytest.raises(NotPermitted) as error:
        task_complete(task=task, by=desk.sales_agent.user)
    assert error.value.message == TASK_NOT_YOURS


def test_completing_twice_is_refused(desk):
    task = task_create(ticket=desk.ticket(), title="Replace the monitor", by=desk.agent.user)
    task_complete(task=task, by=desk.agent.user)

    with pytest.raises(InvalidInput) as error:
        task_complete(task=task, by=desk.agent.user)
    assert error.value.message == TASK_ALREADY_DONE.format(title="Replace the monitor")


def test_deleting_keeps_the_story(desk):
    ticket = desk.ticket()
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    pk = task.pk

    task_delete(task=task, by=desk.agent.user)

    assert not Task.objects.exists()
    event = ticket.events.get(kind=EventKind.TASK_DELETED)
    assert event.data == {"task": {"id": pk, "name": "Replace the monitor"}}


# The resolve guard -----------------------------------------------------------------------


def test_a_ticket_with_open_tasks_is_not_resolved_unless_confirmed(desk):
    ticket = desk.ticket()
    first = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    task_create(ticket=ticket, title="Move the desk", by=desk.agent.user)

    with pytest.raises(OpenTasks) as error:
        ticket_resolve(ticket=ticket, by=desk.agent.user)

    assert error.value.message == OPEN_TASKS.format(
        number=ticket.number, count=2, s="s", titles="“Replace the monitor”, “Move the desk”"
    )
    assert [t.title for t in error.value.tasks] == ["Replace the monitor", "Move the desk"]
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    ticket_resolve(ticket=ticket, by=desk.agent.user, confirm_open_tasks=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    first.refresh_from_db()
    assert first.status == TaskStatus.OPEN  # confirming leaves the tasks as they are


def test_done_tasks_do_not_hold_a_ticket_back(desk):
    ticket = desk.ticket()
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    task_complete(task=task, by=desk.agent.user)

    ticket_resolve(ticket=ticket, by=desk.agent.user)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_requester_marking_it_solved_is_not_held_back(desk):
    ticket = desk.ticket()
    task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)

    ticket_resolve(ticket=ticket, by=desk.requester)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_bulk_resolve_skips_tickets_with_open_tasks(desk):
    held = desk.ticket()
    free = desk.ticket(subject="Printer")
    task_create(ticket=held, title="Replace the monitor", by=desk.agent.user)

    outcome = ticket_bulk_apply(
        numbers=[held.number, free.number], action="status", status="resolved", by=desk.agent.user
    )

    assert outcome.done == [free.number]
    assert outcome.failed == [
        (
            held.number,
            OPEN_TASKS.format(number=held.number, count=1, s="", titles="“Replace the monitor”"),
        )
    ]


def test_tasks_of_a_closed_ticket_may_still_be_completed(desk):
    ticket = desk.ticket()
    task = task_create(ticket=ticket, title="Replace the monitor", by=desk.agent.user)
    ticket_close(ticket=ticket, by=desk.agent.user)

    task_complete(task=task, by=desk.agent.user)

    with pytest.raises(TransitionNotAllowed):
        task_reopen(task=task, by=desk.agent.user)


def test_the_email_names_a_task_deleted_before_it_was_sent(desk):
    ticket = desk.ticket()
    task = task_create(
        ticket=ticket, title="Replace the monitor", assignee=desk.agent, by=desk.manager.user
    )
    task_delete(task=task, by=desk.manager.user)

    notifications_send_pending()

    (email,) = [m for m in mail.outbox if "Task for you" in m.subject]
    assert (email.to, email.subject) == (
        [desk.agent.user.email],
        f"[#{ticket.number}] Task for you: Replace the monitor",
    )
    assert "/agent/tasks/" in email.body
