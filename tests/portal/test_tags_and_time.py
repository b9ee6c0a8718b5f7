"""A requester never sees a ticket's tags or the time spent on it: not on their ticket
page, not in its history, not in their API."""

import re

import pytest

from tickets.services import ticket_add_tag, ticket_log_time, ticket_reply

pytestmark = pytest.mark.django_db


def test_the_requesters_page_shows_no_tags_or_time(client_for, desk):
    ticket = desk.ticket()
    ticket_add_tag(ticket=ticket, name="difficult-customer", by=desk.agent.user)
    ticket_log_time(ticket=ticket, minutes=95, note="Secret vendor call", by=desk.agent.user)
    ticket_reply(ticket=ticket, body="Fixed it.", by=desk.agent.user, minutes=20)
    html = client_for(desk.requester).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Fixed it." in html
    hidden = ["difficult-customer", "Secret vendor call", "logged", "Time spent"]
    for text in [*hidden, "1 h 35 min", "1 h 55 min", "20 min"]:
        assert text not in html
    # The minutes as a number of their own (a timestamp's microseconds may hold "95").
    assert not re.search(r"(?<![\d.:])(95|115)(?![\d:])", re.sub(r"<[^>]+>", " ", html))
