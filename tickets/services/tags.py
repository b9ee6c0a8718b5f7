"""Tags: free labels agents put on tickets and find them by (docs/decisions/0043).

A tag is created on the fly by the first agent who types it, and is one tag whatever the
case: "VPN" finds the "vpn" tag already there and puts that on the ticket. Adding and
removing go through the action table (agents of the ticket's department), record
tag_added / tag_removed, and rewrite the ticket's tags in its search document in the same
transaction. Admins merge tags (tags_merge): the tickets of the others get the target.
"""

import unicodedata
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from tickets.errors import InvalidInput, NotPermitted
from tickets.events import ref
from tickets.models import TAG_NAME_MAX_LENGTH, EventKind, Tag, Ticket, TicketTag
from tickets.search_index import search_document_set_tags
from tickets.services.common import actor_user, lock_ticket, record_event, require_action

TAG_EMPTY = "Type a tag."
TAG_TOO_LONG = f"A tag is at most {TAG_NAME_MAX_LENGTH} characters."
TAG_BAD_CHARACTER = "A tag cannot contain control characters or line breaks."
TAG_NOT_ON_TICKET = "The ticket has no such tag."
MAX_TAGS_PER_TICKET = 30
TOO_MANY_TAGS = f"A ticket has at most {MAX_TAGS_PER_TICKET} tags."
MERGE_NOT_PERMITTED = (
    "Only admins who may change and delete tags can rename, delete or merge them."
)
TAG_NAME_TAKEN = "There is a tag {name} already: merge the two instead."
MERGE_NOTHING = "Choose the tags to merge into the target, other than the target."


def tag_clean_name(name) -> str:
    """The tag as it will be shown: trimmed, inner runs of spaces made one. Refuses an
    empty one, a long one, and any control or format character (a line break, a NUL, a
    right-to-left override): a tag is one short line of text."""
    text = str(name or "").strip()
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in text):
        raise InvalidInput(TAG_BAD_CHARACTER)
    text = " ".join(text.split())
    if not text:
        raise InvalidInput(TAG_EMPTY)
    if len(text) > TAG_NAME_MAX_LENGTH:
        raise InvalidInput(TAG_TOO_LONG)
    return text


def tag_find(name: str) -> Tag | None:
    """The tag of that name, whatever its case (the unique index on its lower-cased name)."""
    return Tag.objects.alias(lower=Lower("name")).filter(lower=name.lower()).first()


def tag_get_or_create(*, name: str, by) -> Tag:
    """The tag called `name` in any case, made with this spelling if there is none."""
    name = tag_clean_name(name)
    tag = tag_find(name)
    if tag is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name, created_by=actor_user(by))
    except IntegrityError:  # made at the same moment by someone else
        return tag_find(name)


def tags_get_or_create_many(*, names: Iterable[str], by) -> dict[str, Tag]:
    """The tags called `names` (cleaned as tag_clean_name does), made if new, by their
    lower-cased names: three queries whatever their number (imports). A tag made at the
    same moment by someone else is found, not made twice."""
    wanted: dict[str, str] = {}
    for name in names:
        clean = tag_clean_name(name)
        wanted.setdefault(clean.lower(), clean)
    if not wanted:
        return {}

    def found() -> dict[str, Tag]:
        tags = Tag.objects.alias(lower=Lower("name")).filter(lower__in=list(wanted))
        return {tag.name.lower(): tag for tag in tags}

    tags = found()
    missing = [name for lower, name in wanted.items() if lower not in tags]
    if missing:
        creator = actor_user(by)
        Tag.objects.bulk_create(
            [Tag(name=name, created_by=creator) for name in missing], ignore_conflicts=True
        )
        tags = found()
    return tags


def ticket_add_tag(*, ticket: Ticket, name: str, by) -> Tag:
    """Put the tag `name` on the ticket (made if new). Already there: nothing changes."""
    name = tag_clean_name(name)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("add-tag", by=by, ticket=ticket)
        tag = tag_get_or_create(name=name, by=by)
        current = set(TicketTag.objects.filter(ticket=ticket).values_list("tag_id", flat=True))
        if tag.pk in current:
            return tag
        if len(current) >= MAX_TAGS_PER_TICKET:
            raise InvalidInput(TOO_MANY_TAGS)
        TicketTag.objects.create(ticket=ticket, tag=tag, added_by=actor_user(by))
        record_event(ticket, EventKind.TAG_ADDED, by, {"to": ref(tag)})
        search_document_set_tags(ticket_ids=[ticket.pk])
        return tag


