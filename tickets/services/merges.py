"""Merging tickets into another, undoing a merge, and linking tickets (decision 0037).

A merge moves the sources' thread entries (and their files) to the target, marked with
the ticket they came from; makes the sources' requesters and collaborators collaborators
of the target; closes each source with a link to the target; and stops the sources' SLA
clocks so that they count neither as met nor as breached (SLAClock.merged_at). Each
source's merge is a TicketMerge row holding what it changed, so that an undo within
UNDO_WINDOW puts back exactly that: the entries, the source's status, and its clocks,
restarted where they stopped, with the merged time counted as paused. The target's
clocks are never touched.

Tickets are locked in id order (one `SELECT ... FOR UPDATE ORDER BY id`), so two merges of
the same tickets at the same moment queue up, and the second finds the first done.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets import access
from tickets.clocks import policy_for, refresh_ticket_sla
from tickets.errors import InvalidInput, TicketError
from tickets.events import ref, status_ref
from tickets.models import (
    ACTIVE_STATUSES,
    LIVE_CLOCK,
    MERGE_UNDO_DAYS,
    MERGE_UNDO_WINDOW,
    Attachment,
    Collaborator,
    EventKind,
    LinkKind,
    SLAClock,
    Status,
    ThreadEntry,
    Ticket,
    TicketLink,
    TicketMerge,
)
from tickets.search_index import search_document_append
from tickets.services.collaborators import MAX_COLLABORATORS
from tickets.services.common import record_event, require_action, save_ticket
from tickets.services.lifecycle import ticket_change_status

UNDO_DAYS = MERGE_UNDO_DAYS
UNDO_WINDOW = MERGE_UNDO_WINDOW
MAX_SOURCES = 50

NO_SOURCES = "Choose at least one ticket to merge."
TOO_MANY_SOURCES = f"Merge at most {MAX_SOURCES} tickets at a time."
INTO_ITSELF = "A ticket cannot be merged into itself."
SOURCE_MERGED = "Ticket #{number} was already merged into #{into}."
TARGET_MERGED = "Ticket #{number} was merged into #{into}: merge into #{into} instead."
TARGET_CLOSED = "Ticket #{number} is closed: merge into a ticket that is not."
NOT_MERGED = "Ticket #{number} is not merged into another ticket."
UNDO_TOO_LATE = (
    f"This merge is more than {UNDO_DAYS} days old and can no longer be undone: "
    "reply on #{into}, or link the tickets instead."
)
UNDO_TARGET_FIRST = "Ticket #{number} was merged into #{into} since: undo that merge first."
LINK_TO_ITSELF = "A ticket cannot be linked to itself."
LINK_MERGED = "Ticket #{number} was merged into #{into}: link #{into} instead."
ALREADY_LINKED = "Tickets #{a} and #{b} are linked already: remove that link first."
NOT_LINKED = "Tickets #{a} and #{b} are not linked."
UNKNOWN_LINK = "Choose how the tickets are linked."

# The kinds of link as one ticket's page offers them: (stored kind, whether the other
# ticket is the link's first one).
LINK_CHOICES: dict[str, tuple[str, bool]] = {
    "related": (LinkKind.RELATED, False),
    "duplicate_of": (LinkKind.DUPLICATE, False),
    "duplicated_by": (LinkKind.DUPLICATE, True),
    "parent_of": (LinkKind.PARENT, False),
    "child_of": (LinkKind.PARENT, True),
}
LINK_LABELS = {
    "related": "Related to",
    "duplicate_of": "Duplicate of",
    "duplicated_by": "Duplicated by",
    "parent_of": "Parent of",
    "child_of": "Child of",
}


def ticket_ref(ticket: Ticket) -> dict:
    return {"id": ticket.pk, "number": ticket.number, "name": str(ticket)}


def _lock(*tickets: Ticket) -> dict[int, Ticket]:
    """Fresh copies of the tickets, locked in id order (the one order every merge and link
    takes, so that two of them never wait on each other)."""
    ids = sorted({t.pk for t in tickets})
    locked = Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {t.pk: t for t in locked}


# Merge -----------------------------------------------------------------------------------


def ticket_merge(*, sources: list[Ticket], target: Ticket, by) -> list[TicketMerge]:
    """Merge the sources into the target, all or nothing; returns a TicketMerge per source.

    `by` must be able to act on every source and on the target (tickets.access); a
    closed or merged-away target, a source merged away already, and the target among the
    sources are refused with a message that says so.
    """
    if not sources:
        raise InvalidInput(NO_SOURCES)
    if len({s.pk for s in sources}) > MAX_SOURCES:
        raise InvalidInput(TOO_MANY_SOURCES)
    if any(s.pk == target.pk for s in sources):
        raise InvalidInput(INTO_ITSELF)
    with transaction.atomic():
        locked = _lock(target, *sources)
        target = locked[target.pk]
        ordered = [locked[pk] for pk in dict.fromkeys(s.pk for s in sources)]
        if target.merged_into_id is not None:
            final = access.merge_destination(target)
            raise InvalidInput(TARGET_MERGED.format(number=target.number, into=final.number))
        if target.status == Status.CLOSED:
            raise InvalidInput(TARGET_CLOSED.format(number=target.number))
        require_action("merge", by=by, ticket=target)
        for source in ordered:
            if source.merged_into_id is not None:
                into = access.merge_destination(source)
                raise InvalidInput(SOURCE_MERGED.format(number=source.number, into=into.number))
            require_action("merge", by=by, ticket=source)
        now = timezone.now()
        merges = [_merge_one(source, target, by, now) for source in ordered]
        save_ticket(target)
    return merges


def _merge_one(source: Ticket, target: Ticket, by, now) -> TicketMerge:
    entries = list(ThreadEntry.objects.filter(ticket=source).values_list("pk", "body"))
    entry_ids = [pk for pk, _ in entries]
    ThreadEntry.objects.filter(pk__in=entry_ids, origin__isnull=True).update(origin=source)
    ThreadEntry.objects.filter(pk__in=entry_ids).update(ticket=target)
    Attachment.objects.filter(entry_id__in=entry_ids).update(ticket=target)
    # The target is found by the sources' words too (they stay findable after an undo, as
    # an edited field's old words do).
    words = " ".join([source.subject, *(body for _, body in entries)])
    search_document_append(ticket_id=target.pk, body=words)

    added = _add_collaborators(source, target, by)

    stopped = list(SLAClock.objects.select_for_update().filter(LIVE_CLOCK, ticket=source))
    SLAClock.objects.filter(pk__in=[c.pk for c in stopped]).update(stopped_at=now)
    SLAClock.objects.filter(ticket=source, merged_at__isnull=True).update(merged_at=now)

    merge = TicketMerge.objects.create(
        source=source,
        target=target,
        merged_by=None if access.is_system(by) else by,
        merged_at=now,
        source_status=source.status,
        source_closed_at=source.closed_at,
        entry_ids=entry_ids,
        collaborator_ids=added,
        stopped_clock_ids=[c.pk for c in stopped],
    )
    previous = source.status
    source.status = Status.CLOSED
    source.closed_at = now
    source.merged_into = target
    save_ticket(source, "status", "closed_at", "merged_into")
    refresh_ticket_sla(source)
    record_event(
        source,
        EventKind.MERGED_INTO,
        by,
        {
            "to": ticket_ref(target),
            "merge": merge.pk,
            "status": {"from": status_ref(previous), "to": status_ref(Status.CLOSED)},
        },
    )
    record_event(
        target,
        EventKind.TICKET_MERGED,
        by,
        {"from": ticket_ref(source), "merge": merge.pk, "entries": len(entry_ids)},
    )
    return merge


def _add_collaborators(source: Ticket, target: Ticket, by) -> list[int]:
    """The source's requester and collaborators follow the target from now on (up to the
    collaborators' limit); returns the user ids added, for an undo to take off again."""
    people = [source.requester_id]
    people += list(Collaborator.objects.filter(ticket=source).values_list("user_id", flat=True))
    existing = set(Collaborator.objects.filter(ticket=target).values_list("user_id", flat=True))
    added = []
    for user_id in dict.fromkeys(people):
        if user_id == target.requester_id or user_id in existing:
            continue
        if len(existing) >= MAX_COLLABORATORS:
            break
        collaborator = Collaborator.objects.create(ticket=target, user_id=user_id)
        existing.add(user_id)
        added.append(user_id)
        record_event(
            target,
            EventKind.COLLABORATOR_ADDED,
            by,
            {"to": ref(collaborator.user), "merge": True},
        )
    return added


