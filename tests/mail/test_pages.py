"""Mail on the pages: the source shown, the whole message on demand, headers for agents."""

import pytest

from mail.ledger import inbound_store
from mail.processing import inbound_process
from tests.mail.conftest import message
from tests.support.inert import assert_inert
from tickets.access import access_key_fingerprint

pytestmark = pytest.mark.postgres

HTML = (
    "<p>Hello <b>IT</b>,</p><p>the CRM is down.</p><script>alert(1)</script>"
    "<img src='https://tracker.example/pixel.gif'><img src='cid:logo@x'>"
)


@pytest.fixture
def emailed(mailbox, desk):
    raw = message(sender="jim@example.com", body=HTML, content_type="text/html; charset=utf-8")
    row, _ = inbound_store(mailbox=mailbox, raw=raw, source="pipe")
    return inbound_process(inbound_id=row.pk)


def test_agents_see_where_it_came_from_the_whole_message_and_its_headers(
    emailed, desk, client_for
):
    client = client_for(desk.agent.user)
    html = client.get(f"/agent/tickets/{emailed.ticket.number}/").content.decode()
    assert "by email" in html and "Show the whole message" in html
    assert "<b>IT</b>" in html  # the formatted message, sanitised
    assert "tracker.example" not in html  # no remote images: nobody learns who read it
    assert_inert(html, where="the agent's ticket page")

    url = f"/agent/tickets/{emailed.ticket.number}/entries/{emailed.entry.pk}/headers/"
    assert f'href="{url}"' in html
    headers = client.get(url)
    assert headers.status_code == 200
    assert (
        "Message-ID" in headers.content.decode()
        and "&lt;m1@mail.example&gt;" in headers.content.decode()
    )
    # Not for agents of other departments, nor for entries that did not come by email.
    assert client_for(desk.sales_agent.user).get(url).status_code == 404
    assert client.get(url.replace(str(emailed.entry.pk), "999999")).status_code == 404


def test_the_requester_sees_their_emailed_message(emailed, client):
    ticket = emailed.ticket
    session = client.session
    session["guest_tickets"] = {str(ticket.number): access_key_fingerprint(ticket)}
    session.save()
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "by email" in html and "the CRM is down." in html
    assert_inert(html, where="the requester's ticket page")
