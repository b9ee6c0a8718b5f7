"""The beat sweep: due deliveries nobody took are handed over (FOR UPDATE SKIP LOCKED, so
two sweeps share them and neither waits), and a lost wake-up delays nothing for long."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.sending import DISPATCH_LEASE, webhooks_sweep

pytestmark = pytest.mark.postgres


def owed(endpoint, count):
    for _ in range(count):
        endpoint.deliveries.create(
            webhook_id=f"msg_{WebhookDelivery.objects.count():026d}",
            event_type="ticket.created",
            payload="{}",
            next_attempt_at=timezone.now() - timedelta(seconds=1),
        )


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_share_the_due_deliveries(make_endpoint, monkeypatch):
    woken = []
    monkeypatch.setattr("webhooks.sending.enqueue", lambda name, *args: woken.append(args))
    endpoint, _ = make_endpoint(events=["ticket.created"])
    other, _ = make_endpoint(events=["ticket.created"])
    owed(endpoint, 3)
    owed(other, 3)

    holding, release, first = threading.Event(), threading.Event(), []

    def a_sweep_on_another_connection():
        try:
            with transaction.atomic():  # its locks stay until this commits
                first.append(webhooks_sweep(limit=4))
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=a_sweep_on_another_connection)
    thread.start()
    assert holding.wait(timeout=30)
    # The first sweep holds 4 rows: this one neither waits for them nor takes them.
    second = webhooks_sweep()
    release.set()
    thread.join(timeout=30)

    assert (first, second) == ([4], 2)
    handed = WebhookDelivery.objects.filter(dispatched_until__isnull=False)
    assert handed.count() == 6
    # One wake-up per endpoint per sweep: the first had both, the second only the other.
    assert sorted(woken) == sorted([(endpoint.pk,), (other.pk,), (other.pk,)])
    assert webhooks_sweep() == 0  # handed over: left alone for DISPATCH_LEASE


@pytest.mark.django_db
def test_a_delivery_whose_wake_up_was_lost_goes_out_on_the_next_sweep(
    desk, make_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    _, secret = make_endpoint(webhook_receiver.url, events=["ticket.created"])
    ticket = desk.ticket()  # committed in the test's transaction; its wake-up never runs
    assert webhook_receiver.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_sweep() == 1  # the suite runs the woken task inline

    [request] = webhook_receiver.requests
    assert request.verify(secret)["data"]["ticket"]["id"] == ticket.pk
    assert WebhookDelivery.objects.get().state == "delivered"


@pytest.mark.django_db
def test_the_sweep_leaves_paused_disabled_and_handed_over_endpoints_alone(make_endpoint):
    paused, _ = make_endpoint(events=["ticket.created"])
    off, _ = make_endpoint(events=["ticket.created"])
    handed, _ = make_endpoint(events=["ticket.created"])
    fine, _ = make_endpoint(events=["ticket.created"])
    for endpoint in (paused, off, handed, fine):
        owed(endpoint, 1)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=paused.pk).update(paused_until=now + timedelta(minutes=1))
    WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False)
    handed.deliveries.update(dispatched_until=now + timedelta(seconds=30))

    assert webhooks_sweep(now=now) == 1
    assert (
        WebhookDelivery.objects.get(dispatched_until__gt=now + timedelta(seconds=31)).endpoint
        == fine
    )
    # Once the pause and the hand-overs' leases end, the sweep tries again.
    assert webhooks_sweep(now=now + DISPATCH_LEASE + timedelta(seconds=1)) == 3
