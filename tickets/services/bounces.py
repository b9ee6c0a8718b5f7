"""Bounces: our mail that could not be delivered.

The mail channel reads the delivery failure report (mail.bounces) and hands the ticket
whose email bounced to `ticket_record_bounce`: an internal note says who could not be
reached, whether for good, and what the remote server said; a permanent failure (5.x.x)
stops mail to the address (a MailSuppression the outbox checks) until an agent sends mail
again. Nothing else changes: no status, no clock, nobody emailed. See docs/decisions/0020.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import is_system
from tickets.errors import InvalidInput, NotPermitted
from tickets.events import ref
from tickets.models import (
    Collaborator,
    EntryKind,
    EventKind,
    MailSuppression,
    Source,
    ThreadEntry,
    Ticket,
)
from tickets.services.common import (
    actor_user,
    add_entry,
    lock_ticket,
    record_event,
    require_action,
)

DIAGNOSTIC_MAX_LENGTH = 1000
NO_DIAGNOSTIC = "(the report gives no reason)"
ONLY_THE_MAIL_CHANNEL = "Only the mail channel records bounces."
NOT_ON_TICKET = "{person} is neither the requester nor a collaborator of this ticket."


@dataclass(frozen=True)
class DeliveryFailure:
    """One recipient a report says our mail did not reach."""

    address: str
    permanent: bool
    status: str = ""  # "5.1.1", or a bare SMTP code ("550"), or empty
    diagnostic: str = ""


def suppression_ref(suppression: MailSuppression) -> dict:
    return {"id": suppression.pk, "name": suppression.address}


def bounce_note_text(failures: Sequence[DeliveryFailure]) -> str:
    """The note's text: one paragraph per recipient."""
    paragraphs = []
    for failure in failures:
        status = f" ({failure.status})" if failure.status else ""
        if failure.permanent:
            head = (
                f"Mail to {failure.address} bounced: permanent failure{status}. "
                "Nothing more is sent to this address until an agent chooses "
                "“Send mail again” beside the person."
            )
        else:
            head = (
                f"Mail to {failure.address} was not delivered yet: temporary failure{status}. "
                "The mail server may still deliver it; nothing is stopped."
            )
        diagnostic = failure.diagnostic or NO_DIAGNOSTIC
        paragraphs.append(f"{head}\nThe server said: {diagnostic}")
    return "\n\n".join(paragraphs)


def ticket_record_bounce(
    *, ticket: Ticket, failures: Sequence[DeliveryFailure], by
) -> ThreadEntry:
    """A delivery failure report about the ticket's mail: an internal note, and a stop on
    each address that failed for good. The ticket is not reopened or otherwise changed."""
    if not is_system(by):
        raise NotPermitted(ONLY_THE_MAIL_CHANNEL)
    failures = [_cleaned(f) for f in failures if f.address]
    if not failures:
        raise InvalidInput("A bounce names at least one address.")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        entry = add_entry(
            ticket, EntryKind.NOTE, bounce_note_text(failures), None, source=Source.EMAIL
        )
        for failure in failures:
            if failure.permanent:
                _stop(ticket, failure, by)
        return entry


def _cleaned(failure: DeliveryFailure) -> DeliveryFailure:
    return DeliveryFailure(
        address=failure.address.strip().lower()[:254],
        permanent=failure.permanent,
        status=failure.status.strip()[:32],
        diagnostic=" ".join(failure.diagnostic.replace("\x00", "").split())[
            :DIAGNOSTIC_MAX_LENGTH
        ],
    )


def _stop(ticket: Ticket, failure: DeliveryFailure, by) -> MailSuppression:
    active = MailSuppression.objects.filter(address=failure.address, cleared_at__isnull=True)
    existing = active.first()
    if existing is not None:
        return existing  # stopped already: the note says it bounced again
    try:
        with transaction.atomic():
            suppression = MailSuppression.objects.create(
                address=failure.address,
                status=failure.status,
                reason=failure.diagnostic,
                ticket=ticket,
            )
    except IntegrityError:  # stopped at the same moment by another bounce
        return active.get()
    record_event(
        ticket,
        EventKind.MAIL_STOPPED,
        by,
        {"to": suppression_ref(suppression), "status": failure.status},
    )
    return suppression


def ticket_resume_mail(*, ticket: Ticket, user, by) -> int:
    """An agent sends mail again to a requester or collaborator whose address bounced:
    the stop is cleared (and kept, with who cleared it). Returns how many were cleared."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action("resume-mail", by=by, ticket=ticket)
        on_ticket = (
            user.pk == ticket.requester_id
            or Collaborator.objects.filter(ticket=ticket, user=user).exists()
        )
        if not on_ticket:
            raise InvalidInput(NOT_ON_TICKET.format(person=user))
        stops = MailSuppression.objects.select_for_update().filter(
            address=user.email.lower(), cleared_at__isnull=True
        )
        cleared = 0
        for suppression in stops:
            _clear(suppression, by, ticket=ticket, user=user)
            cleared += 1
        return cleared


def mail_suppression_clear(*, suppression: MailSuppression, by) -> bool:
    """Clear one stop (the admin's action); the event goes on the ticket it came from.
    False when it was cleared already."""
    if by is None or is_system(by) or not by.is_authenticated:
        raise NotPermitted("Only a person can send mail to a bounced address again.")
    with transaction.atomic():
        suppression = (
            MailSuppression.objects.select_for_update()
            .filter(pk=suppression.pk, cleared_at__isnull=True)
            .first()
        )
        if suppression is None:
            return False
        _clear(suppression, by, ticket=suppression.ticket, user=None)
        return True


def _clear(suppression: MailSuppression, by, *, ticket: Ticket | None, user) -> None:
    suppression.cleared_at = timezone.now()
    suppression.cleared_by = actor_user(by)
    suppression.save(update_fields=["cleared_at", "cleared_by"])
    if ticket is not None:
        record_event(
            ticket,
            EventKind.MAIL_RESUMED,
            by,
            {"from": suppression_ref(suppression), "user": ref(user)},
        )
