"""The agent's ticket page: the ticket, its story, its clocks, and what can be done to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, Window
from django.utils import timezone

from accounts.models import Agent, Department, Organization, Unit
from sla.models import SLAPlan
from tickets import access
from tickets.fieldvalues import FieldValue
from tickets.models import (
    MERGE_UNDO_WINDOW,
    Attachment,
    CannedResponse,
    Collaborator,
    Draft,
    EntryKind,
    EventKind,
    MailSuppression,
    SLAClock,
    Status,
    Tag,
    Task,
    ThreadEntry,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMerge,
)
from tickets.selectors.fields import ticket_fields_for_agent
from tickets.selectors.satisfaction import Rating, ratings_of
from tickets.selectors.tags import TimeSpent, ticket_tags, time_spent_for_ticket
from tickets.selectors.tasks import task_list_for_ticket
from tickets.selectors.timeline import TimelineItem, timeline_merge
from tickets.transitions import Action

OTHER_TICKETS_SHOWN = 10
# The requester's organization's other open tickets the page links to; "see all" opens
# the queue filtered by the organization for the rest.
ORGANIZATION_TICKETS_SHOWN = 5


@dataclass
class OrganizationTickets:
    """The requester's organization (and unit), with its other open tickets that the
    agent may work: `count` of them all, `tickets` the newest few."""

    organization: Organization
    unit: Unit | None
    tickets: list[Ticket]
    count: int


@dataclass(frozen=True)
class LinkShown:
    label: str  # as read from this ticket: "child of", "duplicated by"
    kind: str
    other: Ticket
    is_first: bool  # this ticket is the link's first ("parent of", "duplicate of")
    workable: bool  # the agent works the other ticket's department


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
    # The ticket's tasks, open ones first (tickets/selectors/tasks.py).
    tasks: list[Task] = field(default_factory=list)

    @property
    def open_tasks(self) -> list[Task]:
        return [task for task in self.tasks if task.is_open]

    # Links to other tickets, read from this one, and the merges into it not undone.
    links: list[LinkShown] = field(default_factory=list)
    merges_in: list[TicketMerge] = field(default_factory=list)
    # Whether the merges into it may still be undone, by merge id.
    undoable: dict[int, bool] = field(default_factory=dict)

    @property
    def open_children(self) -> list[Ticket]:
        """Children still open that the agent may work: the parent's "resolve them" offer."""
        return [
            link.other
            for link in self.links
            if link.kind == "parent" and link.is_first and link.other.is_open and link.workable
        ]

    # None when the requester belongs to no organization.
    organization: OrganizationTickets | None = None
    # Its tags, by name, and the time spent on it (docs/decisions/0043).
    tags: list[Tag] = field(default_factory=list)
    time_spent: TimeSpent = field(default_factory=TimeSpent)
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
        tasks=task_list_for_ticket(ticket=ticket),
        organization=organization_tickets_for_agent(user=user, ticket=ticket),
        tags=ticket_tags(ticket=ticket),
        time_spent=time_spent_for_ticket(ticket=ticket),
    )
    page.ratings = ratings_of(item.event for item in page.timeline if item.event is not None)
    page.mail_stopped = _mail_stopped(ticket, page.collaborators)
    page.links = _links(user, ticket)
    page.merges_in = list(
        TicketMerge.objects.filter(target=ticket, undone_at__isnull=True)
        .select_related("source", "merged_by")
        .order_by("merged_at", "id")
    )
    now = timezone.now()
    page.undoable = {m.pk: now - m.merged_at <= MERGE_UNDO_WINDOW for m in page.merges_in}
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


def _links(user, ticket: Ticket) -> list[LinkShown]:
    departments = access.agent_department_ids(user)
    links = (
        TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket))
        .select_related("from_ticket", "to_ticket")
        .order_by("created_at", "id")
    )
    shown = []
    for link in links:
        is_first = link.from_ticket_id == ticket.pk
        other = link.to_ticket if is_first else link.from_ticket
        shown.append(
            LinkShown(
                label=link.label_from(ticket.pk),
                kind=link.kind,
                other=other,
                is_first=is_first,
                workable=other.department_id in departments,
            )
        )
    return shown


def _entries(ticket: Ticket) -> list[ThreadEntry]:
    return list(
        ThreadEntry.objects.filter(ticket=ticket)
        .select_related("author", "origin")
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


def organization_tickets_for_agent(*, user, ticket: Ticket) -> OrganizationTickets | None:
    """The ticket's requester's organization and its other open tickets, of the departments
    the user works only: one query (the count rides along as a window over the same
    rows), none for a requester in no organization. The ticket's requester, organization
    and unit come loaded (tickets.access.TICKET_RELATED)."""
    requester = ticket.requester
    if requester.organization_id is None:
        return None
    rows = list(
        Ticket.objects.filter(
            requester__organization_id=requester.organization_id,
            status=Status.OPEN,
            department_id__in=access.agent_department_ids(user),
        )
        .exclude(pk=ticket.pk)
        .select_related("requester")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:ORGANIZATION_TICKETS_SHOWN]
    )
    return OrganizationTickets(
        organization=requester.organization,
        unit=requester.unit,
        tickets=rows,
        count=rows[0].total if rows else 0,
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
