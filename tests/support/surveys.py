"""Satisfaction surveys as the product makes them: a ticket resolved by an agent, the
survey's delay passed and the beat's pass run."""

import datetime
import re

import time_machine
from django.core import mail
from django.utils import timezone

from tickets.models import SatisfactionSurvey
from tickets.outbox import notifications_send_pending
from tickets.services import satisfaction_surveys_send_due, ticket_claim, ticket_resolve

LINK = re.compile(r"https?://\S+/survey/(?P<token>[^/\s]+)/\?rating=(?P<rating>good|bad)")


def resolved_ticket(desk, **kwargs):
    ticket = desk.ticket(**kwargs)
    ticket_claim(ticket=ticket, by=desk.agent.user)
    ticket_resolve(ticket=ticket, by=desk.agent.user)
    ticket.refresh_from_db()
    return ticket


def send_survey(ticket) -> tuple[SatisfactionSurvey, str]:
    """Travel past the delay, run the pass and the outbox: the survey and its email's text."""
    later = timezone.now() + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False):
        assert satisfaction_surveys_send_due() == 1
        mail.outbox.clear()
        notifications_send_pending()
    (message,) = [m for m in mail.outbox if "How did we do?" in m.subject]
    return SatisfactionSurvey.objects.get(ticket=ticket), message.body


def survey_links(body: str) -> dict[str, str]:
    """rating -> path of the email's link (what a requester clicks)."""
    return {
        m["rating"]: f"/survey/{m['token']}/?rating={m['rating']}" for m in LINK.finditer(body)
    }
