"""A TicketRequest (osTicket's fields) made into a ticket through our services, as the
key's agent, with osTicket's answers when it cannot be.

osTicket's ids (topicId, deptId, slaId, staffId, statusId, priorityId) mean something here
only through OsTicketMapping; an id with no mapping is logged and left out, as osTicket
leaves out an id it does not know. Files go through tickets.attachments' checks one by
one: a refused file is named in the ticket's text, and the ticket is opened without it.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email

from accounts.models import Agent, Department
from accounts.services import guest_user_get_or_create
from api.models import ApiKey, OsTicketMapping
from api.osticket.parsing import TicketRequest
from mail.parsing import html_to_text
from sla.models import SLAPlan
from tickets import services
from tickets.attachments import attachments_validate
from tickets.errors import InvalidInput, NotPermitted, TicketError
from tickets.events import acting_via
from tickets.models import HelpTopic, Priority, Source, Status, Ticket
from tickets.transitions import ACTIONS
from web.html import sanitize_html

logger = logging.getLogger(__name__)

# osTicket's texts (class.ticket.php, api.tickets.php).
VALIDATION_ERRORS = "Unable to create new ticket: validation errors"
TICKET_DENIED = "Ticket denied"
MISSING_DATA = "Missing or invalid data - check the errors and try again"
INVALID_ORIGIN = "Invalid ticket origin given"
MESSAGE_REQUIRED = "Message content is required"
SUBJECT_REQUIRED = "Issue Summary is a required field"
CLIENT_INCOMPLETE = "Incomplete client information"
TOPIC_REQUIRED = {"web": "Select a help topic", "staff": "Help topic selection is required"}
# osTicket's origins, and ours for each.
SOURCES = {"api": Source.API, "email": Source.EMAIL, "web": Source.WEB, "staff": Source.AGENT}
NOT_ATTACHED = "[Not attached: {reason}]"


class Refused(Exception):
    """osTicket's answer: the status and the text/html body."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


def validation_errors(errors: dict[str, str]) -> Refused:
    lines = "\n".join(f"{key}: {value}" for key, value in errors.items())
    return Refused(400, f"{VALIDATION_ERRORS}:\n{lines}")


@dataclass
class _Mapped:
    help_topic: HelpTopic | None = None
    department: Department | None = None
    priority: int | None = None
    plan: SLAPlan | None = None
    agent: Agent | None = None
    status: str | None = None


def _mapping(kind: str, value: str) -> str | None:
    if not value:
        return None
    if not value.isdigit():
        logger.warning("osTicket API: %s id %r is not a number: ignored", kind, value)
        return None
    found = (
        OsTicketMapping.objects.filter(kind=kind, osticket_id=int(value))
        .values_list("our_id", flat=True)
        .first()
    )
    if found is None:
        logger.warning("osTicket API: no mapping for %s id %s: ignored", kind, value)
    return found


def _row(model, our_id: str | None, **filters):
    if our_id is None or not our_id.isdigit():
        return None
    return model.objects.filter(pk=int(our_id), **filters).first()


def _priority(fields: dict[str, str]) -> int | None:
    value = fields.get("priorityId") or fields.get("priority") or ""
    mapped = _mapping(OsTicketMapping.Kind.PRIORITY, value) if value.isdigit() else None
    # osTicket's own priorities are 1 low, 2 normal, 3 high, 4 emergency: ours too.
    for candidate in (mapped, value):
        if candidate and candidate.isdigit() and int(candidate) in Priority.values:
            return int(candidate)
    return None


def _mapped(fields: dict[str, str]) -> _Mapped:
    kind = OsTicketMapping.Kind
    status = _mapping(kind.STATUS, fields.get("statusId", ""))
    return _Mapped(
        help_topic=_row(HelpTopic, _mapping(kind.TOPIC, fields.get("topicId", ""))),
        department=_row(Department, _mapping(kind.DEPARTMENT, fields.get("deptId", ""))),
        priority=_priority(fields),
        plan=_row(SLAPlan, _mapping(kind.SLA, fields.get("slaId", ""))),
        agent=_row(Agent, _mapping(kind.STAFF, fields.get("staffId", "")), is_active=True),
        status=status if status in Status.values else None,
    )


def _checked(request: TicketRequest) -> str:
    """osTicket's checks, in its order; the origin (our Source) if they pass."""
    fields, errors = request.fields, {}
    origin = (fields.get("source") or "API").strip().lower()
    if origin not in SOURCES:
        errors["origin"] = errors["err"] = INVALID_ORIGIN
    elif origin in TOPIC_REQUIRED and not fields.get("topicId"):
        errors["topicId"] = TOPIC_REQUIRED[origin]
    if not request.message.strip():
        errors["message"] = MESSAGE_REQUIRED
    if errors and "err" not in errors:
        errors["err"] = MISSING_DATA
    if not fields.get("subject"):
        errors["subject"] = SUBJECT_REQUIRED
    try:
        validate_email(fields.get("email", ""))
        if not fields.get("name"):
            raise ValidationError("no name")
    except ValidationError:
        errors["user"] = CLIENT_INCOMPLETE
    if errors:
        raise validation_errors(errors)
    return SOURCES[origin]


