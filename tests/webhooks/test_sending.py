"""Sending to a real HTTP receiver on loopback: signatures the standardwebhooks library
verifies, retries on the issue's schedule, Retry-After, 410, the circuit breaker, the
three-day cut-off, and one endpoint never in another's way."""

import datetime as dt
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from standardwebhooks import Webhook, WebhookVerificationError

from tests.support.webhook_receiver import Reply
from webhooks import network
from webhooks.breaker import BREAKER_MIN_ATTEMPTS
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.sending import endpoint_send_due
from webhooks.services import webhook_endpoint_rotate_secret, webhook_send_test

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def send(endpoint, at):
    with time_machine.travel(at, tick=False):
        return endpoint_send_due(endpoint_id=endpoint.pk)


def new_ticket(desk, at=START, **kwargs):
    with time_machine.travel(at, tick=False):
        return desk.ticket(**kwargs)


@pytest.fixture
def hook(make_endpoint, webhook_receiver):
    endpoint, secret = make_endpoint(
        webhook_receiver.url, events=["ticket.created"], owner_email="ops@example.com"
    )
    return endpoint, secret


def test_a_delivery_arrives_signed_as_standard_webhooks_say(desk, hook, webhook_receiver):
    endpoint, secret = hook
    ticket = new_ticket(desk)

    assert send(endpoint, START + timedelta(seconds=1)) == 1

    [request] = webhook_receiver.requests
    with time_machine.travel(START + timedelta(seconds=2), tick=False):
        payload = request.verify(secret)  # the library's own check, or it raises
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    assert payload["type"] == "ticket.created"
    assert payload["data"]["ticket"]["number"] == ticket.number
    delivery = WebhookDelivery.objects.get()
    assert request.webhook_id == delivery.webhook_id
    assert request.headers["webhook-timestamp"] == str(
        int((START + timedelta(seconds=1)).timestamp())
    )
    assert request.headers["content-type"] == "application/json"
    assert request.body == delivery.payload.encode()
    assert request.path == "/hooks"
    assert len(request.signatures) == 1 and request.signatures[0].startswith("v1,")
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 204)
    [attempt] = WebhookAttempt.objects.all()
    assert (attempt.succeeded, attempt.status_code, attempt.error) == (True, 204, "")


def test_after_a_rotation_both_secrets_sign_for_24_hours(desk, hook, webhook_receiver):
    endpoint, old_secret = hook
    with time_machine.travel(START, tick=False):
        endpoint, new_secret = webhook_endpoint_rotate_secret(endpoint=endpoint, by=None)
    assert new_secret != old_secret and new_secret.startswith("whsec_")

    new_ticket(desk, START + timedelta(hours=1))
    send(endpoint, START + timedelta(hours=1))
    new_ticket(desk, START + timedelta(hours=25))
    send(endpoint, START + timedelta(hours=25))

    soon, next_day = webhook_receiver.requests
    assert len(soon.signatures) == 2
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert soon.verify(new_secret) and soon.verify(old_secret)
    assert len(next_day.signatures) == 1
    with time_machine.travel(START + timedelta(hours=25), tick=False):
        assert next_day.verify(new_secret)
        with pytest.raises(WebhookVerificationError):
            next_day.verify(old_secret)


def test_retries_after_5_seconds_then_5_minutes_with_the_same_webhook_id(
    desk, hook, webhook_receiver
):
    endpoint, _ = hook
    webhook_receiver.answer(500, 502)
    new_ticket(desk)

    send(endpoint, START)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 1, 500)
    first_wait = delivery.next_attempt_at - START
    assert timedelta(seconds=4.5) <= first_wait <= timedelta(seconds=5.5)  # 5 s, jittered

    assert send(endpoint, START + timedelta(seconds=4)) == 0  # not yet due
    second = delivery.next_attempt_at
    send(endpoint, second)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 2, 502)
    assert timedelta(seconds=270) <= delivery.next_attempt_at - second <= timedelta(seconds=330)

    send(endpoint, delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 3, 204)
    ids = {request.webhook_id for request in webhook_receiver.requests}
    assert ids == {delivery.webhook_id} and len(webhook_receiver.requests) == 3
    assert list(WebhookAttempt.objects.order_by("at").values_list("status_code", flat=True)) == [
        500,
        502,
        204,
    ]


