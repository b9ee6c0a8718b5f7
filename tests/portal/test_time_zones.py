"""Every time on the portal names its zone: UTC for guests, the person's own otherwise."""

import re

import pytest
from django.test import Client

from tickets.services import ticket_reply, ticket_submit

# A time as the portal prints it, then its zone: "Mar 3, 2025, 2:05 PM UTC".
SHOWN = re.compile(r"<time [^>]*>([^<]*\d:\d\d [AP]M) ?([^<]*)</time>")


def zones(html: str) -> list[str]:
    found = SHOWN.findall(html)
    assert found, "no times on the page"
    return [zone for _, zone in found]


@pytest.fixture
def guest_ticket(desk):
    ticket = ticket_submit(
        name="Pam", email="pam@example.com", help_topic=desk.topic, subject="Hi", body="Help"
    )
    ticket_reply(ticket=ticket, body="On it", by=desk.agent.user)
    return ticket


def test_guests_see_every_time_on_the_ticket_page_in_utc(guest_ticket):
    guest = Client()
    guest.get(f"/tickets/{guest_ticket.number}/access/{guest_ticket.access_key}/")
    html = guest.get(f"/tickets/{guest_ticket.number}/").content.decode()
    assert set(zones(html)) == {"UTC"}


@pytest.mark.parametrize(
    ("time_zone", "names"),
    [("UTC", {"UTC"}), ("America/New_York", {"EST", "EDT"}), ("Asia/Tokyo", {"JST"})],
)
def test_members_see_their_own_zone_on_the_list_and_the_ticket(client, desk, time_zone, names):
    desk.requester.time_zone = time_zone
    desk.requester.save(update_fields=["time_zone"])
    ticket = desk.ticket()
    client.force_login(desk.requester)
    for url in ("/tickets/", f"/tickets/{ticket.number}/"):
        shown = set(zones(client.get(url).content.decode()))
        assert len(shown) == 1 and shown <= names, (url, shown)
