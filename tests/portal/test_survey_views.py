"""The survey page the email's links open: a GET never records (mail scanners follow
links), the POST does; closed after 7 days; a bad token is a clear page, never a 500;
hostile comments are inert."""

import datetime
import re

import pytest
import time_machine
from django.test import Client

from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tests.support.surveys import resolved_ticket, send_survey, survey_links
from tickets.models import EventKind, SatisfactionSurvey, TicketEvent
from tickets.services import CHOOSE_RATING


@pytest.fixture
def emailed(desk):
    ticket = resolved_ticket(desk)
    survey, body = send_survey(ticket)
    return survey, survey_links(body)


def test_following_a_link_shows_the_choice_and_records_nothing(emailed):
    survey, links = emailed
    client = Client()

    page = client.get(links["good"])
    head = client.head(links["bad"])

    assert page.status_code == 200 and head.status_code == 200
    html = page.content.decode()
    assert "How did we do with “CRM is down”?" in html
    assert re.search(r'<input[^>]*value="good"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="bad"[^>]*checked', html)
    assert "Confirm my rating" in html
    survey.refresh_from_db()
    assert survey.rating == ""
    assert not TicketEvent.objects.filter(kind=EventKind.SATISFACTION_RATED).exists()


def test_confirming_records_the_rating_and_comment(emailed, desk):
    survey, links = emailed
    client = Client()
    path = links["good"].split("?")[0]
    client.get(links["good"])

    response = client.post(path, {"rating": "good", "comment": "Quick and kind."}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Thank you! Your rating is saved." in html
    assert "You rated this <strong>Good</strong>" in html
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("good", "Quick and kind.")
    event = TicketEvent.objects.get(kind=EventKind.SATISFACTION_RATED)
    assert event.actor == desk.requester  # the token stands for the requester


def test_the_rating_can_be_changed_then_the_page_is_closed(emailed):
    survey, links = emailed
    path = links["good"].split("?")[0]
    client = Client()
    client.post(path, {"rating": "good"})
    client.post(path, {"rating": "bad", "comment": "It broke again."})
    survey.refresh_from_db()
    assert survey.rating == "bad"

    with time_machine.travel(survey.sent_at + datetime.timedelta(days=7, seconds=1)):
        page = client.get(links["good"])
        post = client.post(path, {"rating": "good"})
    assert page.status_code == 410 and post.status_code == 410
    assert "This survey is closed" in page.content.decode()
    assert "Your rating: <strong>Bad</strong>" in page.content.decode()
    survey.refresh_from_db()
    assert survey.rating == "bad"


def test_no_choice_is_a_form_error(emailed):
    _, links = emailed
    response = Client().post(links["good"].split("?")[0], {"rating": "meh"})
    assert response.status_code == 400
    assert CHOOSE_RATING in response.content.decode()
    assert not SatisfactionSurvey.objects.exclude(rating="").exists()


@pytest.mark.parametrize(
    "token",
    ["nonsense", "WzEsMiwzXQ:1vx3oW:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x" * 300],
)
def test_a_tampered_token_is_a_clear_page(emailed, token):
    client = Client()
    for response in (
        client.get(f"/survey/{token}/"),
        client.post(f"/survey/{token}/", {"rating": "good"}),
    ):
        assert response.status_code == 404
        assert "This survey link is not valid" in response.content.decode()
    assert not SatisfactionSurvey.objects.exclude(rating="").exists()


def test_a_changed_character_in_a_real_token_is_refused(emailed):
    _, links = emailed
    token = links["good"].split("/")[2]
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = Client().post(f"/survey/{changed}/", {"rating": "bad"})
    assert response.status_code == 404


def test_stop_asking_me_turns_surveys_off(emailed, desk):
    _, links = emailed
    path = links["good"].split("?")[0]
    response = Client().post(path + "stop/", follow=True)
    assert "We will not ask you how we did again." in response.content.decode()
    desk.requester.refresh_from_db()
    assert desk.requester.satisfaction_surveys is False


def test_the_profile_turns_surveys_off(desk, client_for):
    client = client_for(desk.requester)
    page = client.get("/accounts/profile/").content.decode()
    assert "Satisfaction surveys" in page
    client.post(
        "/accounts/profile/",
        {"display_name": "Jim Halpert", "time_zone": "UTC", "satisfaction_surveys": ""},
    )
    desk.requester.refresh_from_db()
    assert desk.requester.satisfaction_surveys is False


def test_hostile_comments_are_inert_on_every_page(emailed, desk, client_for):
    survey, links = emailed
    path = links["good"].split("?")[0]
    payload = "\n".join(PAYLOADS)[:2000]
    Client().post(path, {"rating": "bad", "comment": payload})
    survey.refresh_from_db()
    assert survey.comment

    number = survey.ticket.number
    pages = [
        Client().get(path),
        client_for(desk.requester).get(f"/tickets/{number}/"),
        client_for(desk.agent.user).get(f"/agent/tickets/{number}/"),
        client_for(desk.agent.user).get("/agent/reports/satisfaction/"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert_inert(page.content.decode())


def test_the_requester_sees_their_rating_on_their_ticket(emailed, desk, client_for):
    survey, links = emailed
    client = client_for(desk.requester)
    page = client.get(f"/tickets/{survey.ticket.number}/").content.decode()
    assert "Rate this request" in page
    Client().post(links["good"].split("?")[0], {"rating": "good", "comment": "Thanks Ryan"})
    page = client.get(f"/tickets/{survey.ticket.number}/").content.decode()
    assert '<strong>Good</strong>: <span class="text-break">Thanks Ryan</span>' in page
    assert "Change your rating" in page
    # Another requester sees nothing of it.
    other = client_for(desk.other_requester).get(f"/tickets/{survey.ticket.number}/")
    assert other.status_code == 404
