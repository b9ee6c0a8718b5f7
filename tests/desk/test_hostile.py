"""User-written text stays inert in the queue, the ticket page and search."""

import pytest

from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_claim,
    ticket_create,
    ticket_reply,
)

pytestmark = pytest.mark.postgres


def test_hostile_text_is_escaped_everywhere_agents_read_it(desk, client_for):
    agent = desk.agent.user
    agent.display_name = PAYLOADS[0]
    agent.save()
    tickets = []
    for payload in PAYLOADS:
        requester = UserFactory(display_name=payload[:150])
        ticket = ticket_create(
            requester=requester,
            by=requester,
            subject=payload[:255],
            body=payload,
            help_topic=desk.topic,
        )
        ticket_claim(ticket=ticket, by=agent)
        ticket_add_note(ticket=ticket, body=payload, by=agent)
        ticket_reply(ticket=ticket, body=payload, by=agent)
        ticket_add_message(ticket=ticket, body=payload, by=requester)
        tickets.append(ticket)
    client = client_for(desk.manager.user)
    pages = [
        client.get("/agent/").content.decode(),
        client.get("/agent/?view=mine").content.decode(),
    ]
    pages += [client.get(f"/agent/tickets/{t.number}/").content.decode() for t in tickets[:12]]
    pages.append(client.get("/agent/search/?q=alert").content.decode())
    pages.append(client.get("/agent/search/?q=<script>alert(1)</script>").content.decode())
    for html in pages:
        assert "<script>alert" not in html
        for tag in ("<img", "<svg", "<iframe", "<details", "<object", "<embed", "<meta http"):
            assert tag not in html
        assert 'href="javascript:' not in html.lower()
        assert "'password'" not in html  # {% debug %} and {{ ... }} are never evaluated
    ticket_page = pages[2]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ticket_page
    template_payload = next(t for t in tickets if t.subject == "{{ request.user.password }}")
    html = client.get(f"/agent/tickets/{template_payload.number}/").content.decode()
    assert "{{ request.user.password }}" in html  # shown as typed, not evaluated
    debug_payload = next(t for t in tickets if t.subject == "{% debug %}")
    html = client.get(f"/agent/tickets/{debug_payload.number}/").content.decode()
    assert "{% debug %}" in html
