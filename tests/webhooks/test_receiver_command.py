"""manage.py webhook_receiver: the small receiver a new user runs to see verified deliveries."""

import datetime as dt
import io
import threading

import pytest
import requests
from django.core.management import CommandError, call_command

from webhooks.receiver import make_server
from webhooks.signing import new_secret, new_webhook_id, webhook_headers


def test_it_answers_a_signed_delivery_and_refuses_a_forged_one():
    secret = new_secret()
    reports = []
    server = make_server("127.0.0.1", 0, [secret], lambda ok, text: reports.append((ok, text)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        body = '{"type":"ticket.created","timestamp":"2026-03-02T10:00:00Z","data":{}}'
        now = dt.datetime.now(dt.UTC)
        headers = webhook_headers(
            webhook_id=new_webhook_id(), timestamp=now, body=body, secrets_in_use=[secret]
        )
        assert (
            requests.post(url, data=body.encode(), headers=headers, timeout=5).status_code == 204
        )
        forged = webhook_headers(
            webhook_id="msg_forged", timestamp=now, body=body, secrets_in_use=[new_secret()]
        )
        assert requests.post(url, data=body.encode(), headers=forged, timeout=5).status_code == 400
    finally:
        server.shutdown()
        server.server_close()

    # Each request is handled in its own thread, which may report after answering: the
    # two reports can arrive in either order.
    assert sorted(ok for ok, _text in reports) == [False, True]
    verified = next(text for ok, text in reports if ok)
    rejected = next(text for ok, text in reports if not ok)
    assert verified.startswith(f"verified ticket.created {headers['webhook-id']}")
    assert rejected.startswith("REJECTED msg_forged: No matching signature")


def test_the_command_wants_a_real_secret():
    with pytest.raises(CommandError, match="whsec_"):
        call_command("webhook_receiver", "--secret", "hunter2", stdout=io.StringIO())
