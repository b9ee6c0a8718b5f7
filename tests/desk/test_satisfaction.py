"""Ratings in the desk: on the ticket page of an agent who may see it, and the CSAT page
(good / (good + bad), per department, agent and topic) of the agent's departments only."""

import datetime

import pytest
from django.utils import timezone

from tests.support.surveys import resolved_ticket, send_survey
from tickets.selectors import satisfaction_figures
from tickets.services import satisfaction_rate, ticket_claim, ticket_resolve


def rate(desk, rating, comment="", **ticket_fields):
    ticket = resolved_ticket(desk, **ticket_fields)
    survey, _ = send_survey(ticket)
    satisfaction_rate(survey=survey, rating=rating, comment=comment, by=desk.requester)
    return ticket


def test_the_agent_sees_the_rating_on_the_ticket_page(desk, client_for):
    ticket = rate(desk, "bad", "Took a week.")
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert 'id="satisfaction-heading"' in html
    assert '<span class="badge text-bg-danger">Bad</span>' in html
    assert "Took a week." in html
    assert "rated the support Bad" in html  # the timeline's event


def test_an_agent_of_another_department_sees_nothing(desk, client_for):
    ticket = rate(desk, "bad", "Took a week.")
    page = client_for(desk.sales_agent.user).get(f"/agent/tickets/{ticket.number}/")
    assert page.status_code == 404
    csat = client_for(desk.sales_agent.user).get("/agent/reports/satisfaction/")
    assert csat.status_code == 200
    html = csat.content.decode()
    assert "Took a week." not in html and f"#{ticket.number}" not in html
    assert '<p class="display-6 mb-0" id="csat-total">—</p>' in html


def test_requesters_cannot_open_the_csat_page(desk, client_for):
    assert client_for(desk.requester).get("/agent/reports/satisfaction/").status_code == 403
    assert client_for(None).get("/agent/reports/satisfaction/").status_code == 302


def test_a_period_that_makes_no_sense_is_a_400(desk, client_for):
    response = client_for(desk.agent.user).get("/agent/reports/satisfaction/?days=abc")
    assert response.status_code == 400
    assert "Choose a period" in response.content.decode()


def test_the_figures(desk, client_for):
    rate(desk, "good")
    rate(desk, "good", "Great")
    rate(desk, "bad", "Slow", help_topic=None, department=desk.it)
    # Resolved by the manager: credited to them.
    ticket = desk.ticket(subject="Printer")
    ticket_claim(ticket=ticket, by=desk.manager.user)
    ticket_resolve(ticket=ticket, by=desk.manager.user)
    survey, _ = send_survey(ticket)
    satisfaction_rate(survey=survey, rating="bad", by=desk.requester)
    # Sent and unanswered: counts in neither.
    send_survey(resolved_ticket(desk, subject="Unanswered"))

    figures = satisfaction_figures(
        user=desk.manager.user, since=timezone.now() - datetime.timedelta(days=30)
    )

    assert (figures.total.good, figures.total.bad, figures.total.csat) == (2, 2, 50.0)
    assert figures.sent == 5 and figures.response_rate == 80.0
    assert [(r.label, r.good, r.bad) for r in figures.by_department] == [("IT", 2, 2)]
    assert [(r.label, r.good, r.bad) for r in figures.by_agent] == [
        ("Kevin Benavides", 0, 1),
        ("Ryan Howard", 2, 1),
    ]
    assert [(r.label, r.good, r.bad) for r in figures.by_topic] == [
        ("Business applications", 2, 1),
        ("No topic", 0, 1),
    ]
    assert [s.comment for s in figures.comments] == ["Slow", "Great"]

    html = client_for(desk.manager.user).get("/agent/reports/satisfaction/").content.decode()
    assert '<p class="display-6 mb-0" id="csat-total">50%</p>' in html
    assert "Ryan Howard" in html and "Slow" in html


def test_ratings_before_the_period_are_left_out(desk):
    rate(desk, "good")
    figures = satisfaction_figures(
        user=desk.manager.user, since=timezone.now() + datetime.timedelta(days=1)
    )
    assert figures.total.rated == 0 and figures.total.csat is None


@pytest.mark.parametrize("days", ["7", "30", "90", "365"])
def test_each_period_answers(desk, client_for, days):
    rate(desk, "good")
    response = client_for(desk.agent.user).get(f"/agent/reports/satisfaction/?days={days}")
    assert response.status_code == 200
