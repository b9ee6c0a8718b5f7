"""Reads of custom fields: a topic's fields for the portal's form, a ticket's values for
the agent page, the portal and the API, and the choice fields the queue filters and sorts
by. Who sees which field is tickets.access's answer (topic_fields, ticket_fields)."""

from __future__ import annotations

from django.db.models import Prefetch

from tickets import access
from tickets.fieldvalues import FieldValue, values_of_rows
from tickets.models import (
    CHOICE_KINDS,
    CustomField,
    FieldChoice,
    HelpTopic,
    Ticket,
    TicketFieldValue,
)


def intake_fields_for_portal(*, help_topic: HelpTopic | int | None) -> list[CustomField]:
    """The fields the portal's form asks for a topic: requester-visible ones, in order."""
    topic_id = help_topic.pk if isinstance(help_topic, HelpTopic) else help_topic
    return access.topic_fields(topic_id, for_requester=True)


def _values(ticket: Ticket, fields: list[CustomField]) -> list[FieldValue]:
    if not fields:
        return []
    rows = TicketFieldValue.objects.filter(ticket=ticket, field__in=fields).select_related(
        "choice", "value_user"
    )
    values = values_of_rows(fields, rows)
    return [values[field.pk] for field in fields]


def ticket_fields_for_agent(*, ticket: Ticket) -> list[FieldValue]:
    """Every field of the ticket an agent sees and edits, empty ones too, in order."""
    return _values(ticket, access.ticket_fields(ticket, for_requester=False))


def ticket_fields_for_requester(*, ticket: Ticket) -> list[FieldValue]:
    """The filled fields a requester may see: never an agents-only one."""
    fields = access.ticket_fields(ticket, for_requester=True)
    return [value for value in _values(ticket, fields) if not value.is_empty]


def queue_choice_fields(*, department_ids) -> list[CustomField]:
    """The choice fields of the agent's departments' topics, with their choices: what the
    queue offers to filter and sort by. `department_ids` None: every department."""
    fields = CustomField.objects.filter(kind__in=CHOICE_KINDS, is_active=True)
    if department_ids is not None:
        fields = fields.filter(topic_links__help_topic__department_id__in=department_ids)
    return list(
        fields.prefetch_related(
            Prefetch(
                "choices",
                queryset=FieldChoice.objects.order_by("position", "id"),
                to_attr="choice_list",
            )
        )
        .distinct()
        .order_by("label", "id")
    )
