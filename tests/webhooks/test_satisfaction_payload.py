"""A rating as a webhook sees it: its own event type, the rating as a change, the comment
as an excerpt."""

import datetime
import json

from tickets.events import RecordedEvent
from tickets.models import EventKind
from webhooks.models import EventType
from webhooks.payloads import EVENT_TYPES, TicketFacts, event_body


def test_the_satisfaction_rated_payload():
    assert EVENT_TYPES[EventKind.SATISFACTION_RATED] == EventType.SATISFACTION_RATED
    at = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    facts = TicketFacts(1, 1042, "CRM is down", "resolved", 2, 3, None, at)
    event = RecordedEvent(
        id=7,
        ticket_id=1,
        kind=EventKind.SATISFACTION_RATED,
        data={"from": None, "to": {"id": "bad", "name": "Bad"}, "comment": "x" * 600, "survey": 5},
        created_at=at,
        actor_id=9,
    )
    body = json.loads(event_body(event, EventType.SATISFACTION_RATED, facts))
    assert body["type"] == "ticket.satisfaction.rated"
    assert body["data"]["changes"] == {
        "satisfaction": {"old": None, "new": {"id": "bad", "name": "Bad"}}
    }
    assert body["data"]["satisfaction"]["survey_id"] == 5
    assert body["data"]["satisfaction"]["truncated"] is True
    assert len(body["data"]["satisfaction"]["comment"]) == 500
