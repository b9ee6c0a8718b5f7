"""Tickets brought over from another help desk, written in bulk, as history.

An importer (importers/) reads the other desk and hands over plain descriptions
(TicketImport, with its EntryImports, EventImports and FileImports); these services write
them with one INSERT per table and batch, inside the caller's transaction:

- the tickets keep the numbers they are given (the caller moves our sequence above them,
  tickets.numbering.ticket_numbers_reserve_through);
- their SLA clocks are worked out from their history (tickets/clocks/imported.py);
- their custom field values (FieldValue, parsed by the caller) and tags (names, made if
  new) are written with them;
- each gets its search document, whole: subject, thread, custom fields and tags;
- nothing is sent: no outbox rows, and the event listeners (webhooks, automation, the
  reports' change log) are not told, because none of it is news. Reports' rollups are
  rebuilt after an import (`rebuild_report_rollups`).

Only the system imports (`by=SYSTEM`): these bypass the action table on purpose, since
history is what happened, not a move to be allowed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.roles import is_system
from tickets.attachments import detect_kind
from tickets.clocks.imported import History, clocks_for_imported_ticket, next_deadlines
from tickets.clocks.policy import Policy, policy_for
from tickets.errors import NotPermitted
from tickets.fieldvalues import FieldValue
from tickets.models import (
    Attachment,
    Collaborator,
    EntryKind,
    SLAClock,
    ThreadEntry,
    Ticket,
    TicketEvent,
    TicketFieldValue,
    TicketTag,
)
from tickets.search_index import search_document_append, search_documents_create_many
from tickets.services.fields import field_rows, fields_store_new
from tickets.services.tags import MAX_TAGS_PER_TICKET, tag_clean_name, tags_get_or_create_many

ONLY_THE_SYSTEM = "Only the system imports tickets."
UNKNOWN_TYPE = "application/octet-stream"


@dataclass
class FileImport:
    filename: str
    content: bytes
    content_id: str = ""


@dataclass
class EntryImport:
    kind: str
    body: str
    created_at: datetime
    author_id: int | None = None
    body_html: str = ""
    source: str = "web"
    files: list[FileImport] = field(default_factory=list)
    key: object = None  # the caller's id for it, handed back in Imported.entries


@dataclass
class EventImport:
    kind: str
    created_at: datetime
    data: dict
    actor_id: int | None = None
    key: object = None


@dataclass
class TicketImport:
    number: int
    subject: str
    requester_id: int
    department_id: int
    status: str
    priority: int
    source: str
    created_at: datetime
    updated_at: datetime
    help_topic_id: int | None = None
    assignee_id: int | None = None
    sla_plan_id: int | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    entries: list[EntryImport] = field(default_factory=list)
    events: list[EventImport] = field(default_factory=list)
    collaborator_ids: list[int] = field(default_factory=list)
    # Custom field values (tickets.fieldvalues.FieldValue: a field and its Python value, as
    # tickets.services.fields parses them) and tags by name (made if new, one whatever the
    # case; at most MAX_TAGS_PER_TICKET are kept).
    fields: list[FieldValue] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    key: object = None


@dataclass
class Imported:
    """What was written: our ids for the caller's keys."""

    tickets: dict = field(default_factory=dict)  # key -> ticket id
    entries: dict = field(default_factory=dict)  # key -> entry id
    events: dict = field(default_factory=dict)  # key -> event id
    files: int = 0


class _Policies(dict):
    def __missing__(self, plan_id) -> Policy | None:
        self[plan_id] = policy_for(plan_id)
        return self[plan_id]


def _require_system(by) -> None:
    if not is_system(by):
        raise NotPermitted(ONLY_THE_SYSTEM)


def _history(item: TicketImport) -> History:
    replies = sorted(e.created_at for e in item.entries if e.kind == EntryKind.REPLY)
    messages = sorted(e.created_at for e in item.entries if e.kind == EntryKind.MESSAGE)
    return History(
        created_at=item.created_at,
        status=item.status,
        replies=replies,
        messages=messages,
        ended_at=item.closed_at or item.resolved_at,
    )


