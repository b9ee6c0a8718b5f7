"""The merge confirmation page's read: the tickets to merge and the one they go into."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from tickets import access
from tickets.models import Status, Ticket

NOT_FOUND = "No ticket #{number} in your departments."


@dataclass
class MergePreview:
    sources: list[Ticket]  # each with `entry_count`
    target: Ticket
    problems: list[str]  # what the service would refuse, said before the agent confirms


def merge_preview_for_agent(*, user, sources: list[int], into: int) -> MergePreview:
    """The tickets of a merge the agent is about to confirm, those they work only.

    Raises LookupError (with the message to show) for a number they do not work; the
    service checks everything again when they confirm."""
    numbers = list(dict.fromkeys([*sources, into]))
    departments = access.agent_department_ids(user) if access.is_agent(user) else set()
    tickets = {
        t.number: t
        for t in Ticket.objects.filter(number__in=numbers, department_id__in=departments)
        .select_related("requester", "department", "merged_into")
        .annotate(entry_count=Count("entries"))
    }
    for number in numbers:
        if number not in tickets:
            raise LookupError(NOT_FOUND.format(number=number))
    target = tickets[into]
    problems = []
    if into in sources:
        problems.append("A ticket cannot be merged into itself.")
    for ticket in [target, *(tickets[n] for n in sources)]:
        if ticket.merged_into_id is not None:
            final = access.merge_destination(ticket)
            problems.append(f"Ticket #{ticket.number} was merged into #{final.number} already.")
    if target.status == Status.CLOSED and target.merged_into_id is None:
        problems.append(f"Ticket #{target.number} is closed: merge into a ticket that is not.")
    return MergePreview(
        sources=[tickets[n] for n in sources if n != into], target=target, problems=problems
    )
