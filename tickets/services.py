"""Every change to a ticket happens here.

Each service runs in one transaction, locks the ticket row it changes, checks the move is
allowed (tickets/transitions.py, tickets/access.py), saves only the fields it changed, and
writes its TicketEvent in the same transaction. Side effects such as email are queued with
transaction.on_commit, so nothing is sent for a change that rolled back.

`by` is the acting user. `by=None` means the system (the SLA sweep): it skips the
permission checks, which views never do.
"""

import secrets
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Agent, Department
from accounts.services import guest_user_get_or_create
from sla.models import SLAPlan
from tickets import access, clocks
from tickets.agent_notifications import (
    notify_assigned,
    notify_new_ticket,
    notify_requester_replied,
)
from tickets.attachments import attachments_store, attachments_validate, files_removed_on_error
from tickets.errors import (
    AlreadyClaimed,
    InvalidInput,
    NewMessageArrived,
    NotPermitted,
    TransitionNotAllowed,
)
from tickets.models import (
    EntryKind,
    EventKind,
    HelpTopic,
    Notification,
    Priority,
    Source,
    Status,
    ThreadEntry,
    Ticket,
    TicketEvent,
)
from tickets.numbering import next_ticket_number
from tickets.search import search_document_append, search_document_create
from tickets.transitions import can_transition

SUBJECT_MAX_LENGTH = Ticket._meta.get_field("subject").max_length
BODY_MAX_LENGTH = 100_000
INTAKE_TOKEN_MAX_LENGTH = Ticket._meta.get_field("intake_token").max_length
EVENT_VALUE_MAX_LENGTH = TicketEvent._meta.get_field("old_value").max_length


# Helpers ----------------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    """A fresh copy of the ticket, locked until the transaction ends."""
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)


def _record(ticket: Ticket, kind: str, by, old="", new="") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=by,
        old_value=str(old)[:EVENT_VALUE_MAX_LENGTH],
        new_value=str(new)[:EVENT_VALUE_MAX_LENGTH],
        created_at=timezone.now(),
    )


def _save(ticket: Ticket, *fields: str) -> None:
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*fields, "updated_at"])


def _clean_text(value, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"The {field} cannot be empty.")
    if len(text) > max_length:
        raise InvalidInput(f"The {field} is too long (at most {max_length:,} characters).")
    if "\x00" in text:
        raise InvalidInput(f"The {field} contains a character that cannot be stored.")
    return text


def _require_agent(by, ticket: Ticket) -> None:
    if by is not None and not access.can_work_ticket(by, ticket):
        raise NotPermitted("You do not work in this ticket's department.")


def _require_requester_or_agent(by, ticket: Ticket) -> None:
    if by is not None and not (
        access.is_requester(by, ticket) or access.can_work_ticket(by, ticket)
    ):
        raise NotPermitted("You cannot change this ticket.")


