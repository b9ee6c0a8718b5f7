"""Running rules: the event rules for each pending trigger, the time rules for their
candidates, each rule once per ticket per event or period (docs/decisions/0031).

One path for both: `_apply` locks the ticket, checks the rule still matches it (the same
SQL as the dry run and the candidate query, automation.conditions), inserts the RuleRun
(ON CONFLICT DO NOTHING: a second beat, a retried task or a concurrent worker finds it and
does nothing), and runs the actions through the services as the system, inside
`acting_for_rule` (events say which rule) and `chain_step` (how deep the chain is). All in
one transaction: the run row, the changes, their events and emails commit together. A
failing action rolls back the rule's changes (a savepoint) and its run is kept, marked
failed with the error, so the rule does not retry it every minute.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from automation.actions import ACTION_KINDS
from automation.chain import chain_step
from automation.conditions import PERIOD, Calendars, business_hours_hold, rule_tickets
from automation.models import Action, Condition, PendingTrigger, Rule, RuleRun, Trigger
from tickets.errors import InvalidInput, TicketError
from tickets.events import acting_for_rule
from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)

TIME_TASK = "automation.run_time_rules"
CANDIDATE_BATCH = 500


def rule_ref(rule: Rule) -> dict:
    return {"id": rule.pk, "name": rule.name}


def active_rules(trigger: str) -> list[Rule]:
    """The active rules of a trigger, in order, with their conditions and actions."""
    return list(
        Rule.objects.filter(is_active=True, trigger=trigger)
        .order_by("order", "name")
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.order_by("id")),
            Prefetch(
                "actions",
                queryset=Action.objects.select_related(
                    "department", "agent__user", "sla_plan", "canned_response", "webhook_endpoint"
                ).order_by("order", "id"),
            ),
        )
    )


# Event rules -----------------------------------------------------------------------------


def triggers_run(*, limit: int = 1000) -> int:
    """Run the pending triggers, oldest first, one transaction each; returns how many.

    Concurrent runs share them through SKIP LOCKED; a trigger is deleted in the transaction
    that ran its rules, so it runs once, or (rolled back, a killed worker) again whole.
    """
    done = 0
    calendars = Calendars()
    rules_of: dict[str, list[Rule]] = {}
    while done < limit:
        with transaction.atomic():
            trigger = (
                PendingTrigger.objects.select_for_update(skip_locked=True).order_by("id").first()
            )
            if trigger is None:
                break
            if trigger.trigger not in rules_of:
                rules_of[trigger.trigger] = active_rules(trigger.trigger)
            for rule in rules_of[trigger.trigger]:
                if rule.pk == trigger.caused_by_rule_id:
                    continue  # a rule's own change never triggers it again
                _apply(
                    rule,
                    trigger.ticket_id,
                    now=timezone.now(),
                    calendars=calendars,
                    step=trigger.depth + 1,
                    event_key=trigger.key,
                )
            trigger.delete()
        done += 1
    return done


# Time rules ------------------------------------------------------------------------------


def time_rules_run(*, now: datetime | None = None) -> int:
    """One pass of every active time rule over its candidates; returns how many acted."""
    now = now or timezone.now()
    calendars = Calendars()
    return sum(
        _time_rule_run(rule, now=now, calendars=calendars) for rule in active_rules(Trigger.TIME)
    )


def time_rule_candidates(rule: Rule, conditions: Sequence[Condition], *, now: datetime):
    """The tickets a time rule would act on now, not yet acted on in their period: one
    query on the indexed columns (business hours are checked per ticket, under its lock)."""
    done = RuleRun.objects.filter(rule=rule, ticket=OuterRef("pk"), period_start=OuterRef(PERIOD))
    return (
        rule_tickets(rule, conditions, now=now)
        .exclude(status=Status.CLOSED)
        .exclude(Exists(done))
        .order_by("pk")
    )


def _time_rule_run(rule: Rule, *, now: datetime, calendars: Calendars) -> int:
    conditions = list(rule.conditions.all())
    acted, last = 0, 0
    while True:
        batch = list(
            time_rule_candidates(rule, conditions, now=now)
            .filter(pk__gt=last)
            .values_list("pk", PERIOD)[:CANDIDATE_BATCH]
        )
        for ticket_id, period in batch:
            acted += _apply(
                rule,
                ticket_id,
                now=now,
                calendars=calendars,
                step=1,
                period=period,
                busy_skip=True,
            )
        if len(batch) < CANDIDATE_BATCH:
            return acted
        last = batch[-1][0]


# Both ------------------------------------------------------------------------------------


def rule_matches(
    rule: Rule, ticket_id: int, *, now: datetime, calendars: Calendars
) -> Ticket | None:
    """The ticket (annotated with its anchors and PERIOD) if the rule matches it now."""
    conditions = list(rule.conditions.all())
    ticket = rule_tickets(rule, conditions, now=now).filter(pk=ticket_id).first()
    if ticket is None or not business_hours_hold(ticket, conditions, now=now, calendars=calendars):
        return None
    return ticket


def _apply(
    rule: Rule,
    ticket_id: int,
    *,
    now: datetime,
    calendars: Calendars,
    step: int,
    event_key: str = "",
    period: datetime | None = None,
    busy_skip: bool = False,
) -> bool:
    """Act on the ticket if the rule still matches it and has not acted for this event or
    period; whether it acted (or failed trying).

    `busy_skip` (time rules): a ticket locked by someone else (another pass, a service) is
    left for the next pass instead of waited for, so concurrent passes share the work.
    """
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",), skip_locked=busy_skip)
            .filter(pk=ticket_id)
            .first()
        )
        if locked is None:
            return False
        matched = rule_matches(rule, ticket_id, now=now, calendars=calendars)
        if matched is None:
            return False
        if not event_key:
            if period is not None and getattr(matched, PERIOD) != period:
                return False  # its period moved on since the candidates were read
            period = getattr(matched, PERIOD)
        run_id = _claim(rule.pk, ticket_id, period=None if event_key else period, key=event_key)
        if run_id is None:
            return False
        try:
            with transaction.atomic(), acting_for_rule(rule_ref(rule)), chain_step(step):
                _run_actions(rule, locked)
        except TicketError as error:
            _failed(run_id, rule, locked, error.message)
        except Exception as error:  # a bug must not stop the other rules, nor retry forever
            logger.exception("Automation rule %r failed on ticket #%s", rule.name, locked.number)
            _failed(run_id, rule, locked, f"{type(error).__name__}: {error}")
        return True


def _run_actions(rule: Rule, ticket: Ticket) -> None:
    ref = rule_ref(rule)
    for action in rule.actions.all():
        kind = ACTION_KINDS.get(action.kind)
        if kind is None:
            raise InvalidInput(f"The action “{action.kind}” does not exist (any more).")
        ticket = kind.run(action, ticket, ref)


def _failed(run_id: int, rule: Rule, ticket: Ticket, error: str) -> None:
    RuleRun.objects.filter(pk=run_id).update(failed=True, error=error[:500])
    logger.warning(
        "Automation rule %r did nothing on ticket #%s: %s", rule.name, ticket.number, error
    )


CLAIM_SQL = (
    f"INSERT INTO {RuleRun._meta.db_table} "  # noqa: S608 # nosec B608 # the model's table
    "(rule_id, ticket_id, period_start, event_key, created_at, failed, error) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id"
)


def _claim(rule_id: int, ticket_id: int, *, period: datetime | None, key: str) -> int | None:
    """Insert the run, unless one exists for this rule, ticket and period (or event): the
    id of the new row, or None. A concurrent insert of the same key waits for the other
    transaction and then finds the conflict."""
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value  # as the ORM stores them
        cursor.execute(
            CLAIM_SQL, [rule_id, ticket_id, adapt(period), key, adapt(timezone.now()), False, ""]
        )
        row = cursor.fetchone()
    return row[0] if row else None