def test_the_last_retry_gives_up(desk, hook, webhook_receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 60]
    endpoint, _ = hook
    webhook_receiver.default = Reply(500)
    new_ticket(desk)
    moment = START
    for _ in range(3):
        send(endpoint, moment)
        moment += timedelta(minutes=5)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert "Gave up after 3 attempts" in delivery.last_error
    send(endpoint, moment + timedelta(days=1))
    assert len(webhook_receiver.requests) == 3


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "Mon, 02 Mar 2026 10:30:00 GMT", timedelta(minutes=30)),
        (503, "next week", None),  # unreadable: the schedule's 5 s
    ],
)
def test_429_and_503_are_retried_when_retry_after_says(
    desk, hook, webhook_receiver, status, retry_after, wait
):
    endpoint, _ = hook
    webhook_receiver.answer(Reply(status, {"Retry-After": retry_after}))
    new_ticket(desk)
    send(endpoint, START)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed"
    if wait is None:
        assert timedelta(seconds=4.5) <= delivery.next_attempt_at - START <= timedelta(seconds=5.5)
    else:
        assert delivery.next_attempt_at - START == wait


def test_410_disables_the_endpoint_and_tells_its_owner(
    desk, hook, webhook_receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = hook
    webhook_receiver.answer(410)
    new_ticket(desk)
    new_ticket(desk)
    with django_capture_on_commit_callbacks(execute=True):
        send(endpoint, START)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason.startswith("The endpoint answered 410 Gone")
    assert len(webhook_receiver.requests) == 1
    states = sorted(WebhookDelivery.objects.values_list("state", flat=True))
    assert states == ["dead", "dead"]  # the one answered, and the one still owed
    [email] = mail.outbox
    assert email.to == ["ops@example.com"]
    assert email.subject == f"Webhook endpoint disabled: {endpoint.url}"
    assert "410 Gone" in email.body
    new_ticket(desk)  # a disabled endpoint gets no more deliveries
    assert WebhookDelivery.objects.count() == 2


def test_three_days_of_failures_disable_the_endpoint(
    desk, make_endpoint, webhook_receiver, django_capture_on_commit_callbacks, settings
):
    settings.ADMINS = [("", "admin@example.com")]
    endpoint, _ = make_endpoint(webhook_receiver.url, events=["ticket.created"])  # no owner
    webhook_receiver.default = Reply(500)
    new_ticket(desk)
    send(endpoint, START)
    delivery = WebhookDelivery.objects.get()
    for hours in (1, 24, 71):
        delivery.next_attempt_at = START + timedelta(hours=hours)
        delivery.save()
        send(endpoint, START + timedelta(hours=hours))
        endpoint.refresh_from_db()
        assert endpoint.is_active
    assert endpoint.failing_since == START
    delivery.next_attempt_at = START + timedelta(hours=72)
    delivery.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(endpoint, START + timedelta(hours=72))

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason.startswith("Every attempt failed for 3 days")
    [email] = mail.outbox
    assert email.to == ["admin@example.com"]


def test_a_success_ends_the_failure_streak(desk, hook, webhook_receiver):
    endpoint, _ = hook
    webhook_receiver.answer(500)
    new_ticket(desk)
    send(endpoint, START)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == START
    send(endpoint, START + timedelta(seconds=10))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_redirect_is_not_followed(desk, hook, webhook_receiver):
    endpoint, _ = hook
    webhook_receiver.answer(Reply(302, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    new_ticket(desk)
    send(endpoint, START)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == ("failed", 302)
    assert delivery.last_error == "Answered 302, a redirect: not followed."
    assert len(webhook_receiver.requests) == 1


def test_the_log_keeps_the_first_4_kb_of_the_answer(desk, hook, webhook_receiver):
    endpoint, _ = hook
    webhook_receiver.answer(Reply(500, {"Content-Type": "text/plain"}, b"x" * 10_000))
    new_ticket(desk)
    send(endpoint, START)
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_excerpt == "x" * 4096
    assert attempt.status_code == 500 and attempt.error == "Answered 500."


def test_no_answer_within_the_timeout_is_a_failed_attempt(
    desk, hook, webhook_receiver, monkeypatch
):
    monkeypatch.setattr(network, "TIMEOUT_SECONDS", 0.3)
    endpoint, _ = hook
    webhook_receiver.hold()
    new_ticket(desk)
    send(endpoint, START)
    webhook_receiver.let_go()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.last_error == "No answer within 0.3 s."


def test_the_circuit_breaker_pauses_a_failing_endpoint_then_probes_once(
    desk, hook, make_endpoint, webhook_receiver, settings
):
    settings.WEBHOOK_BREAKER_PAUSE_SECONDS = 300
    endpoint, _ = hook
    healthy_receiver_endpoint, _ = make_endpoint(
        "http://127.0.0.1:9/never-called", events=["ticket.updated"]
    )
    webhook_receiver.default = Reply(500)
    for _ in range(BREAKER_MIN_ATTEMPTS + 5):
        new_ticket(desk)

    send(endpoint, START)

    # Ten failures of ten: paused, and the other five deliveries were not even tried.
    assert len(webhook_receiver.requests) == BREAKER_MIN_ATTEMPTS
    endpoint.refresh_from_db()
    assert endpoint.paused_until == START + timedelta(minutes=5)
    untried = WebhookDelivery.objects.filter(attempts=0, endpoint=endpoint)
    assert untried.count() == 5
    assert send(endpoint, START + timedelta(minutes=4)) == 0  # still paused
    # Another endpoint is another sender: its own state, untouched.
    healthy_receiver_endpoint.refresh_from_db()
    assert healthy_receiver_endpoint.paused_until is None

    send(endpoint, START + timedelta(minutes=5, seconds=1))  # one probe, which fails
    assert len(webhook_receiver.requests) == BREAKER_MIN_ATTEMPTS + 1
    endpoint.refresh_from_db()
    assert endpoint.paused_until == START + timedelta(minutes=10, seconds=1)

    webhook_receiver.default = Reply(204)  # it recovers
    sent = send(endpoint, START + timedelta(minutes=11))
    endpoint.refresh_from_db()
    assert endpoint.paused_until is None and endpoint.failing_since is None
    assert sent == 15  # the probe, then everything that was due
    assert WebhookDelivery.objects.filter(endpoint=endpoint, state="delivered").count() == 15


def test_a_busy_endpoint_does_not_hold_up_another(desk, hook, make_endpoint, webhook_receiver):
    endpoint, _ = hook
    other, _ = make_endpoint(webhook_receiver.url, events=["ticket.created"])
    new_ticket(desk)
    # A sender for the first endpoint is at work elsewhere (its lease is held) ...
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        sender_until=START + timedelta(seconds=30)
    )
    # ... so a second task for it leaves at once, and the other endpoint sends meanwhile.
    assert send(endpoint, START) == 0
    assert send(other, START) == 1
    assert [r.webhook_id for r in webhook_receiver.requests] == [
        WebhookDelivery.objects.get(endpoint=other).webhook_id
    ]
    # A lease whose sender died runs out.
    assert send(endpoint, START + timedelta(seconds=31)) == 1


def test_deliveries_go_out_after_the_commit_that_wrote_them(
    desk, hook, webhook_receiver, django_capture_on_commit_callbacks
):
    _, secret = hook
    with django_capture_on_commit_callbacks(execute=True):
        ticket = desk.ticket()  # the suite runs tasks inline: the wake-up sends at once
    [request] = webhook_receiver.requests
    assert request.verify(secret)["data"]["ticket"]["id"] == ticket.pk
    assert WebhookDelivery.objects.get().state == "delivered"


def test_a_test_event_goes_to_any_endpoint(
    hook, webhook_receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = hook
    with django_capture_on_commit_callbacks(execute=True):
        webhook_send_test(endpoint=endpoint, by=None)
    [request] = webhook_receiver.requests
    payload = request.verify(secret)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == endpoint.pk
