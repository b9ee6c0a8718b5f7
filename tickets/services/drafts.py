"""Drafts: what an agent typed in a ticket's reply or note box, kept until it is sent.

Saved a moment after typing stops (the desk's autosave), one statement per save; sending
the reply or the note deletes it in the same transaction (tickets.services.conversation);
drafts of tickets closed for a while are pruned by beat.
"""

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from tickets import access
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import CannedResponse, Draft, Status, Ticket
from tickets.services.common import BODY_MAX_LENGTH
from tickets.transitions import NOT_PERMITTED, Who

DRAFT_TOO_LONG = (
    f"The draft is too long to keep (at most {BODY_MAX_LENGTH:,} characters); "
    "what you typed is still in the box."
)
ATTACHMENT_NAMES_KEPT = 20
# Drafts of tickets closed longer ago than this are pruned.
KEEP_AFTER_CLOSE = timedelta(days=30)


def draft_save(
    *,
    ticket: Ticket,
    by,
    box: str,
    body: str,
    canned_response: CannedResponse | None = None,
    attachment_names: Sequence[str] = (),
) -> Draft | None:
    """Keep what `by` has typed in `box` of `ticket` (an empty box keeps nothing).

    One INSERT ... ON CONFLICT: a save is one write, however often the agent pauses.
    """
    if box not in Draft.Box.values:
        raise InvalidInput("Unknown draft.")
    # A person's words: the system keeps no drafts.
    if not access.can_work_ticket(by, ticket):
        raise NotPermitted(NOT_PERMITTED[Who.AGENT])
    body = (body or "").replace("\x00", "")  # PostgreSQL text cannot hold NUL
    if len(body) > BODY_MAX_LENGTH:
        raise InvalidInput(DRAFT_TOO_LONG)
    names = [str(name)[:255] for name in attachment_names if str(name).strip()]
    names = names[:ATTACHMENT_NAMES_KEPT]
    if not body.strip() and canned_response is None and not names:
        draft_discard(ticket=ticket, by=by, box=box)
        return None
    draft = Draft(
        ticket=ticket,
        author=by,
        box=box,
        body=body,
        canned_response=canned_response,
        attachment_names=names,
        updated_at=timezone.now(),
    )
    Draft.objects.bulk_create(
        [draft],
        update_conflicts=True,
        unique_fields=["ticket", "author", "box"],
        update_fields=["body", "canned_response", "attachment_names", "updated_at"],
    )
    return draft


def draft_discard(*, ticket: Ticket, by, box: str) -> None:
    """Throw the draft away (the agent's Discard, or a reply or note that was sent)."""
    Draft.objects.filter(ticket=ticket, author=by, box=box).delete()


def drafts_prune(*, now=None) -> int:
    """Delete the drafts of tickets closed more than KEEP_AFTER_CLOSE ago; for beat."""
    cutoff = (now or timezone.now()) - KEEP_AFTER_CLOSE
    deleted, _ = Draft.objects.filter(
        ticket__status=Status.CLOSED, ticket__closed_at__lt=cutoff
    ).delete()
    return deleted
