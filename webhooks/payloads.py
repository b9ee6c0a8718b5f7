"""What a webhook says: the event type of each ticket event and thread entry, and the body.

Every body is `{"type", "timestamp", "data"}`. `data.ticket` has the ticket's id, number,
absolute url and `updated_at` (a consumer drops an event older than what it has);
`data.changes` the fields that changed, old and new, from the event's structured data
(tickets/events.py); an entry's `data.entry` an excerpt of its text, never the whole of
it. Bodies stay under MAX_BODY_BYTES whatever people typed.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from tickets.events import RecordedEvent, ref
from tickets.models import TASK_EVENT_KINDS, EntryKind, EventKind, Priority, ThreadEntry, Ticket
from webhooks.models import RULE_EVENT_TYPE, TEST_EVENT_TYPE, EventType

MAX_BODY_BYTES = 20 * 1024
EXCERPT_CHARS = 500

EVENT_TYPES = {
    EventKind.CREATED: EventType.TICKET_CREATED,
    EventKind.STATUS_CHANGED: EventType.TICKET_STATUS_CHANGED,
    EventKind.REOPENED: EventType.TICKET_STATUS_CHANGED,
    EventKind.ASSIGNED: EventType.TICKET_ASSIGNED,
    EventKind.CLAIMED: EventType.TICKET_ASSIGNED,
    EventKind.PRIORITY_CHANGED: EventType.TICKET_UPDATED,
    EventKind.PLAN_CHANGED: EventType.TICKET_UPDATED,
    EventKind.TRANSFERRED: EventType.TICKET_UPDATED,
    EventKind.SLA_WARNING: EventType.SLA_WARNING,
    EventKind.SLA_BREACHED: EventType.SLA_BREACHED,
    EventKind.ESCALATED: EventType.ESCALATED,
    EventKind.TICKET_MERGED: EventType.TICKET_MERGED,
    EventKind.MERGED_INTO: EventType.TICKET_MERGED,
    EventKind.MERGE_UNDONE: EventType.TICKET_MERGED,
    EventKind.LINK_ADDED: EventType.TICKET_LINKED,
    EventKind.LINK_REMOVED: EventType.TICKET_LINKED,
    EventKind.SATISFACTION_RATED: EventType.SATISFACTION_RATED,
    EventKind.TASK_CREATED: EventType.TASK_CREATED,
    EventKind.TASK_CHANGED: EventType.TASK_UPDATED,
    EventKind.TASK_ASSIGNED: EventType.TASK_ASSIGNED,
    EventKind.TASK_COMPLETED: EventType.TASK_COMPLETED,
    EventKind.TASK_REOPENED: EventType.TASK_REOPENED,
    EventKind.TASK_DELETED: EventType.TASK_DELETED,
}
# Events whose structured data the body carries whole, under this key (tickets/events.py).
DETAIL_KEY = {
    EventKind.TICKET_MERGED: "merge",
    EventKind.MERGED_INTO: "merge",
    EventKind.MERGE_UNDONE: "merge",
    EventKind.LINK_ADDED: "link",
    EventKind.LINK_REMOVED: "link",
}
ENTRY_TYPES = {
    EntryKind.MESSAGE: EventType.MESSAGE_CREATED,
    EntryKind.REPLY: EventType.REPLY_CREATED,
    EntryKind.NOTE: EventType.NOTE_CREATED,
}
# The ticket field each kind of event changes, as `data.changes` names it.
CHANGED_FIELD = {
    EventKind.CREATED: "status",
    EventKind.STATUS_CHANGED: "status",
    EventKind.REOPENED: "status",
    EventKind.ASSIGNED: "assignee",
    EventKind.CLAIMED: "assignee",
    EventKind.PRIORITY_CHANGED: "priority",
    EventKind.PLAN_CHANGED: "sla_plan",
    EventKind.TRANSFERRED: "department",
    EventKind.SATISFACTION_RATED: "satisfaction",
}


@dataclass(frozen=True)
class TicketFacts:
    """The ticket as the payload describes it, after the change."""

    id: int
    number: int
    subject: str
    status: str
    priority: int
    department_id: int
    assignee_id: int | None
    updated_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketFacts":
        return cls(
            id=ticket.pk,
            number=ticket.number,
            subject=ticket.subject,
            status=ticket.status,
            priority=ticket.priority,
            department_id=ticket.department_id,
            assignee_id=ticket.assignee_id,
            updated_at=ticket.updated_at,
        )


FACT_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "department_id",
    "assignee_id",
    "updated_at",
)


def ticket_facts(ticket_ids: set[int]) -> dict[int, TicketFacts]:
    """The tickets of a batch (the sweep's), in one query."""
    rows = Ticket.objects.filter(pk__in=ticket_ids).values_list(*FACT_FIELDS)
    return {row[0]: TicketFacts(*row) for row in rows}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ticket_url(number: int) -> str:
    return f"{settings.SITE_URL}{reverse('agent:ticket', args=[number])}"


def _ticket(facts: TicketFacts, at: datetime) -> dict:
    return {
        "id": facts.id,
        "number": facts.number,
        "url": ticket_url(facts.number),
        "subject": facts.subject,
        "status": facts.status,
        "priority": {"id": facts.priority, "name": Priority(facts.priority).label},
        "department_id": facts.department_id,
        "assignee_id": facts.assignee_id,
        # The event may come before the ticket's own save in its transaction.
        "updated_at": iso(max(facts.updated_at, at)),
    }


def event_departments(event: RecordedEvent, facts: TicketFacts) -> set[int]:
    """The departments an event concerns: the ticket's, both ends of a transfer, and a
    task's department when its event names it (a task for another team is theirs too)."""
    departments = {facts.department_id}
    values = event.values()
    ends: list = []
    if event.kind == EventKind.TRANSFERRED:
        ends = [values.get("from"), values.get("to")]
    elif event.kind == EventKind.TASK_CREATED:
        ends = [values.get("department")]
    elif event.kind == EventKind.TASK_CHANGED:
        for item in values.get("changes") or []:
            if item.get("field") == "department":
                ends += [item.get("from"), item.get("to")]
    for end in ends:
        if isinstance(end, dict) and end.get("id") is not None:
            departments.add(end["id"])
    return departments


def _task(kind: str, values: dict) -> dict:
    """`data.task`: the task by id and title as the event recorded it, and what the event
    says of it (tickets/events.py's task_* data)."""
    task = values.get("task") or {}
    data: dict = {"id": task.get("id"), "title": task.get("name")}
    if kind == EventKind.TASK_CREATED:
        data["department"] = values.get("department")
        data["assignee"] = values.get("assignee")
        data["due_at"] = values.get("due_at")
    elif kind == EventKind.TASK_ASSIGNED:
        data["changes"] = {"assignee": {"old": values.get("from"), "new": values.get("to")}}
    elif kind == EventKind.TASK_CHANGED:
        data["changes"] = {
            item["field"]: {"old": item.get("from"), "new": item.get("to")}
            for item in values.get("changes") or []
            if item.get("field")
        }
    elif kind == EventKind.TASK_COMPLETED:
        data["status"] = "done"
    elif kind == EventKind.TASK_REOPENED:
        data["status"] = "open"
    return data


def event_body(event: RecordedEvent, event_type: str, facts: TicketFacts) -> str:
    values = event.values()
    data: dict = {
        "ticket": _ticket(facts, event.created_at),
        "event": {
            "id": event.id,
            "kind": event.kind,
            "actor_id": event.actor_id,
            "created_at": iso(event.created_at),
        },
        "changes": {},
    }
    if values.get("via"):
        data["event"]["via"] = values["via"]
    if values.get("rule"):  # an automation rule made the change (tickets/events.py)
        data["event"]["rule"] = values["rule"]
    field = CHANGED_FIELD.get(event.kind)
    if field is not None:
        data["changes"][field] = {"old": values.get("from"), "new": values.get("to")}
    if values.get("clock"):
        data["clock"] = values["clock"]
    if event.kind == EventKind.SATISFACTION_RATED:
        comment = str(values.get("comment") or "")
        data["satisfaction"] = {
            "survey_id": values.get("survey"),
            "comment": _excerpt(comment, EXCERPT_CHARS),
            "truncated": len(comment) > EXCERPT_CHARS,
        }
    if event.kind == EventKind.ESCALATED:
        data["escalation"] = {k: v for k, v in values.items() if k not in ("clock", "via", "rule")}
    if event.kind in TASK_EVENT_KINDS:
        data["task"] = _task(event.kind, values)
    if event.kind in DETAIL_KEY:
        data[DETAIL_KEY[event.kind]] = {
            k: v for k, v in values.items() if k not in ("via", "rule")
        }
    return _body(event_type, event.created_at, data)


def entry_body(entry: ThreadEntry, event_type: str, facts: TicketFacts) -> str:
    text = entry.body or ""
    data = {
        "ticket": _ticket(facts, entry.created_at),
        "entry": {
            "id": entry.pk,
            "kind": entry.kind,
            "author": ref(entry.author) if entry.author_id else None,
            "source": entry.source,
            "created_at": iso(entry.created_at),
            "excerpt": _excerpt(text, EXCERPT_CHARS),
            "length": len(text),
            "truncated": len(text) > EXCERPT_CHARS,
        },
        "changes": {},
    }
    return _body(event_type, entry.created_at, data)


def ping_body(*, endpoint_id: int, at: datetime) -> str:
    return _body(
        TEST_EVENT_TYPE,
        at,
        {"endpoint_id": endpoint_id, "message": "A test event from the help desk's admin."},
    )


def rule_body(*, facts: TicketFacts, rule: dict, at: datetime) -> str:
    """An automation rule's call: the ticket as it is, and the rule ({"id", "name"})."""
    return _body(RULE_EVENT_TYPE, at, {"ticket": _ticket(facts, at), "rule": rule})


def _excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _body(event_type: str, at: datetime, data: dict) -> str:
    body = _encode({"type": event_type, "timestamp": iso(at), "data": data})
    if len(body.encode()) <= MAX_BODY_BYTES:
        return body
    # Text people wrote is the only thing that can grow: shorten it until the body fits.
    ticket = data["ticket"]
    ticket["subject"] = _excerpt(ticket["subject"], 120)
    if "entry" in data:
        data["entry"]["excerpt"] = _excerpt(data["entry"]["excerpt"], 120)
        data["entry"]["truncated"] = True
    body = _encode({"type": event_type, "timestamp": iso(at), "data": data})
    if len(body.encode()) <= MAX_BODY_BYTES:
        return body
    data = {"ticket": {k: ticket[k] for k in ("id", "number", "url", "updated_at")}}
    data["truncated"] = True
    return _encode({"type": event_type, "timestamp": iso(at), "data": data})


def _encode(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
