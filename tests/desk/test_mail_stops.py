"""A bounced address on the agent's ticket page: said beside the person, with the reason,
and cleared by "Send mail again" (agents of the department only)."""

import pytest
from django.test import Client

from accounts.roles import SYSTEM
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import EventKind, MailSuppression, TicketEvent
from tickets.services import DeliveryFailure, ticket_add_collaborator, ticket_record_bounce

pytestmark = pytest.mark.postgres
HTMX = {"HTTP_HX_REQUEST": "true"}
DIAGNOSTIC = "550 5.1.1 <jim@example.com>: Recipient address rejected: User unknown"


@pytest.fixture
def ticket(desk):
    ticket = desk.ticket()
    ticket_record_bounce(
        ticket=ticket,
        failures=[DeliveryFailure(desk.requester.email, True, "5.1.1", DIAGNOSTIC)],
        by=SYSTEM,
    )
    return ticket


def url(ticket) -> str:
    return f"/agent/tickets/{ticket.number}/resume-mail/"


def test_the_aside_says_the_address_bounces_with_the_reason(desk, ticket, client_for):
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()

    assert "Mail to this address bounces" in html
    assert "5.1.1: 550 5.1.1 &lt;jim@example.com&gt;: Recipient address rejected" in html
    assert f'action="{url(ticket)}"' in html
    assert f'name="user" value="{desk.requester.pk}"' in html
    assert (
        f'aria-label="Send mail again to {desk.requester.email}">Send mail again</button>' in html
    )
    # The note, by the system, and the event in the timeline.
    assert "<strong>System</strong>" in html
    assert f"stopped mail to {desk.requester.email}: it bounced (5.1.1)" in html


def test_a_collaborator_whose_address_bounces_is_marked_too(desk, ticket, client_for):
    pam = UserFactory(email="pam@example.com", display_name="Pam Beesly")
    ticket_add_collaborator(ticket=ticket, user=pam, by=desk.agent.user)
    ticket_record_bounce(
        ticket=ticket, failures=[DeliveryFailure("pam@example.com", True, "5.2.1", "")], by=SYSTEM
    )

    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()

    assert html.count("Mail to this address bounces") == 2
    assert "5.2.1: permanent failure" in html
    assert f'name="user" value="{pam.pk}"' in html


def test_nothing_is_said_when_mail_flows(desk, client_for):
    ticket = desk.ticket()
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "Mail to this address bounces" not in html
    assert "Send mail again" not in html


@pytest.mark.parametrize("htmx", [False, True], ids=["full-page", "htmx"])
def test_send_mail_again_clears_the_stop_and_records_it(desk, ticket, client_for, htmx):
    response = client_for(desk.agent.user).post(
        url(ticket), {"user": desk.requester.pk}, follow=True, **(HTMX if htmx else {})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Mail to that address is sent again." in html
    assert "Mail to this address bounces" not in html
    assert f"sent mail again to {desk.requester.email}" in html
    stop = MailSuppression.objects.get()
    assert (stop.is_active, stop.cleared_by) == (False, desk.agent.user)
    assert stop.cleared_at is not None
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.MAIL_RESUMED)
    assert event.actor == desk.agent.user
    assert event.data == {
        "from": {"id": stop.pk, "name": desk.requester.email},
        "user": {"id": desk.requester.pk, "name": str(desk.requester)},
    }


def test_an_agent_of_another_department_gets_404_and_changes_nothing(desk, ticket, client_for):
    client = client_for(desk.sales_agent.user)
    assert client.post(url(ticket), {"user": desk.requester.pk}).status_code == 404
    assert client.post(url(ticket), {"user": desk.requester.pk}, **HTMX).status_code == 404
    assert MailSuppression.objects.get().is_active


def test_the_requester_cannot_clear_it(desk, ticket, client_for):
    response = client_for(desk.requester).post(url(ticket), {"user": desk.requester.pk})
    assert response.status_code in (302, 403, 404)
    assert MailSuppression.objects.get().is_active


def test_someone_not_on_the_ticket_is_refused(desk, ticket, client_for):
    stranger = UserFactory(email="stranger@example.com")
    response = client_for(desk.agent.user).post(url(ticket), {"user": stranger.pk}, follow=True)
    assert "is neither the requester nor a collaborator of this ticket." in (
        response.content.decode()
    )
    assert MailSuppression.objects.get().is_active


def test_the_post_needs_its_csrf_token(desk, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.agent.user)
    assert client.post(url(ticket), {"user": desk.requester.pk}).status_code == 403
    assert MailSuppression.objects.get().is_active

    page = client.get(f"/agent/tickets/{ticket.number}/")
    token = page.cookies["csrftoken"].value
    response = client.post(url(ticket), {"user": desk.requester.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 303 or response.status_code == 302
    assert not MailSuppression.objects.get().is_active


def test_what_the_remote_server_said_is_inert(desk, client_for):
    ticket = desk.ticket()
    for number, payload in enumerate(PAYLOADS[:20]):
        ticket_record_bounce(
            ticket=ticket,
            failures=[DeliveryFailure(f"x{number}@example.com", True, "5.1.1", payload)],
            by=SYSTEM,
        )
    MailSuppression.objects.filter(address="x0@example.com").update(address=desk.requester.email)
    html = client_for(desk.agent.user).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "Mail to this address bounces" in html
    assert_inert(html)
