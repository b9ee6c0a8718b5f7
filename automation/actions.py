"""What a rule can do: one entry per kind of action, each through the ticket services as the
system actor (accounts.roles.SYSTEM), inside the rule's transaction.

Adding a kind is one entry in ACTION_KINDS: its label (the admin's choice), the Action
columns it needs (the admin form checks them), and the function that does it. Each takes
the action, the locked ticket and the rule's reference ({"id", "name"}), and returns the
ticket as the service left it. An action that would change nothing is skipped; one the
ticket's state does not allow raises the service's domain error, and the rule's run is
recorded as failed (automation.engine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.roles import SYSTEM
from automation.emails import rule_email_queue
from automation.models import Action
from tickets.errors import InvalidInput
from tickets.models import Ticket
from tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_auto_assign,
    ticket_change_status,
    ticket_reply,
    ticket_set_plan,
    ticket_set_priority,
    ticket_transfer,
)
from tickets.transitions import status_action_for
from webhooks.services import webhook_call_for_rule

PLACEHOLDERS = ("number", "subject", "requester_name", "department")


def render_text(text: str, ticket: Ticket) -> str:
    """The action's text with the ticket's placeholders filled in. Plain text: whatever it
    holds is escaped where it is shown (timeline, portal, email), never read as HTML; only
    these names are replaced (no str.format: a brace in the text stays a brace)."""
    values = {
        "number": str(ticket.number),
        "subject": ticket.subject,
        "requester_name": str(ticket.requester),
        "department": str(ticket.department),
    }
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values[name])
    return text


def _set_priority(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    return ticket_set_priority(ticket=ticket, priority=action.priority, by=SYSTEM)


def _set_plan(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    return ticket_set_plan(ticket=ticket, plan=action.sla_plan, by=SYSTEM)


def _transfer(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    if ticket.department_id == action.department_id:
        return ticket
    return ticket_transfer(ticket=ticket, department=action.department, by=SYSTEM)


def _assign(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    return ticket_assign(ticket=ticket, agent=action.agent, by=SYSTEM)


def _assign_auto(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    # The department's own policy picks (round-robin or least open, among the available);
    # a department with auto-assignment off, or nobody available, leaves the ticket as it is.
    return ticket_auto_assign(ticket=ticket, by=SYSTEM)


def _set_status(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    if ticket.status == action.status:
        return ticket
    move = status_action_for(ticket.status, action.status)
    if move is None:
        raise InvalidInput(
            f"Ticket #{ticket.number} cannot go from {ticket.get_status_display()} to "
            f"{action.get_status_display()}."
        )
    return ticket_change_status(ticket=ticket, action=move.name, by=SYSTEM)


def _add_note(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    ticket_add_note(ticket=ticket, body=render_text(action.text, ticket), by=SYSTEM)
    return ticket


def _send_reply(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    text = action.canned_response.body if action.canned_response_id else action.text
    ticket_reply(ticket=ticket, body=render_text(text, ticket), by=SYSTEM)
    return ticket


def _email_address(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    rule_email_queue(
        ticket=ticket, to=action.email, body=render_text(action.text, ticket), rule=rule
    )
    return ticket


def _notify_manager(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    manager = ticket.department.manager
    if manager is None or not manager.is_active or not manager.user.email:
        return ticket  # nobody to tell: nothing to do, not a failure
    rule_email_queue(
        ticket=ticket, to=manager.user.email, body=render_text(action.text, ticket), rule=rule
    )
    return ticket


def _call_webhook(action: Action, ticket: Ticket, rule: dict) -> Ticket:
    webhook_call_for_rule(endpoint=action.webhook_endpoint, ticket=ticket, rule=rule)
    return ticket


@dataclass(frozen=True)
class ActionKind:
    label: str
    # Action columns that must be set; a tuple inside is "one of these".
    needs: tuple[str | tuple[str, ...], ...]
    run: Callable[[Action, Ticket, dict], Ticket]


ACTION_KINDS: dict[str, ActionKind] = {
    "set_priority": ActionKind("Set the priority", ("priority",), _set_priority),
    "set_plan": ActionKind("Set the SLA plan", ("sla_plan",), _set_plan),
    "transfer": ActionKind("Transfer to a department", ("department",), _transfer),
    "assign": ActionKind("Assign to an agent", ("agent",), _assign),
    "assign_auto": ActionKind("Assign automatically (the department's policy)", (), _assign_auto),
    "set_status": ActionKind("Set the status", ("status",), _set_status),
    "add_note": ActionKind("Add an internal note", ("text",), _add_note),
    "send_reply": ActionKind(
        "Send a reply to the requester", (("canned_response", "text"),), _send_reply
    ),
    "email_address": ActionKind("Email an address", ("email", "text"), _email_address),
    "notify_manager": ActionKind("Email the department's manager", ("text",), _notify_manager),
    "call_webhook": ActionKind("Call a webhook endpoint", ("webhook_endpoint",), _call_webhook),
}


def action_missing(action: Action) -> list[str]:
    """The columns the action's kind needs and it lacks (names of Action fields)."""
    kind = ACTION_KINDS[action.kind]
    missing = []
    for need in kind.needs:
        names = need if isinstance(need, tuple) else (need,)
        if not any(_is_set(action, name) for name in names):
            missing.append(names[0])
    return missing


def _is_set(action: Action, name: str) -> bool:
    field = Action._meta.get_field(name)
    value = getattr(action, field.attname)
    return value not in (None, "")
