"""The API's ticket detail carries its satisfaction surveys and ratings; its events (and
webhooks) the satisfaction_rated event."""

import pytest

from tests.api.conftest import bearer
from tests.support.surveys import resolved_ticket, send_survey
from tickets.services import satisfaction_rate

pytestmark = pytest.mark.django_db


def test_the_detail_has_the_rating(client, desk, make_key):
    reader = bearer(make_key(scopes=["tickets:read"])[1])
    ticket = resolved_ticket(desk)
    path = f"/api/v1/tickets/{ticket.number}/"
    assert client.get(path, **reader).json()["satisfaction"] == []

    survey, _ = send_survey(ticket)
    assert client.get(path, **reader).json()["satisfaction"][0]["rating"] is None
    satisfaction_rate(survey=survey, rating="bad", comment="Slow", by=desk.requester)

    body = client.get(f"{path}?include=events", **reader).json()
    (answer,) = body["satisfaction"]
    assert answer["id"] == survey.pk and answer["rating"] == "bad"
    assert answer["comment"] == "Slow" and answer["rated_at"]
    (event,) = [e for e in body["events"] if e["kind"] == "satisfaction_rated"]
    assert event["data"]["to"] == {"id": "bad", "name": "Bad"}


def test_another_departments_key_sees_nothing(client, desk, make_key):
    reader = bearer(make_key(user=desk.sales_agent.user, scopes=["tickets:read"])[1])
    ticket = resolved_ticket(desk)
    send_survey(ticket)
    assert client.get(f"/api/v1/tickets/{ticket.number}/", **reader).status_code == 404
