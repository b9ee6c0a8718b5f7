"""Satisfaction surveys: scheduled on resolving, sent once after the delay, cancelled by a
reopen, skipped for those who turned them off; rated once per resolution, changeable for
7 days; the token bound to its ticket and resolution."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.utils import timezone

from accounts.services import user_set_satisfaction_surveys
from tests.support.surveys import resolved_ticket, send_survey
from tickets.errors import InvalidInput, NotPermitted
from tickets.models import EventKind, Notification, SatisfactionSurvey, TicketEvent
from tickets.outbox import notifications_send_pending
from tickets.services import (
    CHOOSE_RATING,
    SURVEY_CLOSED,
    satisfaction_rate,
    satisfaction_surveys_send_due,
    ticket_add_message,
    ticket_close,
    ticket_reopen,
    ticket_resolve,
)
from tickets.surveys import SALT, survey_from_token, survey_token
from tickets.tasks import send_satisfaction_surveys

State = SatisfactionSurvey.State
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_resolving_schedules_a_survey_after_the_delay(desk, clock):
    ticket = resolved_ticket(desk)

    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.state == State.SCHEDULED
    assert survey.due_at == START + datetime.timedelta(hours=1)
    assert survey.requester == desk.requester
    assert survey.agent == desk.agent and survey.department == desk.it
    assert survey.help_topic == desk.topic
    assert survey.resolution.kind == EventKind.STATUS_CHANGED
    assert survey.resolution.data["to"]["id"] == "resolved"


def test_the_delay_is_a_setting(desk, clock, settings):
    settings.SATISFACTION_SURVEY_DELAY = datetime.timedelta(minutes=5)
    ticket = resolved_ticket(desk)
    assert SatisfactionSurvey.objects.get(ticket=ticket).due_at == START + datetime.timedelta(
        minutes=5
    )


def test_nothing_is_sent_before_the_delay_and_once_after_it(desk, clock):
    ticket = resolved_ticket(desk)

    clock.move_to(START + datetime.timedelta(minutes=59))
    assert satisfaction_surveys_send_due() == 0
    assert not Notification.objects.filter(kind=Notification.Kind.SATISFACTION_SURVEY).exists()

    clock.move_to(START + datetime.timedelta(hours=1))
    assert satisfaction_surveys_send_due() == 1
    assert satisfaction_surveys_send_due() == 0  # a second pass, a retried task
    clock.move_to(START + datetime.timedelta(hours=5))
    assert satisfaction_surveys_send_due() == 0

    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.state == State.SENT and survey.sent_at == START + datetime.timedelta(hours=1)
    (row,) = Notification.objects.filter(kind=Notification.Kind.SATISFACTION_SURVEY)
    assert row.recipient == desk.requester and row.event_id == survey.resolution_id

    mail.outbox.clear()
    notifications_send_pending()
    (message,) = [m for m in mail.outbox if "How did we do?" in m.subject]
    assert message.to == [desk.requester.email]
    assert message.subject == f"[#{ticket.number}] How did we do? CRM is down"
    html = message.alternatives[0][0]
    token = survey_token(survey)
    assert f"/survey/{token}/?rating=good" in message.body
    assert f"/survey/{token}/?rating=bad" in message.body
    assert f"/survey/{token}/?rating=good" in html and "Bad, I'm not satisfied" in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_send_each_survey_once(desk):
    tickets = [resolved_ticket(desk, subject=f"Issue {n}") for n in range(6)]
    later = timezone.now() + datetime.timedelta(hours=2)

    def one_pass():
        try:
            return satisfaction_surveys_send_due(now=later)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = sum(pool.map(lambda _: one_pass(), range(2)))

    assert sent == len(tickets)
    rows = Notification.objects.filter(kind=Notification.Kind.SATISFACTION_SURVEY)
    assert rows.count() == len(tickets)
    assert set(SatisfactionSurvey.objects.values_list("state", flat=True)) == {State.SENT}


def test_a_reopen_before_sending_cancels_the_survey(desk, clock):
    ticket = resolved_ticket(desk)
    clock.move_to(START + datetime.timedelta(minutes=30))
    ticket_reopen(ticket=ticket, by=desk.agent.user)

    clock.move_to(START + datetime.timedelta(hours=2))
    assert satisfaction_surveys_send_due() == 0
    assert SatisfactionSurvey.objects.get(ticket=ticket).state == State.CANCELLED
    assert not Notification.objects.filter(kind=Notification.Kind.SATISFACTION_SURVEY).exists()


def test_a_requester_reply_reopens_and_cancels_it_and_the_next_resolution_asks_again(desk, clock):
    ticket = resolved_ticket(desk)
    ticket_add_message(ticket=ticket, body="Still broken.", by=desk.requester)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    ticket_resolve(ticket=ticket, by=desk.agent.user)

    first, second = SatisfactionSurvey.objects.filter(ticket=ticket).order_by("id")
    assert first.state == State.CANCELLED and second.state == State.SCHEDULED
    assert first.resolution_id != second.resolution_id
    clock.move_to(START + datetime.timedelta(hours=2))
    assert satisfaction_surveys_send_due() == 1


def test_closing_after_resolving_still_sends_it(desk, clock):
    ticket = resolved_ticket(desk)
    ticket_close(ticket=ticket, by=desk.agent.user)
    clock.move_to(START + datetime.timedelta(hours=2))
    assert satisfaction_surveys_send_due() == 1


def test_a_requester_who_turned_surveys_off_is_not_asked(desk, clock):
    user_set_satisfaction_surveys(user=desk.requester, enabled=False)
    ticket = resolved_ticket(desk)
    assert not SatisfactionSurvey.objects.filter(ticket=ticket).exists()


def test_turning_surveys_off_after_scheduling_skips_the_survey(desk, clock):
    ticket = resolved_ticket(desk)
    user_set_satisfaction_surveys(user=desk.requester, enabled=False)
    clock.move_to(START + datetime.timedelta(hours=2))

    assert satisfaction_surveys_send_due() == 0
    assert SatisfactionSurvey.objects.get(ticket=ticket).state == State.SKIPPED
    assert not Notification.objects.filter(kind=Notification.Kind.SATISFACTION_SURVEY).exists()


def test_the_requester_rates_and_an_event_is_recorded(desk):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)

    satisfaction_rate(survey=survey, rating="bad", comment="  Took a week.  ", by=desk.requester)

    survey.refresh_from_db()
    assert survey.rating == "bad" and survey.comment == "Took a week."
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SATISFACTION_RATED)
    assert event.actor == desk.requester
    assert event.data == {
        "from": None,
        "to": {"id": "bad", "name": "Bad"},
        "comment": "Took a week.",
        "survey": survey.pk,
    }


def test_the_rating_can_change_within_7_days_and_not_after(desk):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)
    sent_at = survey.sent_at

    with time_machine.travel(sent_at + datetime.timedelta(days=6, hours=23), tick=False):
        satisfaction_rate(survey=survey, rating="bad", by=desk.requester)
        satisfaction_rate(
            survey=survey, rating="good", comment="Fixed after all", by=desk.requester
        )
        satisfaction_rate(
            survey=survey, rating="good", comment="Fixed after all", by=desk.requester
        )
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SATISFACTION_RATED)
    assert [(e.data["from"], e.data["to"]["id"]) for e in events] == [
        (None, "bad"),
        ({"id": "bad", "name": "Bad"}, "good"),
    ]  # the same answer again changes nothing

    closed = sent_at + datetime.timedelta(days=7)
    with time_machine.travel(closed, tick=False), pytest.raises(InvalidInput) as error:
        satisfaction_rate(survey=survey, rating="bad", by=desk.requester)
    assert error.value.message == SURVEY_CLOSED
    survey.refresh_from_db()
    assert survey.rating == "good"


def test_one_survey_per_resolution(desk):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)
    satisfaction_rate(survey=survey, rating="good", by=desk.requester)
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 1


def test_bad_input_is_refused(desk):
    survey, _ = send_survey(resolved_ticket(desk))
    with pytest.raises(InvalidInput) as error:
        satisfaction_rate(survey=survey, rating="meh", by=desk.requester)
    assert error.value.message == CHOOSE_RATING
    with pytest.raises(InvalidInput):
        satisfaction_rate(survey=survey, rating="good", comment="x" * 2001, by=desk.requester)
    with pytest.raises(InvalidInput):
        satisfaction_rate(survey=survey, rating="good", comment="a\x00b", by=desk.requester)


def test_only_the_requester_rates(desk):
    survey, _ = send_survey(resolved_ticket(desk))
    for someone in (desk.agent.user, desk.other_requester, None):
        with pytest.raises(NotPermitted):
            satisfaction_rate(survey=survey, rating="good", by=someone)


def test_a_survey_not_sent_takes_no_rating(desk):
    ticket = resolved_ticket(desk)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    with pytest.raises(InvalidInput):
        satisfaction_rate(survey=survey, rating="good", by=desk.requester)


def test_the_token_names_its_survey_and_nothing_else(desk):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)
    token = survey_token(survey)

    assert survey_from_token(token) == survey
    assert survey_from_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert survey_from_token("") is None and survey_from_token("nonsense") is None
    # Signed with our key but for another resolution or ticket, or not our shape at all.
    other = resolved_ticket(desk, subject="Printer")
    assert (
        survey_from_token(signing.dumps([survey.pk, other.pk, survey.resolution_id], salt=SALT))
        is None
    )
    assert (
        survey_from_token(
            signing.dumps([survey.pk, ticket.pk, survey.resolution_id + 1], salt=SALT)
        )
        is None
    )
    assert survey_from_token(signing.dumps({"s": survey.pk}, salt=SALT)) is None
    assert survey_from_token(signing.dumps([True, 1, 2], salt=SALT)) is None
    assert (
        survey_from_token(
            signing.dumps([survey.pk, ticket.pk, survey.resolution_id], salt="other")
        )
        is None
    )


def test_the_beat_task_sends_what_is_due(desk, clock, settings):
    assert settings.CELERY_BEAT_SCHEDULE["send-satisfaction-surveys"]["task"] == (
        "tickets.send_satisfaction_surveys"
    )
    resolved_ticket(desk)
    resolved_ticket(desk, subject="Printer")
    clock.move_to(START + datetime.timedelta(hours=1))
    assert send_satisfaction_surveys() == 2
    assert send_satisfaction_surveys() == 0
