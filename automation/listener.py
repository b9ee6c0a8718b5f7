"""The tickets.events listener: a PendingTrigger for each event or thread entry an active
rule listens for, written in the change's transaction, and the run queued after commit.

Nothing about rules runs here: a rule's failure cannot break the change (a requester's
submission), and the trigger commits with the change or not at all, so it is never lost
(docs/decisions/0031). The triggers that active rules want are cached (rules_changed
clears it), so a change with no rule listening costs no query.
"""

import logging
from collections.abc import Sequence

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from automation.chain import MAX_CHAIN, chain_depth
from automation.models import EVENT_TRIGGERS, PendingTrigger, Rule, Trigger
from common.enqueue import enqueue_on_commit
from tickets.events import RecordedEvent, current_rule
from tickets.models import EntryKind, EventKind, ThreadEntry

logger = logging.getLogger(__name__)

RUN_TASK = "automation.run_triggers"
CACHE_KEY = "automation:event-triggers"
CACHE_TTL = 30  # seconds: the longest a process without a shared cache can be out of date

EVENT_TRIGGERS_OF = {
    EventKind.CREATED: Trigger.TICKET_CREATED,
    EventKind.STATUS_CHANGED: Trigger.STATUS_CHANGED,
    EventKind.REOPENED: Trigger.STATUS_CHANGED,
    EventKind.SLA_WARNING: Trigger.SLA_WARNING,
    EventKind.SLA_BREACHED: Trigger.SLA_BREACHED,
    EventKind.ASSIGNED: Trigger.ASSIGNED,
    EventKind.CLAIMED: Trigger.ASSIGNED,
    EventKind.SATISFACTION_RATED: Trigger.SATISFACTION_RATED,
}
ENTRY_TRIGGERS_OF = {
    EntryKind.MESSAGE: Trigger.REQUESTER_REPLIED,
    EntryKind.REPLY: Trigger.AGENT_REPLIED,
}


def wanted_triggers() -> frozenset[str]:
    wanted = cache.get(CACHE_KEY)
    if wanted is None:
        wanted = frozenset(
            Rule.objects.filter(is_active=True, trigger__in=EVENT_TRIGGERS).values_list(
                "trigger", flat=True
            )
        )
        cache.set(CACHE_KEY, wanted, CACHE_TTL)
    return wanted


def rules_changed(**kwargs) -> None:
    """A rule was saved or deleted: every process reads the wanted triggers again."""
    cache.delete(CACHE_KEY)


class AutomationListener:
    def listening(self) -> bool:
        return bool(wanted_triggers())

    def events_recorded(self, events: Sequence[RecordedEvent]) -> None:
        wanted = wanted_triggers()
        rows = []
        for event in events:
            trigger = EVENT_TRIGGERS_OF.get(event.kind)
            if trigger not in wanted:
                continue
            if trigger == Trigger.ASSIGNED and not event.values().get("to"):
                continue  # let go (unassigned), not assigned
            rows.append((event.ticket_id, trigger, f"event:{event.id}"))
        _write(rows)

    def entry_added(self, entry: ThreadEntry) -> None:
        trigger = ENTRY_TRIGGERS_OF.get(entry.kind)
        if trigger in wanted_triggers():
            _write([(entry.ticket_id, trigger, f"entry:{entry.pk}")])


def _write(rows: list[tuple[int, str, str]]) -> None:
    if not rows:
        return
    depth = chain_depth()
    rule = current_rule()
    if depth >= MAX_CHAIN:
        logger.warning(
            "Automation: a chain of rules stopped after %s steps (rule %r on ticket %s).",
            MAX_CHAIN,
            rule["name"] if rule else None,
            rows[0][0],
        )
        return
    PendingTrigger.objects.bulk_create(
        PendingTrigger(
            ticket_id=ticket_id,
            trigger=trigger,
            key=key,
            caused_by_rule_id=rule["id"] if rule else None,
            depth=depth,
        )
        for ticket_id, trigger, key in rows
    )
    enqueue_on_commit(RUN_TASK, robust=True)


listener = AutomationListener()

# Rules change in the admin (and in tests and migrations): whatever saves one, the cache
# of wanted triggers goes. Signals only clear a cache here; no logic hides in them.
post_save.connect(rules_changed, sender=Rule, dispatch_uid="automation-rules-changed")
post_delete.connect(rules_changed, sender=Rule, dispatch_uid="automation-rules-changed-del")