def ticket_remove_tag(*, ticket: Ticket, name: str, by) -> None:
    """Take the tag `name` (any case) off the ticket."""
    name = tag_clean_name(name)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("remove-tag", by=by, ticket=ticket)
        tag = tag_find(name)
        deleted = 0
        if tag is not None:
            deleted, _ = TicketTag.objects.filter(ticket=ticket, tag=tag).delete()
        if not deleted:
            raise InvalidInput(TAG_NOT_ON_TICKET)
        record_event(ticket, EventKind.TAG_REMOVED, by, {"from": ref(tag)})
        search_document_set_tags(ticket_ids=[ticket.pk])


def may_manage_tags(user) -> bool:
    """Who renames, deletes and merges tags: the admin's one rule."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perms(["tickets.change_tag", "tickets.delete_tag"])
    )


def tags_merge(*, target: Tag, sources: Iterable[Tag], by) -> int:
    """Merge `sources` into `target` in one transaction: every ticket that had a source
    tag has the target (once), each change recorded on the ticket (tag_removed with
    merged_into, and tag_added with merged_from where the ticket did not have the target
    yet), the sources are deleted, and the tickets' search documents hold the target.
    Answers how many tickets changed."""
    if not may_manage_tags(by):
        raise NotPermitted(MERGE_NOT_PERMITTED)
    source_ids = {tag.pk for tag in sources} - {target.pk}
    if not source_ids:
        raise InvalidInput(MERGE_NOTHING)
    with transaction.atomic():
        # Tags locked in id order, so two merges of overlapping tags wait for each other.
        locked = list(
            Tag.objects.filter(pk__in=source_ids | {target.pk}).order_by("pk").select_for_update()
        )
        target = next((tag for tag in locked if tag.pk == target.pk), None)
        merged = [tag for tag in locked if tag.pk in source_ids]
        if target is None or not merged:
            raise InvalidInput(MERGE_NOTHING)
        changed = _move_tickets(target, merged, by)
        Tag.objects.filter(pk__in=[tag.pk for tag in merged]).delete()
        search_document_set_tags(ticket_ids=sorted(changed))
    return len(changed)


def _move_tickets(target: Tag, merged: list[Tag], by) -> set[int]:
    """Every source tag's tickets get the target; the events say so on each ticket."""
    by_id = {tag.pk: tag for tag in merged}
    rows = list(
        TicketTag.objects.filter(tag_id__in=by_id)
        .select_related("ticket")
        .order_by("ticket_id", "tag_id")
    )
    has_target = set(
        TicketTag.objects.filter(
            tag=target, ticket_id__in={row.ticket_id for row in rows}
        ).values_list("ticket_id", flat=True)
    )
    for row in rows:
        source = by_id[row.tag_id]
        removed = {"from": ref(source), "merged_into": ref(target)}
        record_event(row.ticket, EventKind.TAG_REMOVED, by, removed)
        if row.ticket_id not in has_target:
            TicketTag.objects.create(ticket_id=row.ticket_id, tag=target, added_by=row.added_by)
            has_target.add(row.ticket_id)
            added = {"to": ref(target), "merged_from": ref(source)}
            record_event(row.ticket, EventKind.TAG_ADDED, by, added)
    TicketTag.objects.filter(tag_id__in=by_id).delete()
    return {row.ticket_id for row in rows}


def tag_rename(*, tag: Tag, name: str, by) -> Tag:
    """An admin renames a tag (or changes its case): its tickets are found by the new
    name, not the old one."""
    if not may_manage_tags(by):
        raise NotPermitted(MERGE_NOT_PERMITTED)
    name = tag_clean_name(name)
    with transaction.atomic():
        tag = Tag.objects.select_for_update().get(pk=tag.pk)
        if tag.name == name:
            return tag
        other = tag_find(name)
        if other is not None and other.pk != tag.pk:
            raise InvalidInput(TAG_NAME_TAKEN.format(name=other.name))
        tag.name = name
        tag.save(update_fields=["name"])
        search_document_set_tags(
            ticket_ids=list(TicketTag.objects.filter(tag=tag).values_list("ticket_id", flat=True))
        )
    return tag


def tags_delete(*, tags: Iterable[Tag], by) -> int:
    """An admin deletes tags: each ticket that had one records its removal, and is no
    longer found by it. Answers how many tickets changed."""
    if not may_manage_tags(by):
        raise NotPermitted(MERGE_NOT_PERMITTED)
    ids = {tag.pk for tag in tags}
    with transaction.atomic():
        locked = {tag.pk: tag for tag in Tag.objects.filter(pk__in=ids).select_for_update()}
        rows = list(
            TicketTag.objects.filter(tag_id__in=locked)
            .select_related("ticket")
            .order_by("ticket_id", "tag_id")
        )
        for row in rows:
            record_event(row.ticket, EventKind.TAG_REMOVED, by, {"from": ref(locked[row.tag_id])})
        Tag.objects.filter(pk__in=locked).delete()  # its TicketTag rows with it
        changed = sorted({row.ticket_id for row in rows})
        search_document_set_tags(ticket_ids=changed)
    return len(changed)
