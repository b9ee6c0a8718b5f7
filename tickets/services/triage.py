"""Priority and SLA plan: how urgent a ticket is, and which promises it runs on."""

from django.db import transaction
from django.utils import timezone

from sla.models import SLAPlan
from tickets.clocks import clocks_on_plan_change
from tickets.errors import InvalidInput
from tickets.events import change, priority_ref, ref
from tickets.models import EventKind, Priority, Ticket
from tickets.services.common import lock_ticket, record_event, require_action, save_ticket


def ticket_set_priority(*, ticket: Ticket, priority: int, by) -> Ticket:
    if priority not in Priority.values:
        raise InvalidInput("Choose a valid priority.")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("priority", by=by, ticket=ticket)
        if ticket.priority == priority:
            return ticket
        old = ticket.priority
        ticket.priority = priority
        save_ticket(ticket, "priority")
        record_event(
            ticket,
            EventKind.PRIORITY_CHANGED,
            by,
            change(priority_ref(old), priority_ref(priority)),
        )
    return ticket


def ticket_set_plan(*, ticket: Ticket, plan: SLAPlan | None, by) -> Ticket:
    """Put the ticket on another plan (None: none); its live clocks follow the new terms."""
    if plan is not None and not plan.is_active:
        raise InvalidInput(f"The plan {plan} is retired.")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("plan", by=by, ticket=ticket)
        if ticket.sla_plan_id == (plan.pk if plan else None):
            return ticket
        old = SLAPlan.objects.filter(pk=ticket.sla_plan_id).first()
        ticket.sla_plan = plan
        save_ticket(ticket, "sla_plan")
        record_event(ticket, EventKind.PLAN_CHANGED, by, change(ref(old), ref(plan)))
        clocks_on_plan_change(ticket, now=timezone.now())
    return ticket
