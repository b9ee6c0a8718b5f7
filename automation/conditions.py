"""What a rule's conditions mean: each one a filter on tickets, in SQL.

One meaning for every use: an event rule asks whether its one ticket passes
(`rule_tickets(...).filter(pk=...)`), a time rule selects its candidates with the same
filter, and the dry run lists what passes now. Time conditions ("hours since ...") are
`anchor <= now - hours` on an annotated moment (a column, or the latest thread entry or
event through the (ticket, created_at) indexes); in business hours, SQL keeps the tickets
past that many calendar hours (business time never runs faster) and `business_hours_hold`
finishes the test in Python with the ticket's SLA plan calendar (sla/business_time.py).

Time conditions always all hold; a rule's `match` (all / any) joins the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import Exact

from automation.models import Condition, ConditionField, Match, Operator, Rule
from sla.business_time import business_minutes_between
from sla.models import BusinessCalendar, SLAPlan
from tickets.models import (
    EntryKind,
    EventKind,
    Priority,
    SatisfactionRating,
    SatisfactionSurvey,
    SLAState,
    Source,
    Status,
    ThreadEntry,
    Ticket,
    TicketEvent,
    sla_state_q,
)

HOURS_MAX = Decimal(24 * 366 * 5)
EQUALITY = (Operator.IS, Operator.IS_NOT)
TEXT = (Operator.CONTAINS, Operator.NOT_CONTAINS)
HOURS = (Operator.BUSINESS_HOURS, Operator.CALENDAR_HOURS)
ASSIGNEE_VALUES = {"none": True, "some": False}  # value -> assignee__isnull


# Validation ------------------------------------------------------------------------------


def _choice(values: dict[str, str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        key = value.strip().lower()
        for stored, label in values.items():
            if key in (str(stored).lower(), label.lower()):
                return str(stored)
        listed = ", ".join(str(v) for v in values)
        raise ValidationError(f"Choose a {what}: one of {listed}.")

    return check


def _email(value: str) -> str:
    value = value.strip().lower()
    validate_email(value)
    return value


def _domain(value: str) -> str:
    value = value.strip().lower().lstrip("@")
    if not value or "@" in value or " " in value or "." not in value:
        raise ValidationError("Enter a domain such as dundermifflin.com.")
    return value


def _words(value: str) -> str:
    words = [w.strip() for w in value.split(",") if w.strip()]
    if not words:
        raise ValidationError("Enter one or more words, separated by commas.")
    return ", ".join(words)


def _hours(value: str) -> str:
    try:
        hours = Decimal(value.strip())
    except InvalidOperation:
        raise ValidationError("Enter a number of hours, such as 24 or 1.5.") from None
    if not hours.is_finite() or hours <= 0 or hours > HOURS_MAX:
        raise ValidationError(f"Enter a number of hours above 0 and at most {HOURS_MAX}.")
    return str(hours.normalize()) if hours == hours.to_integral() else str(hours)


@dataclass(frozen=True)
class FieldSpec:
    operators: tuple[str, ...]
    check: Callable[[str], str] | None = None  # cleans `value`; None: a column is chosen
    column: str = ""  # the Condition column that holds the choice (department, help topic)
    help: str = ""


FIELDS: dict[str, FieldSpec] = {
    ConditionField.DEPARTMENT: FieldSpec(EQUALITY, column="department"),
    ConditionField.HELP_TOPIC: FieldSpec(EQUALITY, column="help_topic"),
    ConditionField.PRIORITY: FieldSpec(
        EQUALITY, _choice(dict(Priority.choices), "priority"), help="low, normal, high, urgent"
    ),
    ConditionField.STATUS: FieldSpec(
        EQUALITY, _choice(dict(Status.choices), "status"), help="open, pending, resolved, closed"
    ),
    ConditionField.SOURCE: FieldSpec(
        EQUALITY, _choice(dict(Source.choices), "source"), help="web, email, phone, api, agent"
    ),
    ConditionField.REQUESTER_EMAIL: FieldSpec(EQUALITY, _email, help="an address"),
    ConditionField.REQUESTER_DOMAIN: FieldSpec(EQUALITY, _domain, help="dundermifflin.com"),
    ConditionField.SUBJECT: FieldSpec(TEXT, _words, help="printer, toner"),
    ConditionField.BODY: FieldSpec(TEXT, _words, help="printer, toner"),
    ConditionField.ASSIGNEE: FieldSpec(
        (Operator.IS,), _choice({"none": "none", "some": "some"}, "value"), help="none or some"
    ),
    ConditionField.SLA_STATE: FieldSpec(
        EQUALITY,
        _choice(dict(SLAState.choices), "SLA state"),
        help="none, ok, warning, breached",
    ),
    ConditionField.SATISFACTION: FieldSpec(
        EQUALITY, _choice(dict(SatisfactionRating.choices), "rating"), help="good or bad"
    ),
    **{
        field: FieldSpec(HOURS, _hours, help="a number of hours: 72, or 1.5")
        for field in (
            ConditionField.HOURS_SINCE_CREATED,
            ConditionField.HOURS_SINCE_REQUESTER,
            ConditionField.HOURS_SINCE_AGENT,
            ConditionField.HOURS_PENDING,
            ConditionField.HOURS_RESOLVED,
        )
    },
}


def condition_clean(condition: Condition) -> None:
    """Raise ValidationError (by field) unless the condition means something; normalises
    `value` (a priority's label becomes its number, say)."""
    spec = FIELDS.get(condition.field)
    if spec is None:
        raise ValidationError({"field": "Choose a field."})
    if condition.operator not in spec.operators:
        allowed = ", ".join(f"“{Operator(o).label}”" for o in spec.operators)
        raise ValidationError({"operator": f"{condition.get_field_display()} takes {allowed}."})
    if spec.column:
        if getattr(condition, f"{spec.column}_id") is None:
            name = Condition._meta.get_field(spec.column).verbose_name
            raise ValidationError({spec.column: f"Choose the {name}."})
        return
    try:
        condition.value = spec.check(condition.value or "")
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from None


def is_time_condition(condition: Condition) -> bool:
    return condition.operator in HOURS


# Meaning ---------------------------------------------------------------------------------


def _latest(model, **filters) -> Subquery:
    rows = model.objects.filter(ticket=OuterRef("pk"), **filters).order_by("-created_at")
    return Subquery(rows.values("created_at")[:1], output_field=DateTimeField())


def anchor_of(field: str):
    """(the moment a time condition measures from, the status it implies)."""
    if field == ConditionField.HOURS_SINCE_CREATED:
        return F("created_at"), None
    if field == ConditionField.HOURS_SINCE_REQUESTER:
        return Coalesce(_latest(ThreadEntry, kind=EntryKind.MESSAGE), F("created_at")), None
    if field == ConditionField.HOURS_SINCE_AGENT:
        # No reply yet: waiting since it came in.
        return Coalesce(_latest(ThreadEntry, kind=EntryKind.REPLY), F("created_at")), None
    if field == ConditionField.HOURS_PENDING:
        went_pending = _latest(
            TicketEvent, kind=EventKind.STATUS_CHANGED, data__to__id=Status.PENDING
        )
        return Coalesce(went_pending, F("updated_at")), Status.PENDING
    if field == ConditionField.HOURS_RESOLVED:
        return Coalesce(F("resolved_at"), F("updated_at")), Status.RESOLVED
    raise ValueError(f"Not a time condition: {field}")


def _latest_rating():
    """The ticket's latest rating (a ticket resolved twice may have two)."""
    return (
        SatisfactionSurvey.objects.filter(ticket=OuterRef("pk"))
        .exclude(rating="")
        .order_by("-rated_at", "-id")
        .values("rating")[:1]
    )


def _words_q(lookup: str, words: str) -> Q:
    q = Q()
    for word in words.split(","):
        if word.strip():
            q |= Q(**{f"{lookup}__icontains": word.strip()})
    return q


def _plain_q(condition: Condition, now: datetime) -> Q:
    field, value = condition.field, condition.value
    if field == ConditionField.DEPARTMENT:
        q = Q(department_id=condition.department_id)
    elif field == ConditionField.HELP_TOPIC:
        q = Q(help_topic_id=condition.help_topic_id)
    elif field == ConditionField.PRIORITY:
        q = Q(priority=int(value))
    elif field in (ConditionField.STATUS, ConditionField.SOURCE):
        q = Q(**{field: value})
    elif field == ConditionField.REQUESTER_EMAIL:
        q = Q(requester__email__iexact=value)
    elif field == ConditionField.REQUESTER_DOMAIN:
        q = Q(requester__email__iendswith=f"@{value}")
    elif field == ConditionField.SUBJECT:
        q = _words_q("subject", value)
    elif field == ConditionField.BODY:
        messages = ThreadEntry.objects.filter(ticket=OuterRef("pk"), kind=EntryKind.MESSAGE)
        q = Q(Exists(messages.filter(_words_q("body", value))))
    elif field == ConditionField.ASSIGNEE:
        q = Q(assignee__isnull=ASSIGNEE_VALUES[value])
    elif field == ConditionField.SLA_STATE:
        q = sla_state_q(value, now)
    elif field == ConditionField.SATISFACTION:
        q = Q(Exact(Subquery(_latest_rating()), value))
    else:
        raise ValueError(f"Unknown condition field {field!r}")
    return ~q if condition.operator in (Operator.IS_NOT, Operator.NOT_CONTAINS) else q


def anchor_name(condition: Condition) -> str:
    return f"automation_anchor_{condition.pk}"


PERIOD = "automation_period"


def rule_tickets(
    rule: Rule, conditions: Sequence[Condition], *, now: datetime, tickets=None
) -> QuerySet[Ticket]:
    """The tickets the rule's conditions pass now, in SQL (business hours still to check:
    business_hours_hold). Annotated with each time condition's anchor and `PERIOD`, the
    latest of them (created_at for a rule without one)."""
    tickets = Ticket.objects.all() if tickets is None else tickets
    if rule.department_id is not None:
        tickets = tickets.filter(department_id=rule.department_id)
    timed = [c for c in conditions if is_time_condition(c)]
    anchors = {}
    for condition in timed:
        anchor, status = anchor_of(condition.field)
        anchors[anchor_name(condition)] = anchor
        if status is not None:
            tickets = tickets.filter(status=status)
    if anchors:
        tickets = tickets.annotate(**anchors)
    for condition in timed:
        cutoff = now - timedelta(hours=float(Decimal(condition.value)))
        tickets = tickets.filter(**{f"{anchor_name(condition)}__lte": cutoff})
    names = list(anchors)
    if len(names) > 1:
        period = Greatest(*(F(name) for name in names))
    else:
        period = F(names[0]) if names else F("created_at")
    tickets = tickets.annotate(**{PERIOD: period})
    plain = [_plain_q(c, now) for c in conditions if not is_time_condition(c)]
    if plain:
        joined = plain[0]
        for q in plain[1:]:
            joined = joined | q if rule.match == Match.ANY else joined & q
        tickets = tickets.filter(joined)
    return tickets


class Calendars:
    """The calendar of each SLA plan, loaded once per run (None: 24/7)."""

    def __init__(self):
        self._by_plan: dict[int | None, BusinessCalendar | None] = {None: None}

    def of(self, plan_id: int | None) -> BusinessCalendar | None:
        if plan_id not in self._by_plan:
            plan = SLAPlan.objects.filter(pk=plan_id).only("calendar_id").first()
            calendar = None
            if plan is not None and plan.calendar_id is not None:
                calendar = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(
                    pk=plan.calendar_id
                )
            self._by_plan[plan_id] = calendar
        return self._by_plan[plan_id]


def business_hours_hold(
    ticket: Ticket, conditions: Sequence[Condition], *, now: datetime, calendars: Calendars
) -> bool:
    """The business-hours conditions, for one ticket from rule_tickets (its anchors)."""
    for condition in conditions:
        if condition.operator != Operator.BUSINESS_HOURS:
            continue
        anchor = getattr(ticket, anchor_name(condition))
        minutes = business_minutes_between(calendars.of(ticket.sla_plan_id), anchor, now)
        if minutes < float(Decimal(condition.value)) * 60:
            return False
    return True