def ticket_merge_undo(*, ticket: Ticket, by) -> TicketMerge:
    """Undo the merge of `ticket` (the merged-away source) within UNDO_WINDOW: its entries
    come back from the target, it takes its status again, the people the merge added to
    the target are taken off it, and the clocks the merge stopped run again from where they
    stopped, the merged time counted as paused."""
    with transaction.atomic():
        merge = (
            TicketMerge.objects.filter(source_id=ticket.pk, undone_at__isnull=True)
            .select_related("target")
            .first()
        )
        if merge is None:
            raise InvalidInput(NOT_MERGED.format(number=ticket.number))
        locked = _lock(ticket, merge.target)
        source, target = locked[ticket.pk], locked[merge.target_id]
        merge = TicketMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None or source.merged_into_id != target.pk:
            raise InvalidInput(NOT_MERGED.format(number=source.number))
        require_action("undo-merge", by=by, ticket=source)
        require_action("undo-merge", by=by, ticket=target)
        now = timezone.now()
        if now - merge.merged_at > UNDO_WINDOW:
            raise InvalidInput(UNDO_TOO_LATE.format(into=target.number))
        if target.merged_into_id is not None:
            into = access.merge_destination(target)
            raise InvalidInput(UNDO_TARGET_FIRST.format(number=target.number, into=into.number))

        ThreadEntry.objects.filter(pk__in=merge.entry_ids, ticket=target).update(ticket=source)
        ThreadEntry.objects.filter(ticket=source, origin=source).update(origin=None)
        Attachment.objects.filter(entry_id__in=merge.entry_ids).update(ticket=source)
        for collaborator in Collaborator.objects.filter(
            ticket=target, user_id__in=merge.collaborator_ids
        ).select_related("user"):
            collaborator.delete()
            record_event(
                target,
                EventKind.COLLABORATOR_REMOVED,
                by,
                {"from": ref(collaborator.user), "merge": True},
            )

        source.status = merge.source_status
        source.closed_at = merge.source_closed_at
        source.merged_into = None
        save_ticket(source, "status", "closed_at", "merged_into")
        _restart_clocks(source, merge, now)

        merge.undone_at = now
        merge.undone_by = None if access.is_system(by) else by
        merge.save(update_fields=["undone_at", "undone_by"])
        data = {"source": ticket_ref(source), "target": ticket_ref(target), "merge": merge.pk}
        record_event(source, EventKind.MERGE_UNDONE, by, data)
        record_event(target, EventKind.MERGE_UNDONE, by, data)
        save_ticket(target)
    return merge


