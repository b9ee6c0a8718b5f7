"""Intake: a new ticket, from the web form, an agent, the mail channel and the API; given to
an agent at once when its department auto-assigns (tickets/services/auto_assign.py)."""

import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Department, Organization
from accounts.roles import SYSTEM, is_agent, is_system
from accounts.services import guest_user_get_or_create
from sla.models import SLAPlan
from tickets import access
from tickets.attachments import attachments_store, attachments_validate, files_removed_on_error
from tickets.clocks import clocks_for_new_ticket
from tickets.errors import InvalidInput, NotPermitted
from tickets.events import status_ref
from tickets.fieldvalues import FieldValue
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
)
from tickets.numbering import next_ticket_number
from tickets.search_index import search_document_create
from tickets.services.auto_assign import auto_assignment_on, ticket_auto_assign
from tickets.services.common import BODY_MAX_LENGTH, clean_text, record_event
from tickets.services.fields import fields_clean, fields_store_new
from tickets.services.notifications import notify_new_ticket, notify_requester

SUBJECT_MAX_LENGTH = Ticket._meta.get_field("subject").max_length
INTAKE_TOKEN_MAX_LENGTH = Ticket._meta.get_field("intake_token").max_length


def default_plan_for(
    *, help_topic: HelpTopic | None, department: Department, requester=None
) -> SLAPlan | None:
    """A new ticket's plan: the help topic's, else the requester's organization's (if it
    names an active one), else the department's, else the system default.

    The topic wins because it says what the work is (an outage is Critical whoever reports
    it); the organization's plan is what a customer was promised for everything else; the
    department's is the desk's own fallback. docs/organizations.md, decision 0039.
    """
    if help_topic is not None and help_topic.sla_plan_id:
        return help_topic.sla_plan
    plan = _organization_plan(requester)
    if plan is not None:
        return plan
    if department.default_sla_plan_id:
        return department.default_sla_plan
    return SLAPlan.objects.filter(is_default=True, is_active=True).first()


def _organization_plan(requester) -> SLAPlan | None:
    # One query, only for a member of an organization: the others cost nothing more.
    organization_id = getattr(requester, "organization_id", None)
    if organization_id is None:
        return None
    return SLAPlan.objects.filter(
        is_active=True,
        pk__in=Organization.objects.filter(pk=organization_id).values("default_sla_plan_id"),
    ).first()


