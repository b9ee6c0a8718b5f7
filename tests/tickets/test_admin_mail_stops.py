"""Mail stops in the admin: listed, read-only, cleared by an action that records it."""

import pytest
from django.utils.html import escape

from accounts.roles import SYSTEM
from tests.support.admin_helpers import admin_url
from tests.support.hostile import PAYLOADS
from tickets.models import EventKind, MailSuppression, TicketEvent
from tickets.services import DeliveryFailure, ticket_record_bounce

pytestmark = pytest.mark.django_db


@pytest.fixture
def stop(desk):
    ticket = desk.ticket()
    ticket_record_bounce(
        ticket=ticket,
        failures=[DeliveryFailure(desk.requester.email, True, "5.1.1", PAYLOADS[0])],
        by=SYSTEM,
    )
    return MailSuppression.objects.get()


def test_listed_with_address_status_and_ticket(admin_client, stop):
    html = admin_client.get(admin_url(MailSuppression, "changelist")).content.decode()
    assert stop.address in html and "5.1.1" in html
    assert str(stop.ticket) in html or f"#{stop.ticket.number}" in html
    detail = admin_client.get(admin_url(MailSuppression, "change", stop.pk)).content.decode()
    assert escape(PAYLOADS[0]) in detail  # what the server said, escaped
    assert 'name="address"' not in detail  # read-only


def test_no_add_and_no_delete(admin_client, stop):
    assert admin_client.get(admin_url(MailSuppression, "add")).status_code == 403
    assert admin_client.get(admin_url(MailSuppression, "delete", stop.pk)).status_code == 403


def test_the_clear_action_sends_mail_again_and_records_it(admin_client, admin_user, stop):
    response = admin_client.post(
        admin_url(MailSuppression, "changelist"),
        {"action": "send_mail_again", "_selected_action": [stop.pk]},
        follow=True,
    )

    assert "Mail is sent again to 1 address." in response.content.decode()
    stop.refresh_from_db()
    assert (stop.is_active, stop.cleared_by) == (False, admin_user)
    event = TicketEvent.objects.get(kind=EventKind.MAIL_RESUMED)
    assert (event.ticket, event.actor) == (stop.ticket, admin_user)
