"""Who may see and do what with a ticket: the one place that decides.

Agents work only the tickets of their departments; a manager role in a department lets
an agent assign its tickets to others; superusers may do everything. Requesters see their
own tickets (and the public entries and files of them) and nothing else. The system
(accounts.roles.SYSTEM) may take every action it is handed, because a service was written
to hand it one; it sees nothing through these pages.

The `*_get_for_*` helpers fetch and check together and raise Http404 for a missing object
and a forbidden one alike, so numbers and ids reveal nothing.
"""

import hashlib
import hmac
from collections.abc import Mapping

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import Agent, Department, DepartmentMembership
from accounts.roles import agent_of, is_agent, is_system  # asked for here too
from tickets.models import (
    PUBLIC_ENTRY_KINDS,
    Attachment,
    Collaborator,
    CustomField,
    FieldAudience,
    FieldChoice,
    Task,
    Ticket,
)
from tickets.transitions import ACTIONS, Action, Who


def department_ids_of(user) -> set[int] | None:
    """Departments whose tickets the user works; None means all of them (superuser)."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return None
    agent = agent_of(user)
    if agent is None:
        return set()
    return set(agent.memberships.values_list("department_id", flat=True))


def can_work_ticket(user, ticket: Ticket) -> bool:
    return can_work_in_department(user, ticket.department_id)


def can_work_in_department(user, department_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    agent = agent_of(user)
    return agent is not None and agent.memberships.filter(department_id=department_id).exists()


def can_manage_department(user, department_id: int) -> bool:
    """Managers assign a department's tickets to others; superusers everywhere."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    agent = agent_of(user)
    return (
        agent is not None
        and agent.memberships.filter(
            department_id=department_id, role=DepartmentMembership.Role.MANAGER
        ).exists()
    )


def is_requester(user, ticket: Ticket) -> bool:
    return user is not None and user.is_authenticated and ticket.requester_id == user.pk


def is_collaborator(user, ticket: Ticket) -> bool:
    """Someone who follows the ticket besides its requester (they write by email)."""
    return (
        user is not None
        and user.is_authenticated
        and Collaborator.objects.filter(ticket=ticket, user=user).exists()
    )


def may_take(action: Action, user, ticket: Ticket) -> bool:
    """Whether `user` may take `action` on `ticket`, as the action table says who may."""
    if is_system(user):
        return True
    if action.who is Who.MANAGER:
        return can_manage_department(user, ticket.department_id)
    if action.who is Who.PARTICIPANT and is_requester(user, ticket):
        return True
    return can_work_ticket(user, ticket)


def actions_for_agent(ticket: Ticket, *, can_manage: bool) -> dict[str, Action]:
    """The actions an agent who works `ticket` may take on it now, by name, in the table's
    order: what the ticket page offers. Managers (`can_manage`) may also assign."""
    return {
        name: action
        for name, action in ACTIONS.items()
        if action.allows(ticket.status)
        and (action.who is not Who.MANAGER or can_manage)
        and not (action.only_unassigned and ticket.assignee_id is not None)
    }


def visible_tickets(user) -> QuerySet[Ticket]:
    """Every ticket the user may see: as an agent of its department, as its requester, or
    as a collaborator on it."""
    if user is None or not user.is_authenticated:
        return Ticket.objects.none()
    if user.is_superuser:
        return Ticket.objects.all()
    departments = department_ids_of(user)
    return Ticket.objects.filter(
        Q(requester=user) | Q(department_id__in=departments or []) | _followed_by(user)
    )


def _followed_by(user) -> Q:
    # A subquery, not a join: a join would repeat a ticket once per collaborator row.
    return Q(pk__in=Collaborator.objects.filter(user=user).values("ticket_id"))


def participant_tickets(user) -> QuerySet[Ticket]:
    """The tickets the user takes part in on the portal: as requester or collaborator."""
    if user is None or not user.is_authenticated:
        return Ticket.objects.none()
    return Ticket.objects.filter(Q(requester=user) | _followed_by(user))


def agent_department_ids(user) -> set[int]:
    """Departments whose tickets the user works, superusers' being all of them.

    Remembered on the user object for the rest of the request: the queue asks several
    times while building one page.
    """
    cached = getattr(user, "_agent_department_ids", None)
    if cached is not None:
        return cached
    ids = department_ids_of(user)
    if ids is None:
        ids = set(Department.objects.values_list("id", flat=True))
    if user is not None and user.is_authenticated:
        user._agent_department_ids = ids
    return ids


def report_department_ids(user) -> set[int]:
    """Departments whose figures the user may see on the reports: an agent's own (a
    manager's include those they manage), every department for a superuser, none for
    anyone else (requesters, anonymous visitors, the system)."""
    if not is_agent(user):
        return set()
    return agent_department_ids(user)


