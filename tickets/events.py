"""The structured data of ticket events: one vocabulary, whoever causes the change.

Every TicketEvent carries `data`, a small JSON object of references, each an id with the
label it had at the time (`{"id": 4, "name": "Ryan Howard"}`), so webhooks and reports can
join on ids while the timeline still reads well after a rename or a deletion:

    created            {"to": status}
    claimed            {"to": agent}
    assigned           {"from": agent | null, "to": agent | null, "auto"?: true,
                        "policy"?: "round_robin" | "least_open"}  (auto: by the
                        department's policy, tickets/services/auto_assign.py)
    transferred        {"from": department, "to": department}
    priority_changed   {"from": priority, "to": priority}
    plan_changed       {"from": plan | null, "to": plan | null}
    status_changed     {"from": status, "to": status}
    reopened           {"from": status, "to": status}
    sla_warning        {"clock": clock}
    sla_breached       {"clock": clock}
    escalated          {"clock": clock, "action": "transferred" | "assigned" |
                        "priority_raised" | "notified", "from"?, "to", "role"?}
    access_link_revoked {}
    collaborator_added {"to": user, "merge"?: true}  (merge: added by a merge)
    collaborator_removed {"from": user, "merge"?: true}  (merge: taken off by its undo)
    mail_stopped       {"to": suppression, "status": "5.1.1"}
    mail_resumed       {"from": suppression, "user": user | null}
    fields_changed     {"changes": [{"field": field, "from": text | null, "to": text | null,
                        "from_choices"?: [choice], "to_choices"?: [choice]}]}  (custom
                        fields, tickets/services/fields.py; choices for choice kinds)
    task_created       {"task": task, "department": department, "assignee": agent | null,
                        "due_at": iso time | null}
    task_changed       {"task": task, "changes": [{"field": "title" | "description" |
                        "department" | "due_at", "from": text | ref | null,
                        "to": text | ref | null}]}  (a description's text is not copied:
                        "from"/"to" are null for it, its change is named only)
    task_assigned      {"task": task, "from": agent | null, "to": agent | null}
    task_completed     {"task": task}
    task_reopened      {"task": task}
    task_deleted       {"task": task}
                        (tasks, tickets/services/tasks.py; a task reference is its id and
                        title: {"id": 7, "name": "Replace the monitor"})
    merged_into        {"to": ticket, "merge": id, "status": {"from": status, "to": status}}
                       (on the source; a ticket reference adds "number")
    ticket_merged      {"from": ticket, "merge": id, "entries": n}  (on the target)
    merge_undone       {"source": ticket, "target": ticket, "merge": id}  (on both)
    link_added         {"link": {"id", "kind", "name"}, "to": ticket}  (on both; "name"
                       as that ticket reads it: "child of", "duplicated by")
    link_removed       the same as link_added
    tag_added          {"to": tag, "merged_from"?: tag}  (tickets/services/tags.py; a
                        tag's reference is its id and its name as shown; merged_from: an
                        admin merged that tag into this one)
    tag_removed        {"from": tag, "merged_into"?: tag}
    time_logged        {"minutes": 25, "time_entry": id, "entry": {"id", "kind"} | null}
                        (tickets/services/time_spent.py; entry: the reply or note the
                        time was spent on; the note's text stays in the TimeEntry)

Listeners: an app above tickets (webhooks) that must act in the transaction of each change
registers a `TicketListener` (`register_event_listener`, from its AppConfig.ready). The one
function that writes events (tickets.services.common.record_event), the sweep's bulk
insert (with the events it inserted) and the one function that writes thread entries
(add_entry) tell the listeners, still inside the change's transaction, so whatever they
write commits or rolls back with the change. tickets never imports its listeners.

Any event may also carry `"via": "API key Monitoring"`: the change came through an API key
acting as the actor (acting_via, set by the API around its service calls); and
`"rule": {"id": 3, "name": "Route printer tickets"}`: an automation rule made the change, as
the system (acting_for_rule, set by automation around a rule's actions).

A suppression reference (a stop on mail to a bounced address) has the MailSuppression's
id and the address as its name. A status or priority reference has the stored value as its
id ("pending", 3); a clock reference has the clock's id, its kind and the kind's label. An
escalation that changes the ticket is recorded twice on purpose: as the change itself
(`transferred` by the system, say), which is what webhooks and reports count, and as an
`escalated` marker that says why it happened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tickets.models import ClockKind, EventKind, Priority, Status, ThreadEntry, Ticket

Ref = dict[str, Any]

_via: ContextVar[str | None] = ContextVar("tickets_event_via", default=None)
_rule: ContextVar[Ref | None] = ContextVar("tickets_event_rule", default=None)


@contextmanager
def acting_via(label: str | None) -> Iterator[None]:
    """Events recorded inside say how the change came (`"via": label`): the API wraps the
    services it calls for a key in this, so the history reads "via API key Monitoring"."""
    token = _via.set(label)
    try:
        yield
    finally:
        _via.reset(token)


def current_via() -> str | None:
    return _via.get()


@contextmanager
def acting_for_rule(rule: Ref | None) -> Iterator[None]:
    """Events recorded inside name the automation rule that made the change
    (`"rule": {"id", "name"}`), so the timeline reads "by rule 'Route printer tickets'" and
    automation knows not to let a rule re-trigger itself."""
    token = _rule.set(rule)
    try:
        yield
    finally:
        _rule.reset(token)


def current_rule() -> Ref | None:
    return _rule.get()


# Listeners ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event just written, as listeners get it.

    `data` is the event's dict, or (from the sweep, which encodes its events itself) the
    same object as JSON text: `values()` reads either. `ticket` is the locked ticket the
    service changed, with its new values; the sweep has only `ticket_id`.
    """

    id: int
    ticket_id: int
    kind: str
    data: dict | str
    created_at: datetime
    actor_id: int | None = None
    ticket: Ticket | None = None

    def values(self) -> dict:
        return json.loads(self.data) if isinstance(self.data, str) else self.data