def tickets_import(
    *,
    tickets: Sequence[TicketImport],
    by,
    written: list,
    store_files: bool = True,
    now: datetime | None = None,
) -> Imported:
    """Write the tickets with their threads, files, events, collaborators, SLA clocks and
    search documents. Call inside a transaction and tickets.attachments'
    files_removed_on_error, passing its list as `written`: a failure leaves nothing.
    `store_files=False` (a dry run, rolled back) writes no file."""
    _require_system(by)
    now = now or timezone.now()
    policies = _Policies()
    rows, clocks_of = [], []
    for item in tickets:
        clocks = clocks_for_imported_ticket(
            policy=policies[item.sla_plan_id], history=_history(item), now=now
        )
        next_warn_at, next_due_at = next_deadlines(clocks)
        rows.append(
            Ticket(
                number=item.number,
                subject=item.subject,
                requester_id=item.requester_id,
                department_id=item.department_id,
                help_topic_id=item.help_topic_id,
                priority=item.priority,
                status=item.status,
                assignee_id=item.assignee_id,
                sla_plan_id=item.sla_plan_id,
                source=item.source,
                created_at=item.created_at,
                updated_at=item.updated_at,
                resolved_at=item.resolved_at,
                closed_at=item.closed_at,
                next_warn_at=next_warn_at,
                next_due_at=next_due_at,
            )
        )
        clocks_of.append(clocks)
    Ticket.objects.bulk_create(rows)
    imported = Imported()
    all_clocks, collaborators = [], []
    for item, ticket, clocks in zip(tickets, rows, clocks_of, strict=True):
        imported.tickets[item.key] = ticket.pk
        for clock in clocks:
            clock.ticket = ticket
            all_clocks.append(clock)
        collaborators.extend(
            Collaborator(ticket=ticket, user_id=user_id, created_at=item.created_at)
            for user_id in dict.fromkeys(item.collaborator_ids)
            if user_id != item.requester_id
        )
    SLAClock.objects.bulk_create(all_clocks)
    Collaborator.objects.bulk_create(collaborators, ignore_conflicts=True)
    _write_fields_and_tags(list(zip(tickets, rows, strict=True)), by=by)
    _write_thread(
        [(ticket, item.entries, item.events) for item, ticket in zip(tickets, rows, strict=True)],
        imported,
        store_files=store_files,
        written=written,
    )
    search_documents_create_many(
        [
            (ticket.pk, ticket.subject, "\n".join(e.body for e in item.entries))
            for item, ticket in zip(tickets, rows, strict=True)
        ]
    )
    return imported


def _write_fields_and_tags(pairs: list[tuple[TicketImport, Ticket]], *, by) -> None:
    """The tickets' custom field values and tags, one INSERT each (and the new tags'):
    before the search documents, which read them."""
    values = [
        row for item, ticket in pairs for value in item.fields for row in field_rows(ticket, value)
    ]
    TicketFieldValue.objects.bulk_create(values, ignore_conflicts=True)
    tags = tags_get_or_create_many(names=[n for item, _ in pairs for n in item.tags], by=by)
    links = []
    for item, ticket in pairs:
        chosen = dict.fromkeys(
            tags[tag_clean_name(name).lower()].pk
            for name in item.tags
            if tag_clean_name(name).lower() in tags
        )
        links.extend(
            TicketTag(ticket=ticket, tag_id=tag_id, created_at=item.created_at)
            for tag_id in list(chosen)[:MAX_TAGS_PER_TICKET]
        )
    TicketTag.objects.bulk_create(links, ignore_conflicts=True)


def ticket_import_more(
    *,
    ticket: Ticket,
    entries: Sequence[EntryImport],
    events: Sequence[EventImport],
    by,
    written: list,
    store_files: bool = True,
) -> Imported:
    """Entries and events the other desk gained since the ticket was imported (a delta
    run): appended in their order, their words added to the search document."""
    _require_system(by)
    imported = Imported()
    _write_thread(
        [(ticket, list(entries), list(events))], imported, store_files=store_files, written=written
    )
    if entries:
        search_document_append(ticket_id=ticket.pk, body="\n".join(e.body for e in entries))
    return imported