def kb_editor_department_ids(user) -> set[int]:
    """Departments whose knowledge base articles the user writes and publishes: those where
    their membership carries the editor role, every department for a superuser
    (docs/decisions/0032-knowledge-base.md)."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return set(Department.objects.values_list("id", flat=True))
    agent = agent_of(user)
    if agent is None:
        return set()
    return set(agent.memberships.filter(kb_editor=True).values_list("department_id", flat=True))


def can_edit_kb_in_department(user, department_id: int | None) -> bool:
    if department_id is None or user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    agent = agent_of(user)
    return (
        agent is not None
        and agent.memberships.filter(department_id=department_id, kb_editor=True).exists()
    )


def managed_department_ids(user) -> set[int] | None:
    """Departments whose tickets the user may assign to others; None means all."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return None
    agent = agent_of(user)
    if agent is None:
        return set()
    return set(
        agent.memberships.filter(role=DepartmentMembership.Role.MANAGER).values_list(
            "department_id", flat=True
        )
    )


def ticket_get_for_agent(*, user, number) -> Ticket:
    """The ticket if the user works its department; Http404 otherwise, as for a missing one.

    The agent workspace shows only what the user may work: an agent who is also the
    requester of another department's ticket sees that one in the portal, not here.
    """
    departments = agent_department_ids(user) if is_agent(user) else set()
    return _get_or_404(Ticket.objects.filter(department_id__in=departments), number)


def ticket_get_for_user(*, user, number) -> Ticket:
    """The ticket with this number if the user may see it; Http404 otherwise.

    A missing ticket and a forbidden one look the same, so numbers reveal nothing.
    """
    return _get_or_404(visible_tickets(user), number)


TICKET_RELATED = (
    "department",
    "requester__organization",
    "requester__unit",
    "assignee__user",
    "help_topic",
    "sla_plan",
)


def _parse_number(number) -> int | None:
    try:
        return int(number)
    except (TypeError, ValueError):
        return None


