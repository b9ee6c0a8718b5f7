"""The fan-out: a delivery row per subscribed endpoint for each event, in the event's
transaction.

`WebhookFanout` is a tickets.events listener (registered in WebhooksConfig.ready): the
services' record_event, the SLA sweep's bulk insert and the conversation's add_entry call
it inside their transaction, so an event and its deliveries commit together or not at
all. The senders are woken once per endpoint after commit (webhooks.sending); the beat
sweep finds whatever a lost wake-up left. With no active endpoint it costs no query.
"""

from collections.abc import Sequence

from django.utils import timezone

from tickets.events import RecordedEvent
from tickets.models import ThreadEntry
from webhooks.endpoints import EndpointRule, active_endpoints
from webhooks.models import WebhookDelivery
from webhooks.payloads import (
    ENTRY_TYPES,
    EVENT_TYPES,
    TicketFacts,
    entry_body,
    event_body,
    event_departments,
    ticket_facts,
)
from webhooks.signing import new_webhook_id
from webhooks.wakeup import endpoints_wake_on_commit

BULK_BATCH = 2000


class WebhookFanout:
    def listening(self) -> bool:
        return bool(active_endpoints())

    def events_recorded(self, events: Sequence[RecordedEvent]) -> None:
        rules = active_endpoints()
        subscribed = {t for rule in rules for t in rule.events}
        typed = [
            (event, EVENT_TYPES[event.kind])
            for event in events
            if event.kind in EVENT_TYPES and EVENT_TYPES[event.kind] in subscribed
        ]
        if not typed:
            return
        facts = _facts_of([event for event, _ in typed])
        now = timezone.now()
        rows = []
        for event, event_type in typed:
            ticket = facts.get(event.ticket_id)
            if ticket is None:
                continue
            targets = _targets(rules, event_type, event_departments(event, ticket))
            if not targets:
                continue
            body = event_body(event, event_type, ticket)
            rows.extend(
                _delivery(rule, event_type, body, now, ticket_id=ticket.id, event_id=event.id)
                for rule in targets
            )
        _write(rows)

    def entry_added(self, entry: ThreadEntry) -> None:
        event_type = ENTRY_TYPES.get(entry.kind)
        if event_type is None:
            return
        ticket = TicketFacts.of(entry.ticket)
        targets = _targets(active_endpoints(), event_type, {ticket.department_id})
        if not targets:
            return
        body = entry_body(entry, event_type, ticket)
        now = timezone.now()
        _write(
            [
                _delivery(rule, event_type, body, now, ticket_id=ticket.id, entry_id=entry.pk)
                for rule in targets
            ]
        )


def _facts_of(events: list[RecordedEvent]) -> dict[int, TicketFacts]:
    """The tickets as they are now: the services' locked copies, or one query (the sweep)."""
    facts = {e.ticket_id: TicketFacts.of(e.ticket) for e in events if e.ticket is not None}
    missing = {e.ticket_id for e in events} - facts.keys()
    if missing:
        facts.update(ticket_facts(missing))
    return facts


def _targets(rules: Sequence[EndpointRule], event_type: str, departments: set[int]):
    return [rule for rule in rules if rule.wants(event_type, departments)]


def _delivery(rule: EndpointRule, event_type: str, body: str, now, **ids) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=rule.id,
        webhook_id=new_webhook_id(),
        event_type=event_type,
        payload=body,
        state=WebhookDelivery.State.PENDING,
        next_attempt_at=now,
        created_at=now,
        **ids,
    )


def _write(rows: list[WebhookDelivery]) -> None:
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows, batch_size=BULK_BATCH)
    endpoints_wake_on_commit({row.endpoint_id for row in rows})


fanout = WebhookFanout()