def _files(request: TicketRequest) -> tuple[list, list[str]]:
    accepted, notes = [], []
    for file in request.files:
        if file.error:
            notes.append(NOT_ATTACHED.format(reason=file.error))
            continue
        if len(accepted) >= settings.ATTACHMENT_MAX_COUNT:
            reason = f"{file.name}: more than {settings.ATTACHMENT_MAX_COUNT} files"
            notes.append(NOT_ATTACHED.format(reason=reason))
            continue
        upload = SimpleUploadedFile(file.name[:200] or "attachment", file.content)
        try:
            attachments_validate([upload])
        except InvalidInput as error:
            notes.append(NOT_ATTACHED.format(reason=error.message))
            continue
        upload.seek(0)
        accepted.append(upload)
    return accepted, notes


def _body(request: TicketRequest, notes: list[str]) -> tuple[str, str]:
    """The text and (sanitised, for a message sent as HTML) the HTML of the first entry."""
    html = sanitize_html(request.message) if request.message_is_html else ""
    text = html_to_text(html) if html else request.message.strip()
    text = text or request.message.strip()
    room = services.BODY_MAX_LENGTH - sum(len(n) + 1 for n in notes) - 2
    text = text[: max(room, 0)]
    if notes:
        text += "\n\n" + "\n".join(notes)
    return text, html


def _home_department(key: ApiKey) -> Department | None:
    """Where a ticket goes that names neither topic nor department: the first of the key's
    agent's departments."""
    return (
        Department.objects.filter(memberships__agent__user=key.user, is_active=True)
        .order_by("pk")
        .first()
    )


def _afterwards(ticket: Ticket, mapped: _Mapped, by) -> None:
    """osTicket's extras that are changes of their own here: each through its service, and
    each on its own (an assignee the key may not set leaves the plan and status set)."""
    steps = []
    if mapped.plan is not None:
        steps.append(
            ("slaId", lambda t: services.ticket_set_plan(ticket=t, plan=mapped.plan, by=by))
        )
    if mapped.agent is not None:
        steps.append(
            ("staffId", lambda t: services.ticket_assign(ticket=t, agent=mapped.agent, by=by))
        )
    if mapped.status:
        steps.append(("statusId", lambda t: _set_status(t, mapped.status, by)))
    for name, step in steps:
        try:
            ticket = step(ticket) or ticket
        except TicketError as error:
            logger.warning(
                "osTicket API: ticket %s: %s not applied: %s", ticket.number, name, error
            )


def _set_status(ticket: Ticket, status: str, by) -> Ticket | None:
    ticket.refresh_from_db()
    if status == ticket.status:
        return ticket
    action = next(
        (a for a in ACTIONS.values() if a.target == status and a.allows(ticket.status)), None
    )
    if action is None:
        raise InvalidInput(f"No action leads from {ticket.status} to {status}.")
    return services.ticket_change_status(ticket=ticket, action=action.name, by=by)


def osticket_ticket_create(*, key: ApiKey, request: TicketRequest) -> Ticket:
    """The ticket osTicket would have opened for this request; Refused otherwise."""
    for unknown in request.unknown:
        logger.warning("osTicket API: %s: Unexpected data received in API request", unknown)
    source = _checked(request)
    mapped = _mapped(request.fields)
    files, notes = _files(request)
    body, html = _body(request, notes)
    by = key.user
    department = mapped.department
    if department is None and mapped.help_topic is None:
        department = _home_department(key)
    try:
        with acting_via(f"API key {key.name}"):
            requester = guest_user_get_or_create(
                email=request.fields["email"], display_name=request.fields["name"][:150]
            )
            if not requester.is_active:
                raise Refused(403, TICKET_DENIED)
            ticket = services.ticket_create(
                requester=requester,
                by=by,
                subject=request.fields["subject"][: services.SUBJECT_MAX_LENGTH],
                body=body,
                html=html,
                help_topic=mapped.help_topic,
                department=department,
                priority=mapped.priority,
                source=source,
                attachments=files,
                # osTicket's autorespond=false: no acknowledgement to the requester.
                automated=not request.autorespond,
                # osTicket's alert=false: the department's agents are not told.
                alert_agents=request.alert,
            )
            _afterwards(ticket, mapped, by)
    except NotPermitted as error:
        raise validation_errors({"err": error.message}) from None
    except (TicketError, ValidationError) as error:
        message = getattr(error, "message", None) or "; ".join(getattr(error, "messages", []))
        raise validation_errors({"err": str(message or error)}) from None
    return ticket
