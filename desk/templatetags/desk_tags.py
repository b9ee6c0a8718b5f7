"""Small display helpers for the agent workspace: time left, badges, event sentences."""

import datetime
import json

from django import template
from django.urls import reverse
from django.utils import timezone

from tickets import access
from tickets.events import escalation_text, fields_changed_text, ref_name, task_changed_text
from tickets.models import ClockKind, EventKind, Priority, Status
from tickets.selectors import queue as queue_selectors
from web.html import entry_html

register = template.Library()


def _span(minutes: int) -> str:
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


@register.filter
def time_left(due: datetime.datetime | None) -> str:
    """'2h 15m' until the deadline, '-35m' past it, '' without one."""
    if due is None:
        return ""
    seconds = (due - timezone.now()).total_seconds()
    minutes = int(abs(seconds) // 60)
    return _span(minutes) if seconds >= 0 else f"\u2212{_span(minutes)}"


@register.filter
def minutes_span(minutes) -> str:
    return "" if minutes is None else _span(round(minutes))


@register.filter
def sla_class(state: str) -> str:
    return {"warning": "sla-warning", "breached": "sla-breached"}.get(state, "sla-ok")


@register.filter
def priority_class(priority: int) -> str:
    return {
        Priority.LOW: "text-bg-light border",
        Priority.NORMAL: "text-bg-secondary",
        Priority.HIGH: "text-bg-warning",
        Priority.URGENT: "text-bg-danger",
    }.get(priority, "text-bg-secondary")


@register.filter
def status_class(status: str) -> str:
    return {
        Status.OPEN: "text-bg-primary",
        Status.PENDING: "text-bg-info",
        Status.RESOLVED: "text-bg-success",
        Status.CLOSED: "text-bg-dark",
    }.get(status, "text-bg-secondary")


@register.filter
def status_label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status


def _clock(kind: str) -> str:
    try:
        return ClockKind(kind).label.lower()
    except ValueError:
        return kind


def _clock_of(data: dict) -> str:
    return _clock(str((data.get("clock") or {}).get("kind", "")))


def _status_of(value) -> str:
    return status_label(str((value or {}).get("id", "")))


# How an auto-assignment chose, as the timeline says it (tickets/services/auto_assign.py).
_AUTO_POLICY = {"round_robin": "round-robin", "least_open": "fewest open tickets"}


def _assigned(data: dict, old: str, new: str) -> str:
    if data.get("auto") and new:
        policy = _AUTO_POLICY.get(str(data.get("policy", "")), "")
        return f"auto-assigned the ticket to {new}" + (f" ({policy})" if policy else "")
    if new:
        return f"assigned the ticket to {new}" + (f" (was {old})" if old else "")
    return f"unassigned {old}" if old else "unassigned the ticket"


# Each kind's sentence, from the event's data and its before and after names.
def _task_sentence(verb: str, data: dict) -> str:
    return f"{verb} task “{ref_name(data.get('task'))}”"


_SENTENCES = {
    EventKind.CLAIMED: lambda data, old, new: "claimed the ticket",
    EventKind.ASSIGNED: lambda data, old, new: _assigned(data, old, new),
    EventKind.TRANSFERRED: lambda data, old, new: f"transferred the ticket from {old} to {new}",
    EventKind.PRIORITY_CHANGED: lambda data, old, new: f"changed the priority from {old} to {new}",
    EventKind.PLAN_CHANGED: lambda data, old, new: (
        f"changed the SLA plan from {old or 'none'} to {new or 'none'}"
    ),
    EventKind.STATUS_CHANGED: lambda data, old, new: (
        f"changed the status from {_status_of(data.get('from'))} to {_status_of(data.get('to'))}"
    ),
    EventKind.REOPENED: lambda data, old, new: "reopened the ticket",
    EventKind.SLA_WARNING: lambda data, old, new: (
        f"SLA warning: the {_clock_of(data)} target is at risk"
    ),
    EventKind.SLA_BREACHED: lambda data, old, new: (
        f"SLA breached: the {_clock_of(data)} target was missed"
    ),
    EventKind.ESCALATED: lambda data, old, new: f"escalated: {escalation_text(data)}",
    EventKind.ACCESS_LINK_REVOKED: lambda data, old, new: (
        "revoked the requester's private link (a new one was emailed)"
    ),
    EventKind.COLLABORATOR_ADDED: lambda data, old, new: f"added {new} as a collaborator",
    EventKind.COLLABORATOR_REMOVED: lambda data, old, new: f"removed collaborator {old}",
    EventKind.MAIL_STOPPED: lambda data, old, new: (
        f"stopped mail to {new}: it bounced ({data.get('status') or 'permanent failure'})"
    ),
    EventKind.MAIL_RESUMED: lambda data, old, new: f"sent mail again to {old}",
    EventKind.FIELDS_CHANGED: lambda data, old, new: fields_changed_text(data),
    EventKind.TASK_CREATED: lambda data, old, new: (
        f"added task “{ref_name(data.get('task'))}”"
        + (f" for {ref_name(data.get('assignee'))}" if data.get("assignee") else "")
        + f" ({ref_name(data.get('department'))})"
    ),
    EventKind.TASK_CHANGED: lambda data, old, new: task_changed_text(data),
    EventKind.TASK_ASSIGNED: lambda data, old, new: (
        f"assigned task “{ref_name(data.get('task'))}” to {new}"
        if new
        else f"unassigned task “{ref_name(data.get('task'))}” (was {old})"
    ),
    EventKind.TASK_COMPLETED: lambda data, old, new: _task_sentence("completed", data),
    EventKind.TASK_REOPENED: lambda data, old, new: _task_sentence("reopened", data),
    EventKind.TASK_DELETED: lambda data, old, new: _task_sentence("deleted", data),
    EventKind.TICKET_MERGED: lambda data, old, new: (
        f"merged #{_number(data.get('from'))} into this ticket"
    ),
    EventKind.MERGED_INTO: lambda data, old, new: (
        f"merged this ticket into #{_number(data.get('to'))}"
    ),
    EventKind.MERGE_UNDONE: lambda data, old, new: (
        f"undid the merge of #{_number(data.get('source'))} into #{_number(data.get('target'))}"
    ),
    EventKind.LINK_ADDED: lambda data, old, new: (
        f"linked this ticket: {ref_name(data.get('link'))} #{_number(data.get('to'))}"
    ),
    EventKind.LINK_REMOVED: lambda data, old, new: (
        f"removed the link: {ref_name(data.get('link'))} #{_number(data.get('to'))}"
    ),
    EventKind.TAG_ADDED: lambda data, old, new: (
        f"tagged the ticket {new}"
        + (f" (merged from {ref_name(data['merged_from'])})" if data.get("merged_from") else "")
    ),
    EventKind.TAG_REMOVED: lambda data, old, new: (
        f"merged tag {old} into {ref_name(data['merged_into'])}"
        if data.get("merged_into")
        else f"removed tag {old}"
    ),
    EventKind.TIME_LOGGED: lambda data, old, new: (
        f"logged {minutes_spent(data.get('minutes'))} spent"
        + {"reply": " on a reply", "note": " on a note"}.get(
            str((data.get("entry") or {}).get("kind", "")), ""
        )
    ),
    EventKind.SATISFACTION_RATED: lambda data, old, new: (
        f"rated the support {new}"
        + (f" (was {old})" if old else "")
        + (f": “{data['comment']}”" if data.get("comment") else "")
    ),
}


def _number(value) -> str:
    return str((value or {}).get("number", ""))


@register.filter
def time_tables(by_agent, by_department) -> list:
    """The report's two time-spent tables, as (title, rows)."""
    return [("Agent", by_agent), ("Department", by_department)]


@register.filter
def minutes_spent(minutes) -> str:
    """Minutes as people read them: '45 min', '2 h', '1 h 5 min'."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


@register.filter
def event_text(event) -> str:
    """What happened, as a sentence without its actor (autoescaped by the template)."""
    sentence = _SENTENCES.get(event.kind)
    if sentence is None:
        return event.get_kind_display()
    data = event.data or {}
    return sentence(data, ref_name(data.get("from")), ref_name(data.get("to")))


@register.filter
def json_list(value) -> str:
    """A list as JSON, for a hidden input (autoescaped by the template); '[]' for nothing."""
    return json.dumps(list(value) if isinstance(value, list | tuple) else [])


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def capped(count) -> str:
    """A capped count as people read it: '1000+' once past the cap."""
    if count is None:
        return ""
    cap = queue_selectors.COUNT_CAP
    return f"{cap}+" if count > cap else str(count)


@register.filter
def agent_entry_html(entry) -> str:
    """The entry's HTML, safe, with its inline images from the desk's file view."""
    return entry_html(
        entry, lambda attachment: reverse("agent:attachment_inline", args=[attachment.pk])
    )


@register.inclusion_tag("desk/partials/availability.html", takes_context=True)
def availability_switch(context):
    """The navbar's "Available for new tickets" switch, for an agent (a superuser without an
    agent profile has none). `user.agent` was read when the view checked the agent: no
    query."""
    request = context["request"]
    return {
        "agent": access.agent_of(request.user),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