def _restart_clocks(source: Ticket, merge: TicketMerge, now) -> None:
    """The clocks the merge stopped are live again. One that was running counts the merged
    time as paused (its deadlines move later by it); one that was paused stays paused from
    when it paused, which covers the merged time. Met and breached clocks count again."""
    policy = policy_for(source.sla_plan_id)
    for clock in SLAClock.objects.select_for_update().filter(
        pk__in=merge.stopped_clock_ids, ticket=source
    ):
        clock.stopped_at = None
        if clock.paused_at is None and policy is not None:
            clock.paused_minutes += policy.minutes_between(merge.merged_at, now)
            clock.warn_at, clock.due_at = policy.deadlines(
                started_at=clock.started_at,
                target=clock.target_minutes,
                paused_minutes=clock.paused_minutes,
            )
        clock.save(update_fields=["stopped_at", "paused_minutes", "warn_at", "due_at"])
    SLAClock.objects.filter(ticket=source, merged_at__isnull=False).update(merged_at=None)
    refresh_ticket_sla(source)


# Links -----------------------------------------------------------------------------------


def _between(a: Ticket, b: Ticket):
    return TicketLink.objects.filter(from_ticket=a, to_ticket=b) | TicketLink.objects.filter(
        from_ticket=b, to_ticket=a
    )