def _require_open_for_work(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise TransitionNotAllowed(f"Ticket #{ticket.number} is closed.")


def _display(value) -> str:
    return "" if value is None else str(value)


def _priority_label(value: int) -> str:
    return Priority(value).label


def default_plan_for(*, help_topic: HelpTopic | None, department: Department) -> SLAPlan | None:
    """The help topic's plan, else the department's, else the system default."""
    if help_topic is not None and help_topic.sla_plan_id:
        return help_topic.sla_plan
    if department.default_sla_plan_id:
        return department.default_sla_plan
    return SLAPlan.objects.filter(is_default=True, is_active=True).first()


def _change_status(
    ticket: Ticket, target: str, by, *, kind=EventKind.STATUS_CHANGED
) -> TicketEvent:
    """Move a locked ticket to `target`, or raise if the lifecycle does not allow it.

    Returns the event it recorded, for notifications that point at it.
    """
    current = ticket.status
    if not can_transition(current, target):
        raise TransitionNotAllowed(
            f"Ticket #{ticket.number} cannot go from {Status(current).label.lower()} "
            f"to {Status(target).label.lower()}."
        )
    now = timezone.now()
    ticket.status = target
    fields = ["status"]
    if target == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif target == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif target == Status.OPEN and ticket.resolved_at is not None:
        ticket.resolved_at = None
        fields.append("resolved_at")
    _save(ticket, *fields)
    event = _record(ticket, kind, by, old=current, new=target)
    clocks.clocks_on_status_change(ticket, old=current, now=now)
    return event


def new_access_key() -> str:
    """The secret of a ticket's private link: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def _notify_requester(
    ticket: Ticket, kind: str, *, event: TicketEvent | None = None, entry=None
) -> None:
    """Queue an email to the requester in the outbox, sent by the worker after commit."""
    requester = ticket.requester
    if not requester.is_active or not requester.email:
        return
    Notification.objects.create(
        kind=kind, ticket=ticket, recipient=requester, event=event, entry=entry
    )
    from tickets.notifications import notifications_wake_sender

    transaction.on_commit(notifications_wake_sender)


# Intake -------------------------------------------------------------------------------


def ticket_create(
    *,
    requester,
    subject: str,
    body: str,
    help_topic: HelpTopic | None = None,
    department: Department | None = None,
    priority: int | None = None,
    source: str = Source.WEB,
    by=None,
    attachments: Sequence = (),
    intake_token: str | None = None,
) -> Ticket:
    """Open a ticket with the requester's first message, and acknowledge it by email.

    The help topic decides department, SLA plan and default priority; an explicit
    department or priority (an agent opening a ticket for someone) wins over it.
    `attachments` are uploaded files, checked by content (tickets/attachments.py).
    `intake_token` makes a submission idempotent: the same token returns the ticket the
    first submission created, even when both arrive at once.
    """
    subject = _clean_text(subject, field="subject", max_length=SUBJECT_MAX_LENGTH)
    body = _clean_text(body, field="description", max_length=BODY_MAX_LENGTH)
    if help_topic is not None and not help_topic.is_active:
        raise InvalidInput("This help topic is no longer offered.")
    if department is None and help_topic is not None:
        department = help_topic.department
    if department is None:
        raise InvalidInput("Choose a help topic or a department.")
    if not department.is_active:
        raise InvalidInput("This department does not take new tickets.")
    if priority is None:
        priority = help_topic.default_priority if help_topic else Priority.NORMAL
    if priority not in Priority.values:
        raise InvalidInput("Choose a valid priority.")
    if source not in Source.values:
        raise InvalidInput("Unknown ticket source.")
    if not requester.is_active:
        raise NotPermitted("This account is disabled.")
    if intake_token is not None:
        intake_token = intake_token.strip()
        if not intake_token or len(intake_token) > INTAKE_TOKEN_MAX_LENGTH:
            raise InvalidInput("This form has expired; please reload the page.")
    files = attachments_validate(attachments)

    try:
        return _create(
            requester=requester,
            subject=subject,
            body=body,
            help_topic=help_topic,
            department=department,
            priority=priority,
            source=source,
            by=by,
            files=files,
            intake_token=intake_token,
        )
    except IntegrityError:
        # The form was submitted before (a double click, a refreshed POST, two at once):
        # the unique token refused a second ticket; answer with the first. Asking first
        # would cost every submission a query to catch the rare repeat.
        existing = intake_token and Ticket.objects.filter(intake_token=intake_token).first()
        if not existing:
            raise
        return _same_submission(existing, requester)


def _same_submission(ticket: Ticket, requester) -> Ticket:
    if ticket.requester_id != requester.pk:
        raise InvalidInput("This form was already used; please reload the page.")
    return ticket


def _create(
    *, requester, subject, body, help_topic, department, priority, source, by, files, intake_token
) -> Ticket:
    now = timezone.now()
    plan = default_plan_for(help_topic=help_topic, department=department)
    new_clocks = clocks.clocks_for_new_ticket(plan=plan, now=now)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = Ticket.objects.create(
            number=next_ticket_number(),
            subject=subject,
            requester=requester,
            department=department,
            help_topic=help_topic,
            priority=priority,
            status=Status.OPEN,
            sla_plan=plan,
            source=source,
            created_at=now,
            updated_at=now,
            next_warn_at=new_clocks.next_warn_at,
            next_due_at=new_clocks.next_due_at,
            access_key=new_access_key(),
            intake_token=intake_token,
        )
        entry = ThreadEntry.objects.create(
            ticket=ticket, kind=EntryKind.MESSAGE, author=requester, body=body, created_at=now
        )
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        search_document_create(ticket_id=ticket.pk, subject=subject, body=body)
        event = _record(ticket, EventKind.CREATED, by or requester, new=Status.OPEN)
        new_clocks.save_for(ticket)
        notify_new_ticket(ticket=ticket, event=event, by=by or requester)
        _notify_requester(ticket, Notification.Kind.REQUESTER_ACKNOWLEDGEMENT, event=event)
    return ticket


# Assignment ---------------------------------------------------------------------------


def ticket_claim(*, ticket: Ticket, by) -> Ticket:
    """The acting agent takes an unassigned ticket. Of two agents at once, one wins."""
    agent = access.agent_of(by)
    if agent is None:
        raise NotPermitted("Only agents can claim tickets.")
    with transaction.atomic():
        ticket = _lock(ticket)
        if not agent.memberships.filter(department_id=ticket.department_id).exists():
            raise NotPermitted("You can only claim tickets of your own departments.")
        if ticket.status not in (Status.OPEN, Status.PENDING):
            raise TransitionNotAllowed(f"Ticket #{ticket.number} is {ticket.status}.")
        if ticket.assignee_id is not None:
            if ticket.assignee_id == agent.pk:
                raise AlreadyClaimed(f"Ticket #{ticket.number} is already yours.")
            holder = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
            raise AlreadyClaimed(f"Ticket #{ticket.number} was already claimed by {holder}.")
        ticket.assignee = agent
        _save(ticket, "assignee")
        _record(ticket, EventKind.CLAIMED, by, new=agent)
    return ticket


def ticket_assign(*, ticket: Ticket, agent: Agent | None, by) -> Ticket:
    """Give the ticket to an agent of its department (None: unassign). Managers only."""
    with transaction.atomic():
        ticket = _lock(ticket)
        if by is not None and not access.can_manage_department(by, ticket.department_id):
            raise NotPermitted("Only a manager of this department can assign its tickets.")
        _require_open_for_work(ticket)
        if (
            agent is not None
            and not access.assignable_agents(ticket.department).filter(pk=agent.pk).exists()
        ):
            raise InvalidInput(f"{agent} does not work in {ticket.department}.")
        if ticket.assignee_id == (agent.pk if agent else None):
            return ticket
        old = Agent.objects.select_related("user").filter(pk=ticket.assignee_id).first()
        ticket.assignee = agent
        _save(ticket, "assignee")
        event = _record(ticket, EventKind.ASSIGNED, by, old=_display(old), new=_display(agent))
        if agent is not None:
            notify_assigned(ticket=ticket, agent=agent, event=event, by=by)
    return ticket


def ticket_transfer(*, ticket: Ticket, department: Department, by) -> Ticket:
    """Move the ticket to another department; an assignee who does not work there is let go."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        _require_open_for_work(ticket)
        if not department.is_active:
            raise InvalidInput(f"{department} does not take tickets.")
        if department.pk == ticket.department_id:
            raise InvalidInput(f"Ticket #{ticket.number} is already in {department}.")
        old_department = Department.objects.get(pk=ticket.department_id)
        ticket.department = department
        fields = ["department"]
        if ticket.assignee_id is not None:
            stays = access.assignable_agents(department).filter(pk=ticket.assignee_id).exists()
            if not stays:
                old_assignee = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
                ticket.assignee = None
                fields.append("assignee")
                _record(ticket, EventKind.ASSIGNED, by, old=old_assignee, new="")
        _save(ticket, *fields)
        _record(ticket, EventKind.TRANSFERRED, by, old=old_department, new=department)
    return ticket


# Priority and plan --------------------------------------------------------------------


def ticket_set_priority(*, ticket: Ticket, priority: int, by) -> Ticket:
    if priority not in Priority.values:
        raise InvalidInput("Choose a valid priority.")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        _require_open_for_work(ticket)
        if ticket.priority == priority:
            return ticket
        old = ticket.priority
        ticket.priority = priority
        _save(ticket, "priority")
        _record(
            ticket,
            EventKind.PRIORITY_CHANGED,
            by,
            old=_priority_label(old),
            new=_priority_label(priority),
        )
    return ticket


def ticket_set_plan(*, ticket: Ticket, plan: SLAPlan | None, by) -> Ticket:
    if plan is not None and not plan.is_active:
        raise InvalidInput(f"The plan {plan} is retired.")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        _require_open_for_work(ticket)
        if ticket.sla_plan_id == (plan.pk if plan else None):
            return ticket
        old = SLAPlan.objects.filter(pk=ticket.sla_plan_id).first()
        ticket.sla_plan = plan
        _save(ticket, "sla_plan")
        _record(ticket, EventKind.PLAN_CHANGED, by, old=_display(old), new=_display(plan))
        clocks.clocks_on_plan_change(ticket, now=timezone.now())
    return ticket


# Conversation -------------------------------------------------------------------------


def _add_entry(ticket: Ticket, kind: str, body: str, by) -> ThreadEntry:
    now = timezone.now()
    entry = ThreadEntry.objects.create(
        ticket=ticket, kind=kind, author=by, body=body, created_at=now
    )
    search_document_append(ticket_id=ticket.pk, body=body)
    _save(ticket)
    return entry


def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    by,
    last_seen_entry_id: int | None = None,
    attachments: Sequence = (),
) -> ThreadEntry:
    """An agent's answer to the requester, emailed to them.

    `attachments` are uploaded files, checked by content (tickets/attachments.py).
    `last_seen_entry_id` is the newest thread entry the agent had on screen while writing.
    If the requester has written since, the reply is held back (NewMessageArrived) so the
    agent reads the new message before answering, instead of replying blindly. The check
    runs under the ticket's lock, so a message cannot slip in between check and send.
    """
    body = _clean_text(body, field="reply", max_length=BODY_MAX_LENGTH)
    if access.agent_of(by) is None and not (by and by.is_superuser):
        raise NotPermitted("Only agents can reply.")
    files = attachments_validate(attachments)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        _require_open_for_work(ticket)
        if (
            last_seen_entry_id is not None
            and ThreadEntry.objects.filter(
                ticket=ticket, kind=EntryKind.MESSAGE, pk__gt=last_seen_entry_id
            ).exists()
        ):
            raise NewMessageArrived(
                "The requester wrote a new message while you were writing, so your reply "
                "was not sent. Read the new message, then send your reply again."
            )
        entry = _add_entry(ticket, EntryKind.REPLY, body, by)
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        clocks.clocks_on_agent_reply(ticket, now=entry.created_at)
        _notify_requester(ticket, Notification.Kind.REQUESTER_REPLY, entry=entry)
        return entry


