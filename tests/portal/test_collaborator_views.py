"""Collaborators on the portal: a signed-in person copied on a ticket finds it among their
tickets, reads its public thread and answers as themselves; they cannot mark it solved,
and someone who is no longer a collaborator sees nothing."""

import pytest
from django.core import mail

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tickets.models import EntryKind, Notification, Status
from tickets.outbox import notifications_send_pending
from tickets.services import (
    ticket_add_collaborator,
    ticket_add_note,
    ticket_remove_collaborator,
    ticket_reply,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def copied(desk):
    ticket = desk.ticket(subject="Printer on fire")
    pam = UserFactory(email="pam@example.com", display_name="Pam Beesly")
    ticket_add_collaborator(ticket=ticket, user=pam, by=SYSTEM)
    return ticket, pam


def test_the_ticket_is_in_their_list_and_its_page_shows_the_public_thread(
    desk, copied, client_for
):
    ticket, pam = copied
    ticket_reply(ticket=ticket, body="On our way with an extinguisher.", by=desk.agent.user)
    ticket_add_note(ticket=ticket, body="INTERNAL: blame Dwight", by=desk.agent.user)
    desk.ticket(subject="Someone else's request")  # not hers
    client = client_for(pam)

    listing = client.get("/tickets/").content.decode()
    assert "Printer on fire" in listing and "Someone else&#x27;s request" not in listing

    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "On our way with an extinguisher." in html
    assert "INTERNAL" not in html
    assert "you follow it" in html and "private link" not in html
    assert "Mark as solved" not in html


def test_a_collaborators_reply_is_theirs(desk, copied, client_for):
    ticket, pam = copied
    response = client_for(pam).post(f"/tickets/{ticket.number}/reply/", {"body": "Still smoking."})
    assert response.status_code == 302
    entry = ticket.entries.order_by("-id").first()
    assert (entry.kind, entry.author, entry.body) == (EntryKind.MESSAGE, pam, "Still smoking.")


def test_a_collaborator_cannot_mark_it_solved(desk, copied, client_for):
    ticket, pam = copied
    response = client_for(pam).post(f"/tickets/{ticket.number}/solved/", follow=True)
    ticket.refresh_from_db()
    assert ticket.status != Status.RESOLVED
    assert "You cannot change this ticket." in response.content.decode()


def test_removed_collaborators_and_strangers_see_nothing(desk, copied, client_for):
    ticket, pam = copied
    stranger = UserFactory(email="toby@example.com")
    assert client_for(stranger).get(f"/tickets/{ticket.number}/").status_code == 404
    assert (
        client_for(stranger)
        .post(f"/tickets/{ticket.number}/reply/", {"body": "Hijack"})
        .status_code
        == 404
    )

    ticket_remove_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    client = client_for(pam)
    assert client.get(f"/tickets/{ticket.number}/").status_code == 404
    assert "Printer on fire" not in client.get("/tickets/").content.decode()
    assert not ticket.entries.filter(body="Hijack").exists()


def test_the_list_shows_each_ticket_once(desk, copied, client_for):
    ticket, pam = copied
    for n in range(3):  # other followers must not repeat the row
        ticket_add_collaborator(
            ticket=ticket, user=UserFactory(email=f"p{n}@example.com"), by=SYSTEM
        )
    own = desk.ticket(requester=pam, subject="My own request")
    ticket_add_collaborator(ticket=own, user=UserFactory(email="x@example.com"), by=SYSTEM)
    listing = client_for(pam).get("/tickets/").content.decode()
    assert listing.count("Printer on fire") == 1 and listing.count("My own request") == 1


def test_emails_link_a_collaborator_with_an_account_to_the_portal_page(desk, copied, settings):
    ticket, _pam = copied
    guest = UserFactory(email="guest@example.com")
    guest.set_unusable_password()
    guest.save()
    ticket_add_collaborator(ticket=ticket, user=guest, by=SYSTEM)
    Notification.objects.all().delete()
    ticket_reply(ticket=ticket, body="Fixed.", by=desk.agent.user)
    notifications_send_pending()
    by_address = {m.to[0]: m.body for m in mail.outbox}
    page = f"{settings.SITE_URL}/tickets/{ticket.number}/"
    assert page in by_address["pam@example.com"]
    assert page not in by_address["guest@example.com"]
    assert ticket.access_key not in by_address["pam@example.com"] + by_address["guest@example.com"]