def link_label(link: TicketLink, ticket_id: int) -> str:
    """How the link reads on the page of `ticket_id` (one of its two tickets)."""
    return link.label_from(ticket_id)


def ticket_link(*, ticket: Ticket, other: Ticket, kind: str, by) -> TicketLink:
    """Link `ticket` to `other` as `kind` (a LINK_CHOICES key, read from `ticket`: "child_of"
    stores `other` as the parent). Stored once, shown on both; an event on each."""
    if kind not in LINK_CHOICES:
        raise InvalidInput(UNKNOWN_LINK)
    if ticket.pk == other.pk:
        raise InvalidInput(LINK_TO_ITSELF)
    stored_kind, reverse = LINK_CHOICES[kind]
    with transaction.atomic():
        locked = _lock(ticket, other)
        ticket, other = locked[ticket.pk], locked[other.pk]
        for t in (ticket, other):
            require_action("link", by=by, ticket=t)
            if t.merged_into_id is not None:
                into = access.merge_destination(t)
                raise InvalidInput(LINK_MERGED.format(number=t.number, into=into.number))
        if _between(ticket, other).exists():
            raise InvalidInput(ALREADY_LINKED.format(a=ticket.number, b=other.number))
        first, second = (other, ticket) if reverse else (ticket, other)
        if stored_kind == LinkKind.RELATED and first.pk > second.pk:
            first, second = second, first
        try:
            with transaction.atomic():
                link = TicketLink.objects.create(
                    from_ticket=first,
                    to_ticket=second,
                    kind=stored_kind,
                    created_by=None if access.is_system(by) else by,
                )
        except IntegrityError as error:
            raise InvalidInput(ALREADY_LINKED.format(a=ticket.number, b=other.number)) from error
        _link_events(EventKind.LINK_ADDED, link, first, second, by)
    return link


def ticket_unlink(*, ticket: Ticket, other: Ticket, by) -> None:
    """Remove the link between the two tickets, whichever way it was stored."""
    with transaction.atomic():
        locked = _lock(ticket, other)
        ticket, other = locked[ticket.pk], locked[other.pk]
        for t in (ticket, other):
            require_action("unlink", by=by, ticket=t)
        link = _between(ticket, other).select_related("from_ticket", "to_ticket").first()
        if link is None:
            raise InvalidInput(NOT_LINKED.format(a=ticket.number, b=other.number))
        first, second = locked[link.from_ticket_id], locked[link.to_ticket_id]
        _link_events(EventKind.LINK_REMOVED, link, first, second, by)
        link.delete()


def _link_events(kind: str, link: TicketLink, first: Ticket, second: Ticket, by) -> None:
    for this, that in ((first, second), (second, first)):
        record_event(
            this,
            kind,
            by,
            {
                "link": {"id": link.pk, "kind": link.kind, "name": link_label(link, this.pk)},
                "to": ticket_ref(that),
            },
        )


@dataclass
class ChildrenResolved:
    done: list[int] = field(default_factory=list)  # ticket numbers
    failed: list[tuple[int, str]] = field(default_factory=list)  # (number, reason)


def open_children(ticket: Ticket, by) -> list[Ticket]:
    """The open (or pending) children of `ticket` that `by` may act on."""
    departments = access.agent_department_ids(by) if access.is_agent(by) else set()
    return list(
        Ticket.objects.filter(
            links_in__from_ticket=ticket,
            links_in__kind=LinkKind.PARENT,
            status__in=ACTIVE_STATUSES,
            department_id__in=departments,
        ).order_by("number")
    )


def ticket_resolve_children(*, ticket: Ticket, by) -> ChildrenResolved:
    """A resolved parent's open children resolved too, each through ticket_resolve's
    service (its own transaction, checks and email); one refused does not stop the rest."""
    require_action("resolve-children", by=by, ticket=ticket)
    outcome = ChildrenResolved()
    for child in open_children(ticket, by):
        try:
            ticket_change_status(ticket=child, action="resolve", by=by)
        except TicketError as error:
            outcome.failed.append((child.number, error.message))
        else:
            outcome.done.append(child.number)
    return outcome
