"""Satisfaction surveys: scheduled on resolving, sent once when due, rated by the requester.

The lifecycle calls `survey_schedule` in the transaction that resolves a ticket and
`surveys_cancel` in the one that reopens it, both under the ticket's lock. The beat's
pass (`satisfaction_surveys_send_due`) picks due rows cheaply (the partial due_at index),
locks each with SKIP LOCKED and re-checks it before it writes the email to the outbox,
so two passes at once, a retried task or a killed worker never send a survey twice; the
outbox's unique (event, recipient, kind) is the last line behind that. See decision 0041.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets.errors import InvalidInput, NotPermitted
from tickets.events import change
from tickets.models import (
    EventKind,
    Notification,
    SatisfactionRating,
    SatisfactionSurvey,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.outbox import notifications_queue
from tickets.services.common import lock_ticket, record_event

COMMENT_MAX_LENGTH = 2000
SURVEY_CLOSED = (
    "This survey is closed: ratings can be given or changed for 7 days after it was sent."
)
SURVEY_NOT_SENT = "This survey was never sent, so it takes no rating."
CHOOSE_RATING = "Choose Good or Bad."
COMMENT_TOO_LONG = f"The comment is too long (at most {COMMENT_MAX_LENGTH:,} characters)."
COMMENT_INVALID = "The comment contains a character that cannot be stored."
NOT_THE_REQUESTER = "Only the requester can rate this ticket."

# Statuses in which a survey still goes out: resolved, or closed after it.
SENDABLE = (Status.RESOLVED, Status.CLOSED)


def rating_ref(value: str | None) -> dict | None:
    if not value:
        return None
    return {"id": value, "name": SatisfactionRating(value).label}


def survey_schedule(
    ticket: Ticket, *, event: TicketEvent, now: datetime
) -> SatisfactionSurvey | None:
    """A survey for the resolution `event`, due after SATISFACTION_SURVEY_DELAY, unless
    the requester turned surveys off or cannot get mail. Inside the resolving
    transaction, with the ticket locked."""
    requester = ticket.requester
    if not (requester.satisfaction_surveys and requester.is_active and requester.email):
        return None
    return SatisfactionSurvey.objects.create(
        ticket=ticket,
        requester=requester,
        resolution=event,
        department_id=ticket.department_id,
        agent_id=ticket.assignee_id,
        help_topic_id=ticket.help_topic_id,
        due_at=now + settings.SATISFACTION_SURVEY_DELAY,
        created_at=now,
    )


def surveys_cancel(ticket: Ticket) -> int:
    """The ticket reopened: its surveys not yet sent are not sent. Inside the reopening
    transaction, with the ticket locked."""
    return SatisfactionSurvey.objects.filter(
        ticket=ticket, state=SatisfactionSurvey.State.SCHEDULED
    ).update(state=SatisfactionSurvey.State.CANCELLED)


def satisfaction_surveys_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Write the email of each due survey to the outbox, once; returns how many."""
    now = now or timezone.now()
    sent = 0
    candidates = list(
        SatisfactionSurvey.objects.filter(
            state=SatisfactionSurvey.State.SCHEDULED, due_at__lte=now
        )
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for survey_id in candidates:
        with transaction.atomic():
            survey = (
                SatisfactionSurvey.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket__requester")
                .filter(pk=survey_id, state=SatisfactionSurvey.State.SCHEDULED, due_at__lte=now)
                .first()
            )
            if survey is None:
                continue  # another pass has it, or it was sent or cancelled meanwhile
            sent += _send(survey, now)
    return sent


def _send(survey: SatisfactionSurvey, now: datetime) -> int:
    ticket, requester = survey.ticket, survey.ticket.requester
    if ticket.status not in SENDABLE:
        # Reopened by a path that did not cancel it: it is not about this state.
        survey.state = SatisfactionSurvey.State.CANCELLED
        survey.save(update_fields=["state"])
        return 0
    if (
        requester.pk != survey.requester_id
        or not requester.satisfaction_surveys
        or not requester.is_active
        or not requester.email
    ):
        survey.state = SatisfactionSurvey.State.SKIPPED
        survey.save(update_fields=["state"])
        return 0
    survey.state = SatisfactionSurvey.State.SENT
    survey.sent_at = now
    survey.save(update_fields=["state", "sent_at"])
    notifications_queue(
        kind=Notification.Kind.SATISFACTION_SURVEY,
        ticket=ticket,
        recipient_ids=[requester.pk],
        event=survey.resolution,
    )
    return 1


def _clean_comment(comment: str) -> str:
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX_LENGTH:
        raise InvalidInput(COMMENT_TOO_LONG)
    if "\x00" in text:
        raise InvalidInput(COMMENT_INVALID)
    return text


def satisfaction_rate(
    *, survey: SatisfactionSurvey, rating: str, comment: str = "", by
) -> SatisfactionSurvey:
    """The requester's rating of a resolution (Good or Bad, with an optional comment),
    given or changed while the survey is open; one `satisfaction_rated` event for each
    change, which automation rules and webhooks hear of. The same answer again changes
    nothing."""
    if rating not in SatisfactionRating.values:
        raise InvalidInput(CHOOSE_RATING)
    comment = _clean_comment(comment)
    with transaction.atomic():
        ticket = lock_ticket(survey.ticket)
        survey = SatisfactionSurvey.objects.select_for_update().get(pk=survey.pk)
        if by is None or getattr(by, "pk", None) != survey.requester_id:
            raise NotPermitted(NOT_THE_REQUESTER)
        if survey.state != SatisfactionSurvey.State.SENT:
            raise InvalidInput(SURVEY_NOT_SENT)
        now = timezone.now()
        if not survey.is_open(now):
            raise InvalidInput(SURVEY_CLOSED)
        if survey.rating == rating and survey.comment == comment:
            return survey
        old = survey.rating
        survey.rating, survey.comment, survey.rated_at = rating, comment, now
        survey.save(update_fields=["rating", "comment", "rated_at"])
        data = change(rating_ref(old), rating_ref(rating))
        data["comment"] = comment
        data["survey"] = survey.pk
        record_event(ticket, EventKind.SATISFACTION_RATED, by, data)
    return survey