def _get_or_404(tickets: QuerySet[Ticket], number) -> Ticket:
    number = _parse_number(number)
    ticket = (
        None
        if number is None
        else tickets.select_related(*TICKET_RELATED).filter(number=number).first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def attachment_get_for_agent(*, user, pk, number=None) -> Attachment:
    """A file of a ticket the user works (notes' files included); Http404 otherwise.

    With `number`, the file must also be one of that ticket's (the API's
    /tickets/<number>/attachments/<id>/): a file of another ticket is a 404, as a missing one.
    """
    departments = agent_department_ids(user) if is_agent(user) else set()
    attachments = Attachment.objects.filter(pk=pk, ticket__department_id__in=departments)
    if number is not None:
        attachments = attachments.filter(ticket__number=int(number))
    attachment = attachments.only("id", "file", "filename", "content_type", "size").first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def assignable_agents(department: Department) -> QuerySet[Agent]:
    """Agents to whom a ticket of this department may be assigned."""
    return (
        Agent.objects.filter(
            is_active=True, user__is_active=True, memberships__department=department
        )
        .select_related("user")
        .distinct()
    )


# Requesters and guests on the portal ---------------------------------------------------
#
# A guest proves they may see a ticket with its private link (/tickets/<number>/access/
# <key>/), whose key is 256 random bits kept on the ticket. Following the link stores a
# fingerprint of the key in the session, so the key leaves the address bar; the
# fingerprint is checked against the ticket's current key on every request, so an agent
# revoking the link (tickets.services.ticket_revoke_access_link) also ends those sessions.
# See docs/decisions/0008.

PORTAL_RELATED = ("department", "requester", "help_topic")


def access_key_fingerprint(ticket: Ticket) -> str:
    return hashlib.sha256(f"guest-access:{ticket.access_key}".encode()).hexdigest()


def ticket_get_with_access_key(*, number, key: str) -> Ticket:
    """The ticket whose private link this is; Http404 for a wrong, old or missing one."""
    ticket = _ticket_by_number(number)
    # Constant-time, so response times reveal nothing about how much of a guess was right.
    if (
        ticket is None
        or not ticket.access_key
        or not hmac.compare_digest(ticket.access_key.encode(), str(key).encode())
    ):
        raise Http404("No such ticket.")
    return ticket


def ticket_get_for_requester(*, user, number, guest_grants: Mapping[str, str]) -> Ticket:
    """A ticket on the portal: the signed-in user's own or one they collaborate on, or one
    this session holds a valid private link for. Http404 otherwise, also for agents looking
    at others' tickets (they work tickets in the agent workspace, not here)."""
    try:
        ticket = ticket_get_for_user(user=user, number=number)
    except Http404:
        ticket = None
    if ticket is not None and (is_requester(user, ticket) or is_collaborator(user, ticket)):
        return ticket
    fingerprint = guest_grants.get(str(number))
    if fingerprint:
        ticket = ticket if ticket is not None else _ticket_by_number(number)
        if ticket is not None and hmac.compare_digest(
            fingerprint.encode(), access_key_fingerprint(ticket).encode()
        ):
            return ticket
    raise Http404("No such ticket.")


def _ticket_by_number(number) -> Ticket | None:
    number = _parse_number(number)
    if number is None:
        return None
    return Ticket.objects.select_related(*PORTAL_RELATED).filter(number=number).first()


def attachment_get_for_requester(*, ticket: Ticket, token: str) -> Attachment:
    """A file of a public entry of a ticket the requester holds (ticket_get_for_requester);
    Http404 for a note's file and for anything else."""
    attachment = (
        Attachment.objects.filter(ticket=ticket, token=token, entry__kind__in=PUBLIC_ENTRY_KINDS)
        .only("id", "file", "filename", "content_type", "size")
        .first()
    )
    if attachment is None:
        raise Http404("No such file.")
    return attachment


# Custom fields ---------------------------------------------------------------------------


def topic_fields(help_topic_id: int | None, *, for_requester: bool) -> list[CustomField]:
    """The active fields a help topic asks, in its order, with their choices
    (`field.choice_list`, in order, inactive ones too: a ticket may hold one).

    `for_requester`: only those requesters see and fill (the form, their ticket page);
    agents-only fields are never among them. Agents see and edit them all.
    """
    if help_topic_id is None:
        return []
    fields = (
        CustomField.objects.filter(topic_links__help_topic_id=help_topic_id, is_active=True)
        .prefetch_related(
            Prefetch(
                "choices",
                queryset=FieldChoice.objects.order_by("position", "id"),
                to_attr="choice_list",
            )
        )
        .order_by("topic_links__position", "topic_links__id")
    )
    if for_requester:
        fields = fields.filter(audience=FieldAudience.EVERYONE)
    return list(fields)


def ticket_fields(ticket: Ticket, *, for_requester: bool) -> list[CustomField]:
    """The fields a person sees (and an agent edits) on a ticket: its topic's. A field a
    topic no longer asks keeps its values in the database, off the pages."""
    return topic_fields(ticket.help_topic_id, for_requester=for_requester)


# Tasks -----------------------------------------------------------------------------------
#
# Who manages a ticket's tasks (adds, edits, assigns, deletes, completes, reopens them):
# whoever may act on the ticket, an agent of its department (and the system). A task's
# assignee may also complete and reopen their own task when the ticket is in another
# department: they see the task on "My tasks", not the ticket (docs/decisions/0040).


def may_manage_tasks(user, ticket: Ticket) -> bool:
    return is_system(user) or can_work_ticket(user, ticket)


def is_task_assignee(user, task: Task) -> bool:
    agent = agent_of(user)
    return agent is not None and task.assignee_id == agent.pk


def may_complete_task(user, task: Task) -> bool:
    """Complete or reopen: a manager of the ticket's tasks, or the task's own assignee."""
    return may_manage_tasks(user, task.ticket) or is_task_assignee(user, task)


TASK_RELATED = ("ticket", "department", "assignee__user", "completed_by")


def task_get_for_agent(*, user, pk) -> Task:
    """A task of a ticket the user works, or one assigned to them; Http404 otherwise, as
    for a missing one."""
    if not is_agent(user):
        raise Http404("No such task.")
    agent = agent_of(user)
    mine = Q(assignee_id=agent.pk) if agent is not None else Q(pk__in=[])
    departments = agent_department_ids(user)
    task = (
        Task.objects.filter(Q(ticket__department_id__in=departments) | mine)
        .select_related(*TASK_RELATED)
        .filter(pk=_parse_number(pk))
        .first()
        if _parse_number(pk) is not None
        else None
    )
    if task is None:
        raise Http404("No such task.")
    return task


def task_get_for_ticket(*, ticket: Ticket, pk) -> Task:
    """A task of this ticket (already fetched through ticket_get_for_agent); Http404 for a
    task of another ticket, as for a missing one."""
    number = _parse_number(pk)
    task = (
        Task.objects.filter(ticket=ticket, pk=number).select_related(*TASK_RELATED).first()
        if number is not None
        else None
    )
    if task is None:
        raise Http404("No such task.")
    return task


# Merges ----------------------------------------------------------------------------------

# How many merges a chain of merged-away tickets may take before we stop following it:
# a guard against a loop the services never make.
MERGE_CHAIN_LIMIT = 50


def merge_destination(ticket: Ticket) -> Ticket:
    """Where a merged-away ticket's story continues: its target, or that target's if the
    target was merged away in turn (the chain resolved). The ticket itself if not merged."""
    seen = 0
    while ticket.merged_into_id is not None and seen < MERGE_CHAIN_LIMIT:
        ticket = Ticket.objects.select_related(*TICKET_RELATED).get(pk=ticket.merged_into_id)
        seen += 1
    return ticket


def is_participant(user, ticket: Ticket) -> bool:
    """The requester of the ticket, or one of its collaborators."""
    return is_requester(user, ticket) or is_collaborator(user, ticket)