def ticket_add_note(*, ticket: Ticket, body: str, by) -> ThreadEntry:
    """An internal note: agents only, never shown or sent to the requester."""
    body = _clean_text(body, field="note", max_length=BODY_MAX_LENGTH)
    if access.agent_of(by) is None and not (by and by.is_superuser):
        raise NotPermitted("Only agents can write internal notes.")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        return _add_entry(ticket, EntryKind.NOTE, body, by)


def ticket_add_message(
    *, ticket: Ticket, body: str, by, attachments: Sequence = ()
) -> ThreadEntry:
    """The requester writes again. A resolved ticket reopens; a pending one is open again."""
    body = _clean_text(body, field="message", max_length=BODY_MAX_LENGTH)
    files = attachments_validate(attachments)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = _lock(ticket)
        if not access.is_requester(by, ticket):
            raise NotPermitted("Only the requester can add messages to this ticket.")
        if ticket.status == Status.CLOSED:
            raise TransitionNotAllowed(
                f"Ticket #{ticket.number} is closed; please open a new ticket."
            )
        entry = _add_entry(ticket, EntryKind.MESSAGE, body, by)
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        if ticket.status == Status.RESOLVED:
            _change_status(ticket, Status.OPEN, by, kind=EventKind.REOPENED)
        elif ticket.status == Status.PENDING:
            _change_status(ticket, Status.OPEN, by)
        clocks.clocks_on_requester_message(ticket, now=entry.created_at)
        notify_requester_replied(ticket=ticket, by=by)
        return entry


