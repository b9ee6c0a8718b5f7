"""The agent's ticket page: the ticket, its story, its clocks, and what can be done to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from accounts.models import Agent, Department
from sla.models import SLAPlan
from tickets import access
from tickets.fieldvalues import FieldValue
from tickets.models import (
    Attachment,
    CannedResponse,
    Collaborator,
    Draft,
    EntryKind,
    EventKind,
    MailSuppression,
    SLAClock,
    ThreadEntry,
    Ticket,
    TicketEvent,
)
from tickets.selectors.fields import ticket_fields_for_agent
from tickets.selectors.satisfaction import Rating, ratings_of
from tickets.selectors.timeline import TimelineItem, timeline_merge
from tickets.transitions import Action

OTHER_TICKETS_SHOWN = 10


@dataclass
class TicketPage:
    ticket: Ticket
    timeline: list[TimelineItem]
    clocks: list[SLAClock]
    last_entry_id: int
    canned_responses: list[CannedResponse]
    other_tickets: list[Ticket]
    # What the agent may do now, by name, from the action table (tickets/transitions.py).
    actions: dict[str, Action]
    can_manage: bool
    assignable_agents: list[Agent] = field(default_factory=list)
    transfer_departments: list[Department] = field(default_factory=list)
    plans: list[SLAPlan] = field(default_factory=list)
    is_assignee: bool = False
    # The user's unsent reply and note, by box (Draft.Box).
    drafts: dict[str, Draft] = field(default_factory=dict)
    collaborators: list[Collaborator] = field(default_factory=list)
    # People on the ticket whose address bounced for good, by user id: their stop.
    mail_stopped: dict[int, MailSuppression] = field(default_factory=dict)
    # The custom fields of the ticket's help topic, with their values (empty ones too).
    custom_fields: list[FieldValue] = field(default_factory=list)
    # The requester's ratings of its resolutions, latest first (from the timeline's events).
    ratings: list[Rating] = field(default_factory=list)

    @property
    def status_actions(self) -> list[Action]:
        return [action for action in self.actions.values() if action.target is not None]


def ticket_page_for_agent(*, user, number) -> TicketPage:
    """Everything the agent's ticket page shows, in a fixed number of queries.

    Raises Http404 for a ticket the user may not work, exactly as for a missing one.
    """
    ticket = access.ticket_get_for_agent(user=user, number=number)
    entries = _entries(ticket)
    can_manage = access.can_manage_department(user, ticket.department_id)
    agent = access.agent_of(user)
    page = TicketPage(
        ticket=ticket,
        timeline=timeline_merge(entries, _events(ticket)),
        clocks=list(
            SLAClock.objects.filter(ticket=ticket, stopped_at__isnull=True).order_by("kind", "id")
        ),
        last_entry_id=max((e.pk for e in entries), default=0),
        canned_responses=_canned_responses(ticket),
        other_tickets=_other_tickets(user, ticket),
        actions=access.actions_for_agent(ticket, can_manage=can_manage),
        can_manage=can_manage,
        is_assignee=agent is not None and ticket.assignee_id == agent.pk,
        drafts={d.box: d for d in Draft.objects.filter(ticket=ticket, author=user)},
        collaborators=list(ticket.collaborators.select_related("user")),
        custom_fields=ticket_fields_for_agent(ticket=ticket),
    )
    page.ratings = ratings_of(item.event for item in page.timeline if item.event is not None)
    page.mail_stopped = _mail_stopped(ticket, page.collaborators)
    _add_choices(page)
    return page


def _mail_stopped(ticket: Ticket, collaborators: list[Collaborator]) -> dict[int, MailSuppression]:
    people = [ticket.requester, *(c.user for c in collaborators)]
    stops = {
        stop.address: stop
        for stop in MailSuppression.objects.filter(
            address__in={p.email.lower() for p in people}, cleared_at__isnull=True
        ).select_related("ticket")
    }
    return {p.pk: stops[p.email.lower()] for p in people if p.email.lower() in stops}


def _entries(ticket: Ticket) -> list[ThreadEntry]:
    return list(
        ThreadEntry.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )


def _events(ticket: Ticket) -> list[TicketEvent]:
    return list(
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(kind=EventKind.CREATED)  # the first message says it already
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _canned_responses(ticket: Ticket) -> list[CannedResponse]:
    return list(
        CannedResponse.objects.filter(is_active=True)
        .filter(Q(department__isnull=True) | Q(department_id=ticket.department_id))
        .order_by("title")
    )


def _other_tickets(user, ticket: Ticket) -> list[Ticket]:
    """The requester's other tickets, of the departments the user works."""
    return list(
        Ticket.objects.filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .filter(department_id__in=access.agent_department_ids(user))
        .select_related("department")
        .order_by("-created_at")[:OTHER_TICKETS_SHOWN]
    )


def _add_choices(page: TicketPage) -> None:
    """The options of the action forms the page offers, and only those."""
    ticket = page.ticket
    if "assign" in page.actions:
        page.assignable_agents = list(
            access.assignable_agents(ticket.department).order_by(
                "user__display_name", "user__email"
            )
        )
    if "transfer" in page.actions:
        page.transfer_departments = list(
            Department.objects.filter(is_active=True)
            .exclude(pk=ticket.department_id)
            .order_by("name")
        )
    if "plan" in page.actions:
        page.plans = list(SLAPlan.objects.filter(is_active=True).order_by("name"))


def new_messages_since(*, ticket: Ticket, entry_id: int) -> int:
    """How many requester messages arrived after `entry_id` (for the collision warning)."""
    return ThreadEntry.objects.filter(
        ticket=ticket, kind=EntryKind.MESSAGE, pk__gt=entry_id
    ).count()