def _write_thread(threads, imported: Imported, *, store_files: bool, written: list) -> None:
    entry_rows, entry_items, event_rows, event_items = [], [], [], []
    for ticket, entries, events in threads:
        for item in entries:
            entry_rows.append(
                ThreadEntry(
                    ticket=ticket,
                    kind=item.kind,
                    author_id=item.author_id,
                    body=item.body,
                    body_html=item.body_html,
                    source=item.source,
                    created_at=item.created_at,
                )
            )
            entry_items.append(item)
        for item in events:
            event_rows.append(
                TicketEvent(
                    ticket=ticket,
                    kind=item.kind,
                    actor_id=item.actor_id,
                    data=item.data,
                    created_at=item.created_at,
                )
            )
            event_items.append(item)
    ThreadEntry.objects.bulk_create(entry_rows)
    TicketEvent.objects.bulk_create(event_rows)
    attachments = []
    for entry, item in zip(entry_rows, entry_items, strict=True):
        imported.entries[item.key] = entry.pk
        for upload in item.files:
            attachments.append(_attachment(entry, upload, store=store_files, written=written))
    for event, item in zip(event_rows, event_items, strict=True):
        imported.events[item.key] = event.pk
    Attachment.objects.bulk_create(attachments)
    imported.files += len(attachments)


def _attachment(
    entry: ThreadEntry, upload: FileImport, *, store: bool, written: list
) -> Attachment:
    # Byte for byte: the other desk accepted the file, so it is kept whatever it is; its type
    # is what we detect (never its old label), and downloads are attachments with nosniff.
    kind = detect_kind(upload.content)
    attachment = Attachment(
        ticket_id=entry.ticket_id,
        entry=entry,
        token=secrets.token_hex(16),
        filename=upload.filename[:255] or "attachment",
        content_type=kind.content_type if kind else UNKNOWN_TYPE,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        content_id=upload.content_id[:255],
        created_at=entry.created_at,
    )
    if store:
        attachment.file.save("upload", ContentFile(upload.content), save=False)
        written.append((attachment.file.storage, attachment.file.name))
    else:  # a dry run, rolled back: nothing on disk
        attachment.file.name = "dry-run"
    return attachment


def ticket_import_update(*, ticket: Ticket, by, **values) -> bool:
    """The other desk changed a ticket already imported (status, assignee, department,
    times...): the same fields here, with its clocks worked out again from its whole
    history. Returns whether anything changed."""
    _require_system(by)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    changed = [name for name, value in values.items() if getattr(ticket, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(ticket, name, values[name])
    entries = list(ticket.entries.values_list("kind", "created_at"))
    history = History(
        created_at=ticket.created_at,
        status=ticket.status,
        replies=sorted(at for kind, at in entries if kind == EntryKind.REPLY),
        messages=sorted(at for kind, at in entries if kind == EntryKind.MESSAGE),
        ended_at=ticket.closed_at or ticket.resolved_at,
    )
    SLAClock.objects.filter(ticket=ticket).delete()
    clocks = clocks_for_imported_ticket(
        policy=policy_for(ticket.sla_plan_id), history=history, now=timezone.now()
    )
    for clock in clocks:
        clock.ticket = ticket
    SLAClock.objects.bulk_create(clocks)
    ticket.next_warn_at, ticket.next_due_at = next_deadlines(clocks)
    ticket.save(update_fields=[*changed, "next_warn_at", "next_due_at"])
    return True


def ticket_fields_import(
    *, ticket: Ticket, values: Sequence[FieldValue], replacing: Sequence[int], by
) -> int:
    """A ticket's custom-field values as the other desk had them: the values of the fields
    `replacing` (ids) are replaced by `values` (FieldValues, already typed: the importer
    reads the other desk's own format). No event and no search-document rewrite of what
    was there, as for all history; the text values join the ticket's search words. Returns
    how many values it wrote."""
    _require_system(by)
    TicketFieldValue.objects.filter(ticket=ticket, field_id__in=list(replacing)).delete()
    fields_store_new(ticket=ticket, values={value.field.pk: value for value in values})
    return sum(1 for value in values if not value.is_empty)
