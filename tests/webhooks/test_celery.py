"""Webhooks through a real Celery worker: woken after commit, and still delivered, with the
same webhook-id, after the worker is SIGKILLed mid-delivery and Redis forgets its queue."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from tests.support.celery_harness import wait_for
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_a_worker_delivers_a_new_ticket_after_commit(
    desk, make_endpoint, webhook_receiver, celery_worker
):
    _, secret = make_endpoint(webhook_receiver.url, events=["ticket.created"])
    ticket = desk.ticket()

    [request] = wait_for(
        lambda: webhook_receiver.requests, timeout=60, message="the worker never delivered"
    )
    payload = request.verify(secret)
    assert (payload["type"], payload["data"]["ticket"]["number"]) == (
        "ticket.created",
        ticket.number,
    )
    wait_for(
        lambda: WebhookDelivery.objects.filter(state="delivered").exists(),
        timeout=30,
        message="the delivery was never marked delivered",
    )


def test_killed_mid_delivery_and_redis_flushed_it_still_arrives_with_the_same_id(
    desk, make_endpoint, webhook_receiver, celery_worker, celery_beat
):
    endpoint, secret = make_endpoint(webhook_receiver.url, events=["ticket.created"])
    webhook_receiver.hold()  # the first attempt arrives and gets no answer
    desk.ticket()
    wait_for(lambda: webhook_receiver.requests, timeout=60, message="the worker never sent")

    celery_worker.kill()  # SIGKILL, mid-delivery
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # and its task is gone too
    webhook_receiver.let_go()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)  # claimed, never answered
    # The dead worker's leases (a minute each) run out; rather than wait, move them back.
    past = timezone.now() - timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=past)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(sender_until=past)

    celery_worker.start()
    celery_worker.wait_ready()
    celery_beat({"webhooks-sweep": {"task": "webhooks.sweep", "schedule": 1.0}})

    wait_for(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, state="delivered").exists(),
        timeout=60,
        message="the sweep never delivered it again",
    )
    assert len(webhook_receiver.requests) >= 2
    assert {r.webhook_id for r in webhook_receiver.requests} == {delivery.webhook_id}
    for request in webhook_receiver.requests:
        assert request.verify(secret)["type"] == "ticket.created"
