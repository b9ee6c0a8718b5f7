"""Idempotency-Key: a retried POST gets the first answer, not a second ticket; the same key
for another request is 422; one still being answered is 409; keys go after a day."""

import datetime as dt
import hashlib
import json
import threading

import pytest
import time_machine
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.idempotency import idempotency_prune
from api.models import IdempotentRequest
from tests.api.conftest import bearer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def writer(make_key):
    return bearer(make_key(scopes=["tickets:read", "tickets:write", "replies:write"])[1])


def new_ticket(desk, subject="Printer on fire"):
    return {
        "requester": {"email": "pam@example.com"},
        "subject": subject,
        "body": "Smoke everywhere.",
        "help_topic": desk.topic.pk,
    }


def post(client, body, auth, key):
    return client.post(
        TICKETS, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **auth
    )


def test_a_retry_gets_the_first_answer_and_makes_nothing(client, desk, writer):
    first = post(client, new_ticket(desk), writer, "attempt-1")
    again = post(client, new_ticket(desk), writer, "attempt-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    other = post(client, new_ticket(desk), writer, "attempt-2")
    assert other.json()["number"] != first.json()["number"]


def test_the_same_key_for_another_request_is_422(client, desk, writer):
    post(client, new_ticket(desk), writer, "k")
    response = post(client, new_ticket(desk, subject="Something else"), writer, "k")
    assert response.status_code == 422 and "different request" in response.json()["detail"]
    assert Ticket.objects.count() == 1


def test_keys_are_per_client(client, desk, writer, make_key):
    other = bearer(make_key(scopes=["tickets:write", "tickets:read"])[1])
    post(client, new_ticket(desk), writer, "shared")
    assert post(client, new_ticket(desk), other, "shared").status_code == 201
    assert Ticket.objects.count() == 2


def test_a_refused_request_is_replayed_too_but_a_bad_key_is_400(client, desk, writer):
    bad = {"subject": "no requester"}
    assert post(client, bad, writer, "x").status_code == 400
    assert post(client, bad, writer, "x").status_code == 400
    assert post(client, new_ticket(desk), writer, "y" * 256).status_code == 400
    assert not Ticket.objects.exists()


def test_while_the_first_is_answered_a_retry_is_409(client, desk, make_key):
    key, plaintext = make_key(scopes=["tickets:write", "tickets:read"])
    body = new_ticket(desk)
    raw = json.dumps(body, cls=DjangoJSONEncoder).encode()  # as the test client sends it
    IdempotentRequest.objects.create(
        owner=f"key:{key.pk}",
        key="busy",
        fingerprint=hashlib.sha256(b"POST /api/v1/tickets/\n" + raw).hexdigest(),
    )
    response = post(client, body, bearer(plaintext), "busy")
    assert response.status_code == 409 and "still being answered" in response.json()["detail"]
    assert not Ticket.objects.exists()
    # A claim left by a worker that died is released after a few minutes.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert post(client, body, bearer(plaintext), "busy").status_code == 201


def test_keys_are_forgotten_after_a_day(client, desk, writer):
    post(client, new_ticket(desk), writer, "old")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert idempotency_prune() == 1
        again = post(client, new_ticket(desk), writer, "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Ticket.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_once_make_one_ticket(desk, make_key):
    _key, plaintext = make_key(scopes=["tickets:write", "tickets:read"])
    body = new_ticket(desk)
    answers, start = [], threading.Barrier(4)

    def send():
        client = Client()
        start.wait()
        try:
            answers.append(post(client, body, bearer(plaintext), "burst").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Ticket.objects.count() == 1
    assert answers.count(201) >= 1 and set(answers) <= {201, 409}
