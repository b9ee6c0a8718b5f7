"""Reads for integrations: the reference data (help topics, SLA plans, agents, people) and
the event feed, each a bounded page in a fixed number of queries; events only of tickets
the reader works."""

from django.db.models import QuerySet

from accounts.models import Agent, User
from sla.models import SLAPlan
from tickets import access
from tickets.models import HelpTopic, TicketEvent

EVENT_PAGE = 100


def help_topic_list() -> QuerySet[HelpTopic]:
    return HelpTopic.objects.select_related("department").order_by("name", "id")


def sla_plan_list() -> QuerySet[SLAPlan]:
    return SLAPlan.objects.order_by("name", "id")


def agent_list_for_agent(*, user) -> QuerySet[Agent]:
    """The active agents of the departments the reader works."""
    return (
        Agent.objects.filter(
            is_active=True, memberships__department_id__in=access.agent_department_ids(user)
        )
        .select_related("user")
        .prefetch_related("memberships")
        .distinct()
        .order_by("user__email", "id")
    )


def people_list(*, email: str | None = None, after_id: int = 0, limit: int = 100) -> list[User]:
    """Active people, by id, after a cursor; optionally the one with this email."""
    people = User.objects.filter(is_active=True, id__gt=after_id)
    if email:
        people = people.filter(email=email.strip().lower())
    return list(people.order_by("id")[:limit])


def person_get(*, pk: int) -> User | None:
    """An active person by id; None for a missing one and for ids no row could have."""
    if not 0 < pk < 2**63:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def event_feed_for_agent(*, user, after_id: int = 0, limit: int = EVENT_PAGE):
    """Events after `after_id`, oldest first, of the tickets of the reader's departments:
    the stream an integration syncs from (ids only grow)."""
    departments = access.agent_department_ids(user)
    return list(
        TicketEvent.objects.filter(id__gt=after_id, ticket__department_id__in=departments)
        .select_related("actor", "ticket")
        .only(
            "id",
            "kind",
            "data",
            "created_at",
            "actor__id",
            "actor__email",
            "actor__display_name",
            "ticket__id",
            "ticket__number",
        )
        .order_by("id")[:limit]
    )


def ticket_list_for_participant(*, user, limit: int = 100, after_number: int | None = None):
    """A requester's (or collaborator's) own tickets, newest number first, for the API."""
    tickets = access.participant_tickets(user).select_related("department", "help_topic")
    if after_number is not None:
        tickets = tickets.filter(number__lt=after_number)
    return list(tickets.order_by("-number")[:limit])
