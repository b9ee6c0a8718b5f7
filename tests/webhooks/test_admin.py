"""Webhooks in the admin: an endpoint's secret shown once, on the page after it was made or
rotated; test events and redeliveries; payloads and answers shown as text."""

import re

import pytest
from django.utils.html import escape

from tests.support.admin_helpers import admin_url, form_errors
from tests.support.factories import UserFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.services import ticket_add_note
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def add(admin_client, **fields):
    data = {
        "url": "https://hooks.example.com/in",
        "description": "Chat channel",
        "events": ["ticket.created", "ticket.sla.breached"],
        "owner_email": "ops@example.com",
        "is_active": "on",
        **fields,
    }
    return admin_client.post(admin_url(WebhookEndpoint, "add"), data)


def test_a_new_endpoints_secret_is_shown_once(admin_client, desk):
    response = add(admin_client, departments=[desk.it.pk])

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [shown] = SECRET.findall(response.content.decode())
    endpoint = WebhookEndpoint.objects.get()
    assert shown == endpoint.secret
    assert endpoint.events == ["ticket.created", "ticket.sla.breached"]
    assert list(endpoint.departments.all()) == [desk.it]
    # Never again: not on its page, not in the list.
    page = admin_client.get(admin_url(WebhookEndpoint, "change", endpoint.pk)).content.decode()
    listing = admin_client.get(admin_url(WebhookEndpoint, "changelist")).content.decode()
    assert endpoint.secret not in page and endpoint.secret not in listing
    assert "Shown only when it is made" in page


def test_the_form_refuses_what_could_never_be_sent(admin_client, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = add(admin_client, url="http://10.0.0.1/hook")
    assert form_errors(response) == [
        "10.0.0.1 is a private address; it is not in WEBHOOK_ALLOWED_NETWORKS."
    ]
    response = add(admin_client, events=[])
    assert form_errors(response) == ["Choose at least one event, or include internal notes."]
    assert not WebhookEndpoint.objects.exists()


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_for_a_day(
    admin_client, make_endpoint
):
    endpoint, old = make_endpoint()
    response = admin_client.post(
        admin_url(WebhookEndpoint, "changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    [shown] = SECRET.findall(response.content.decode())
    endpoint.refresh_from_db()
    assert shown == endpoint.secret != old
    assert endpoint.previous_secret == old
    assert "The previous secret signs beside it until" in response.content.decode()


def test_send_a_test_event(
    admin_client, make_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = make_endpoint(webhook_receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(WebhookEndpoint, "changelist"),
            {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        )
    [request] = webhook_receiver.requests
    assert request.verify(secret)["type"] == "webhook.test"
    assert WebhookDelivery.objects.get().state == "delivered"


def test_redeliver_sends_the_same_body_with_the_same_id(
    admin_client, desk, make_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    _, secret = make_endpoint(webhook_receiver.url, events=["ticket.created"])
    desk.ticket()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="dead", attempts=10)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(WebhookDelivery, "changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )

    [request] = webhook_receiver.requests
    assert request.webhook_id == delivery.webhook_id
    assert request.body == delivery.payload.encode()
    assert request.verify(secret)["type"] == "ticket.created"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)


def test_deliveries_and_answers_are_shown_as_text(admin_client, desk, make_endpoint):
    endpoint, _ = make_endpoint(include_notes=True)
    ticket = desk.ticket(subject=PAYLOADS[0][:200])
    for payload in PAYLOADS[:20]:
        ticket_add_note(ticket=ticket, body=payload, by=desk.agent.user)
    delivery = WebhookDelivery.objects.filter(event_type="ticket.note.created").first()
    WebhookAttempt.objects.create(
        delivery=delivery, endpoint=endpoint, status_code=500, response_excerpt=PAYLOADS[1]
    )
    listing = admin_client.get(admin_url(WebhookDelivery, "changelist"))
    assert listing.status_code == 200
    for delivery in WebhookDelivery.objects.all()[:21]:
        page = admin_client.get(admin_url(WebhookDelivery, "change", delivery.pk))
        assert page.status_code == 200
        assert_inert(page.content.decode())
    assert admin_client.get(admin_url(WebhookAttempt, "changelist")).status_code == 200
    assert (
        escape(PAYLOADS[1])[:40]
        in admin_client.get(
            admin_url(WebhookAttempt, "change", WebhookAttempt.objects.get().pk)
        ).content.decode()
    )


def test_only_administrators_see_endpoints(client_for, make_endpoint):
    endpoint, _ = make_endpoint()
    staff = UserFactory(staff=True)
    response = client_for(staff).get(admin_url(WebhookEndpoint, "change", endpoint.pk))
    assert response.status_code in (302, 403)
    assert endpoint.secret not in response.content.decode()
