"""The outbox's email preview in the admin: the HTML part in a sandboxed frame with its own
policy, the text part beside it, for staff only; user text stays text."""

import pytest
from django.test import Client

from tests.support.admin_helpers import admin_url
from tests.support.hostile import PAYLOADS
from tickets.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def acknowledgement(desk):
    ticket = desk.ticket(subject=PAYLOADS[0])
    return Notification.objects.filter(ticket=ticket, recipient=desk.requester).get()


def test_the_change_page_frames_the_preview_and_shows_the_text(admin_client, acknowledgement):
    html = admin_client.get(admin_url(Notification, "change", acknowledgement.pk)).content.decode()
    preview = f"/admin/tickets/notification/{acknowledgement.pk}/preview/"
    assert f'<iframe class="email-preview" sandbox src="{preview}"' in html
    assert "Text part" in html and PAYLOADS[0] not in html  # escaped, never markup


def test_the_preview_has_a_policy_of_its_own(admin_client, acknowledgement):
    response = admin_client.get(f"/admin/tickets/notification/{acknowledgement.pk}/preview/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    body = response.content.decode()
    assert "Hello" in body and PAYLOADS[0] not in body


def test_only_staff_see_it(desk, client_for, acknowledgement):
    url = f"/admin/tickets/notification/{acknowledgement.pk}/preview/"
    for user in (None, desk.requester, desk.agent.user):
        response = client_for(user).get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get("/admin/tickets/notification/999999/preview/").status_code == 302


def test_a_missing_notification_is_404(admin_client):
    assert admin_client.get("/admin/tickets/notification/999999/preview/").status_code == 404