class TicketListener(Protocol):
    def listening(self) -> bool:
        """Cheap (no query): whether the listener wants anything now. When none does, the
        sweep does not even build the records."""

    def events_recorded(self, events: Sequence[RecordedEvent]) -> None:
        """Inside the transaction that wrote the events."""

    def entry_added(self, entry: ThreadEntry) -> None:
        """Inside the transaction that wrote the thread entry (entry.ticket is locked)."""


_listeners: list[TicketListener] = []


def register_event_listener(listener: TicketListener) -> None:
    """Called once per process from an AppConfig.ready(); registering twice is harmless."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_event_listener(listener: TicketListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def listeners_listening() -> bool:
    return any(listener.listening() for listener in _listeners)


def events_recorded(events: Sequence[RecordedEvent]) -> None:
    """Tell the listeners of events just written, in the writing transaction."""
    if not events:
        return
    for listener in _listeners:
        if listener.listening():
            listener.events_recorded(events)


def entry_added(entry: ThreadEntry) -> None:
    """Tell the listeners of a thread entry just written, in the writing transaction."""
    for listener in _listeners:
        if listener.listening():
            listener.entry_added(entry)


def ref(obj) -> Ref | None:
    """A model instance as {"id", "name"}; None stays None (nobody, no plan)."""
    if obj is None:
        return None
    return {"id": obj.pk, "name": str(obj)}


def task_ref(task) -> Ref:
    return {"id": task.pk, "name": task.title}


def status_ref(value: str) -> Ref:
    return {"id": value, "name": Status(value).label}


def priority_ref(value: int) -> Ref:
    return {"id": value, "name": Priority(value).label}


def clock_ref(clock_id: int | None, kind: str) -> Ref:
    return {"id": clock_id, "kind": kind, "name": ClockKind(kind).label}


def change(old: Ref | None, new: Ref | None) -> dict:
    return {"from": old, "to": new}


def _choice_refs(value) -> list[Ref]:
    chosen = value if isinstance(value, list) else [value]
    return [{"id": choice.pk, "name": choice.label} for choice in chosen if choice is not None]


def fields_change(pairs) -> dict:
    """A fields_changed event's data from (old, new) values of tickets.services.fields:
    each field by id and label, its values as text, and the choices by id for choice
    kinds (so a report can join on them after a choice is renamed)."""
    changes = []
    for old, new in pairs:
        field = new.field
        item = {
            "field": {"id": field.pk, "name": field.label, "key": field.name},
            "from": old.text or None,
            "to": new.text or None,
        }
        if field.has_choices:
            item["from_choices"] = _choice_refs(old.value)
            item["to_choices"] = _choice_refs(new.value)
        changes.append(item)
    return {"changes": changes}


# Reading -------------------------------------------------------------------------------


def ref_name(value: Ref | None) -> str:
    return "" if not value else str(value.get("name") or "")


def fields_changed_text(data: dict) -> str:
    """A fields_changed event as a sentence: 'changed Asset tag from DM-1 to DM-2'."""
    parts = []
    for item in data.get("changes") or []:
        label = ref_name(item.get("field"))
        old, new = item.get("from"), item.get("to")
        if old and new:
            parts.append(f"{label} from {old} to {new}")
        elif new:
            parts.append(f"{label} to {new}")
        else:
            parts.append(f"cleared {label} (was {old})")
    return "changed " + "; ".join(parts) if parts else "changed the custom fields"


def task_changed_text(data: dict) -> str:
    """A task_changed event as a sentence: 'changed task Move the desk: due time, title'."""
    names = {
        "title": "title",
        "description": "description",
        "department": "department",
        "due_at": "due time",
    }
    changed = [
        names.get(item.get("field"), str(item.get("field"))) for item in data.get("changes") or []
    ]
    task = ref_name(data.get("task"))
    return f"changed task “{task}”" + (f": {', '.join(changed)}" if changed else "")


def escalation_text(data: dict) -> str:
    """What an escalation did, as a short sentence: "Transferred to IT"."""
    action, to = data.get("action"), ref_name(data.get("to"))
    if action == "transferred":
        return f"Transferred to {to}"
    if action == "assigned":
        return f"Reassigned to {to}"
    if action == "priority_raised":
        return f"Priority raised from {ref_name(data.get('from'))} to {to}"
    if action == "notified":
        return f"Notified {to} ({data.get('role', '')})"
    return str(data.get("text", ""))


def event_values(kind: str, data: dict) -> tuple[str, str]:
    """The event's before and after as short text, for the admin's From and To columns."""
    if kind in (EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.REOPENED):
        # Statuses as stored, as the admin has always shown them.
        return _ref_id(data.get("from")), _ref_id(data.get("to"))
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        return "", str((data.get("clock") or {}).get("kind", ""))
    if kind == EventKind.ESCALATED:
        return str((data.get("clock") or {}).get("kind", "")), escalation_text(data)
    return ref_name(data.get("from")), ref_name(data.get("to"))


def _ref_id(value: Ref | None) -> str:
    return "" if not value else str(value.get("id", ""))
