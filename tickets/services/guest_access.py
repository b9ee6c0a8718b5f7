"""The requester's private link: replaced when it may have leaked (docs/decisions/0008)."""

from django.db import transaction

from tickets.models import EventKind, Notification, Ticket
from tickets.services.common import lock_ticket, record_event, require_action
from tickets.services.intake import new_access_key
from tickets.services.notifications import notify_requester


def ticket_revoke_access_link(*, ticket: Ticket, by) -> Ticket:
    """Replace the ticket's private link: the old one stops working at once, sessions
    opened with it included, and the requester is emailed the new one."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("revoke-link", by=by, ticket=ticket)
        ticket.access_key = new_access_key()
        ticket.save(update_fields=["access_key"])
        event = record_event(ticket, EventKind.ACCESS_LINK_REVOKED, by)
        notify_requester(ticket, Notification.Kind.REQUESTER_NEW_LINK, event=event)
    return ticket
