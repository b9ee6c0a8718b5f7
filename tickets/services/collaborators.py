"""Collaborators: people who follow a ticket besides its requester (Cc of a message, or
added by an agent). They get the ticket's replies by email and may answer them."""

from django.db import IntegrityError, transaction

from tickets.errors import InvalidInput
from tickets.events import ref
from tickets.models import Collaborator, EventKind, Ticket
from tickets.services.common import lock_ticket, record_event, require_action

MAX_COLLABORATORS = 20


def ticket_add_collaborator(*, ticket: Ticket, user, by) -> Collaborator:
    """Add `user` to the ticket's followers: an agent of its department, or the system (the
    mail channel, for the Cc of a message). The requester and agents are not followers."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("add-collaborator", by=by, ticket=ticket)
        if user.pk == ticket.requester_id:
            raise InvalidInput(f"{user} is the requester already.")
        if not user.is_active:
            raise InvalidInput(f"{user}'s account is disabled.")
        existing = Collaborator.objects.filter(ticket=ticket, user=user).first()
        if existing is not None:
            return existing
        if Collaborator.objects.filter(ticket=ticket).count() >= MAX_COLLABORATORS:
            raise InvalidInput(f"A ticket has at most {MAX_COLLABORATORS} collaborators.")
        try:
            with transaction.atomic():
                collaborator = Collaborator.objects.create(ticket=ticket, user=user)
        except IntegrityError:  # added at the same moment by someone else
            return Collaborator.objects.get(ticket=ticket, user=user)
        record_event(ticket, EventKind.COLLABORATOR_ADDED, by, {"to": ref(user)})
        return collaborator


def ticket_remove_collaborator(*, ticket: Ticket, user, by) -> None:
    """An agent takes someone off the ticket: no more replies to them, and their mail about
    it is kept for agents only."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("remove-collaborator", by=by, ticket=ticket)
        deleted, _ = Collaborator.objects.filter(ticket=ticket, user=user).delete()
        if deleted:
            record_event(ticket, EventKind.COLLABORATOR_REMOVED, by, {"from": ref(user)})