# Status -------------------------------------------------------------------------------


def ticket_set_pending(*, ticket: Ticket, by) -> Ticket:
    """Waiting on the requester; clocks that may pause are paused."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        _change_status(ticket, Status.PENDING, by)
        return ticket


def ticket_set_open(*, ticket: Ticket, by) -> Ticket:
    """Back to work from pending."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        if ticket.status != Status.PENDING:
            raise TransitionNotAllowed(f"Ticket #{ticket.number} is not pending.")
        _change_status(ticket, Status.OPEN, by)
        return ticket


def ticket_resolve(*, ticket: Ticket, by) -> Ticket:
    """Solved: by an agent (the requester is told by email), or by the requester marking it so."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_requester_or_agent(by, ticket)
        event = _change_status(ticket, Status.RESOLVED, by)
        if not access.is_requester(by, ticket):
            _notify_requester(ticket, Notification.Kind.REQUESTER_RESOLVED, event=event)
        return ticket


def ticket_close(*, ticket: Ticket, by) -> Ticket:
    """Final: a closed ticket takes no more messages."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        _change_status(ticket, Status.CLOSED, by)
        return ticket


def ticket_reopen(*, ticket: Ticket, by) -> Ticket:
    """A resolved ticket goes back to work."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        if ticket.status != Status.RESOLVED:
            raise TransitionNotAllowed(
                f"Only a resolved ticket can be reopened; #{ticket.number} is {ticket.status}."
            )
        _change_status(ticket, Status.OPEN, by, kind=EventKind.REOPENED)
        return ticket


# Guest access -------------------------------------------------------------------------


def ticket_revoke_access_link(*, ticket: Ticket, by) -> Ticket:
    """Replace the ticket's private link: the old one stops working at once, sessions
    opened with it included, and the requester is emailed the new one."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_agent(by, ticket)
        ticket.access_key = new_access_key()
        ticket.save(update_fields=["access_key"])
        event = _record(ticket, EventKind.ACCESS_LINK_REVOKED, by)
        _notify_requester(ticket, Notification.Kind.REQUESTER_NEW_LINK, event=event)
    return ticket


# The public web form ------------------------------------------------------------------


def ticket_submit(
    *,
    user=None,
    name: str = "",
    email: str = "",
    help_topic: HelpTopic,
    subject: str,
    body: str,
    attachments: Sequence = (),
    intake_token: str | None = None,
) -> Ticket:
    """A ticket from the portal's form: a signed-in user's own, or a guest's, who is known
    by the email they typed (a user without a password until they sign up)."""
    # No transaction around both: a guest user left behind by a ticket that then failed
    # is harmless (as if they had signed up), and intake saves a savepoint per ticket.
    if user is not None and user.is_authenticated:
        requester = user
    else:
        if not (email or "").strip():
            raise InvalidInput("Enter your email address.")
        requester = guest_user_get_or_create(email=email, display_name=name)
    return ticket_create(
        requester=requester,
        subject=subject,
        body=body,
        help_topic=help_topic,
        source=Source.WEB,
        attachments=attachments,
        intake_token=intake_token,
    )