def new_access_key() -> str:
    """The secret of a ticket's private link: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class _Intake:
    """A new ticket's values, checked and completed from its help topic."""

    requester: object
    subject: str
    body: str
    help_topic: HelpTopic | None
    department: Department
    priority: int
    source: str
    intake_token: str | None
    html: str = ""
    quoted: str = ""
    automated: bool = False
    alert_agents: bool = True
    # The custom fields' values, checked (tickets/services/fields.py), by field id.
    fields: Mapping[int, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Opened:
    """A new ticket and its first thread entry, the requester's message."""

    ticket: Ticket
    entry: ThreadEntry


def ticket_create(**arguments) -> Ticket:
    """Open a ticket (see ticket_open, whose keyword arguments these are): the ticket."""
    return ticket_open(**arguments).ticket


def ticket_open(
    *,
    requester,
    subject: str,
    body: str,
    by,
    help_topic: HelpTopic | None = None,
    department: Department | None = None,
    priority: int | None = None,
    source: str = Source.WEB,
    attachments: Sequence = (),
    intake_token: str | None = None,
    html: str = "",
    quoted: str = "",
    automated: bool = False,
    alert_agents: bool = True,
    fields: Mapping[str, object] | None = None,
) -> Opened:
    """Open a ticket with the requester's first message, and acknowledge it by email.

    `by` is who opens it: the requester themselves, an agent opening a ticket for someone,
    or the system (the mail channel, the API). The help topic decides department, SLA plan
    and default priority; an explicit department or priority wins over it. `attachments`
    are uploaded files, checked by content (tickets/attachments.py). `intake_token` makes a
    submission idempotent: the same token returns the ticket the first submission created,
    even when both arrive at once. Mail brings `html` (already sanitised) and `quoted`
    history; `automated` (a machine wrote it) opens the ticket without acknowledging it.
    `alert_agents=False` (osTicket's API `alert: false`) tells the department's agents
    nothing: the ticket waits in their queue.

    `fields` are the help topic's custom fields, by name, as the form or the API sends
    them: checked by tickets.services.fields (FieldErrors names each that fails); a
    requester may fill only those requesters see. None (the mail channel, osTicket's API)
    stores none and requires none: mail is never refused for a missing field, and its
    ticket opens with the fields empty for an agent to fill.

    Answers with the ticket and that first entry (the mail channel records the entry on
    its ledger row: no read of what was just written); ticket_create with the ticket.
    """
    intake = _checked_intake(
        requester=requester,
        subject=subject,
        body=body,
        by=by,
        help_topic=help_topic,
        department=department,
        priority=priority,
        source=source,
        intake_token=intake_token,
    )
    intake = dataclasses.replace(
        intake,
        html=html,
        quoted=quoted,
        automated=automated,
        alert_agents=alert_agents,
        fields=_checked_fields(fields, help_topic=intake.help_topic, by=by),
    )
    files = attachments_validate(attachments)
    try:
        return _create(intake, by=by, files=files)
    except IntegrityError:
        # The form was submitted before (a double click, a refreshed POST, two at once):
        # the unique token refused a second ticket; answer with the first. Asking first
        # would cost every submission a query to catch the rare repeat.
        token = intake.intake_token
        existing = token and Ticket.objects.filter(intake_token=token).first()
        if not existing:
            raise
        ticket = _same_submission(existing, requester)
        return Opened(ticket, ticket.entries.order_by("id").first())


def _checked_intake(
    *, requester, subject, body, by, help_topic, department, priority, source, intake_token
) -> _Intake:
    if not (by == requester or is_system(by) or is_agent(by)):
        raise NotPermitted("Only the requester or an agent can open a ticket for them.")
    subject = clean_text(subject, field="subject", max_length=SUBJECT_MAX_LENGTH)
    body = clean_text(body, field="description", max_length=BODY_MAX_LENGTH)
    department = _department_for(help_topic, department)
    if (
        by != requester
        and not is_system(by)
        and not access.can_work_in_department(by, department.pk)
    ):
        # An agent opens tickets for others only in the departments they work.
        raise NotPermitted("You do not work in this ticket's department.")
    if priority is None:
        priority = help_topic.default_priority if help_topic else Priority.NORMAL
    if priority not in Priority.values:
        raise InvalidInput("Choose a valid priority.")
    if source not in Source.values:
        raise InvalidInput("Unknown ticket source.")
    if not requester.is_active:
        raise NotPermitted("This account is disabled.")
    return _Intake(
        requester=requester,
        subject=subject,
        body=body,
        help_topic=help_topic,
        department=department,
        priority=priority,
        source=source,
        intake_token=_checked_token(intake_token),
    )


def _checked_fields(values, *, help_topic: HelpTopic | None, by) -> dict[int, FieldValue]:
    if values is None:
        return {}
    # Agents (and the system, for an API key's agent) fill every field; requesters
    # only those they see.
    for_requester = not (is_agent(by) or is_system(by))
    topic_id = help_topic.pk if help_topic else None
    fields = access.topic_fields(topic_id, for_requester=for_requester)
    return fields_clean(fields=fields, values=values)


def _department_for(help_topic: HelpTopic | None, department: Department | None) -> Department:
    if help_topic is not None and not help_topic.is_active:
        raise InvalidInput("This help topic is no longer offered.")
    if department is None and help_topic is not None:
        department = help_topic.department
    if department is None:
        raise InvalidInput("Choose a help topic or a department.")
    if not department.is_active:
        raise InvalidInput("This department does not take new tickets.")
    return department


def _checked_token(intake_token: str | None) -> str | None:
    if intake_token is None:
        return None
    intake_token = intake_token.strip()
    if not intake_token or len(intake_token) > INTAKE_TOKEN_MAX_LENGTH:
        raise InvalidInput("This form has expired; please reload the page.")
    return intake_token


def _same_submission(ticket: Ticket, requester) -> Ticket:
    if ticket.requester_id != requester.pk:
        raise InvalidInput("This form was already used; please reload the page.")
    return ticket


def _create(intake: _Intake, *, by, files) -> Opened:
    now = timezone.now()
    plan = default_plan_for(
        help_topic=intake.help_topic, department=intake.department, requester=intake.requester
    )
    new_clocks = clocks_for_new_ticket(plan=plan, now=now)
    with files_removed_on_error() as written, transaction.atomic():
        ticket = Ticket.objects.create(
            number=next_ticket_number(),
            subject=intake.subject,
            requester=intake.requester,
            department=intake.department,
            help_topic=intake.help_topic,
            priority=intake.priority,
            status=Status.OPEN,
            sla_plan=plan,
            source=intake.source,
            created_at=now,
            updated_at=now,
            next_warn_at=new_clocks.next_warn_at,
            next_due_at=new_clocks.next_due_at,
            access_key=new_access_key(),
            intake_token=intake.intake_token,
        )
        entry = ThreadEntry.objects.create(
            ticket=ticket,
            kind=EntryKind.MESSAGE,
            author=intake.requester,
            body=intake.body,
            body_html=intake.html,
            quoted=intake.quoted,
            source=intake.source,
            created_at=now,
        )
        attachments_store(ticket=ticket, entry=entry, files=files, written=written)
        search_document_create(ticket_id=ticket.pk, subject=intake.subject, body=intake.body)
        if intake.fields:
            fields_store_new(ticket=ticket, values=intake.fields)
        event = record_event(ticket, EventKind.CREATED, by, {"to": status_ref(Status.OPEN)})
        new_clocks.save_for(ticket)
        if intake.alert_agents:
            notify_new_ticket(ticket=ticket, event=event, by=by)
        if not intake.automated:
            notify_requester(ticket, Notification.Kind.REQUESTER_ACKNOWLEDGEMENT, event=event)
        if auto_assignment_on(intake.department):
            # In the creating transaction: nobody ever sees the ticket unassigned.
            ticket = ticket_auto_assign(ticket=ticket, by=SYSTEM)
    return Opened(ticket, entry)


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
    fields: Mapping[str, object] | None = None,
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
        by=requester,
        subject=subject,
        body=body,
        help_topic=help_topic,
        source=Source.WEB,
        attachments=attachments,
        intake_token=intake_token,
        fields=fields if fields is not None else {},
    )
