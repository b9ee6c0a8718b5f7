"""tickets.services.ticket_link / ticket_unlink / ticket_resolve_children."""

import pytest

from tickets.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from tickets.models import EventKind, LinkKind, Status, TicketLink
from tickets.services import (
    link_label,
    ticket_link,
    ticket_merge,
    ticket_resolve,
    ticket_resolve_children,
    ticket_transfer,
    ticket_unlink,
)
from tickets.services import merges as messages


def test_a_link_is_stored_once_and_reads_from_both_sides(desk):
    by = desk.agent.user
    parent, child = desk.ticket(), desk.ticket()

    link = ticket_link(ticket=child, other=parent, kind="child_of", by=by)

    assert (link.from_ticket_id, link.to_ticket_id, link.kind) == (
        parent.pk,
        child.pk,
        LinkKind.PARENT,
    )
    assert link_label(link, parent.pk) == "parent of"
    assert link_label(link, child.pk) == "child of"
    [on_child] = child.events.filter(kind=EventKind.LINK_ADDED)
    [on_parent] = parent.events.filter(kind=EventKind.LINK_ADDED)
    assert on_child.data["link"]["name"] == "child of"
    assert on_child.data["to"]["number"] == parent.number
    assert on_parent.data["link"]["name"] == "parent of"

    with pytest.raises(InvalidInput) as refused:
        ticket_link(ticket=parent, other=child, kind="related", by=by)
    assert refused.value.message == messages.ALREADY_LINKED.format(a=parent.number, b=child.number)

    ticket_unlink(ticket=parent, other=child, by=by)
    assert not TicketLink.objects.exists()
    assert child.events.filter(kind=EventKind.LINK_REMOVED).count() == 1
    assert parent.events.filter(kind=EventKind.LINK_REMOVED).count() == 1
    with pytest.raises(InvalidInput):
        ticket_unlink(ticket=parent, other=child, by=by)


def test_duplicate_and_related(desk):
    by = desk.agent.user
    a, b, c = desk.ticket(), desk.ticket(), desk.ticket()
    dup = ticket_link(ticket=b, other=a, kind="duplicate_of", by=by)
    assert link_label(dup, b.pk) == "duplicate of"
    assert link_label(dup, a.pk) == "duplicated by"
    related = ticket_link(ticket=c, other=a, kind="related", by=by)
    assert related.from_ticket_id == a.pk  # the lower id first
    assert link_label(related, c.pk) == link_label(related, a.pk) == "related to"


def test_refusals(desk):
    by = desk.agent.user
    a, b = desk.ticket(), desk.ticket()
    with pytest.raises(InvalidInput) as refused:
        ticket_link(ticket=a, other=a, kind="related", by=by)
    assert refused.value.message == messages.LINK_TO_ITSELF
    with pytest.raises(InvalidInput) as refused:
        ticket_link(ticket=a, other=b, kind="cousin_of", by=by)
    assert refused.value.message == messages.UNKNOWN_LINK
    with pytest.raises(NotPermitted):
        ticket_link(ticket=a, other=b, kind="related", by=desk.requester)
    with pytest.raises(NotPermitted):
        ticket_link(ticket=a, other=b, kind="related", by=desk.sales_agent.user)
    ticket_merge(sources=[b], target=a, by=by)
    with pytest.raises(InvalidInput) as refused:
        ticket_link(ticket=desk.ticket(), other=b, kind="related", by=by)
    assert refused.value.message == messages.LINK_MERGED.format(number=b.number, into=a.number)


def test_a_resolved_parent_resolves_the_open_children_the_agent_works(desk):
    by = desk.agent.user
    parent = desk.ticket()
    children = [desk.ticket() for _ in range(3)]
    for child in children:
        ticket_link(ticket=parent, other=child, kind="parent_of", by=by)
    ticket_resolve(ticket=children[0], by=by)
    ticket_transfer(ticket=children[2], department=desk.sales, by=by)

    with pytest.raises(TransitionNotAllowed):
        ticket_resolve_children(ticket=parent, by=by)  # the parent is open still
    ticket_resolve(ticket=parent, by=by)
    parent.refresh_from_db()
    outcome = ticket_resolve_children(ticket=parent, by=by)

    assert outcome.done == [children[1].number]
    for child in children:
        child.refresh_from_db()
    assert [c.status for c in children] == [Status.RESOLVED, Status.RESOLVED, Status.OPEN]
