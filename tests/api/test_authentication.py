"""The API over HTTP: a key or a session authenticates, scopes decide, each answer carries
its rate-limit state, and errors are RFC 9457 problem details a person can read."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from api.keys import api_key_revoke
from tests.api.conftest import bearer
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
DEPARTMENTS = "/api/v1/departments/"


def test_a_key_acts_as_its_agent(client, make_key, desk):
    _key, plaintext = make_key(name="Monitoring")
    response = client.get(ME, **bearer(plaintext))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == desk.agent.user.email
    assert body["departments"] == [desk.it.pk]
    assert body["key"]["name"] == "Monitoring"


def test_the_x_api_key_header_works_too(client, make_key):
    _key, plaintext = make_key()
    assert client.get(ME, HTTP_X_API_KEY=plaintext).status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer hd_nope_nope", "Bearer garbage", "Bearer " + "x" * 5000]
)
def test_a_bad_key_is_401_with_a_problem(client, header):
    response = client.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized" and problem["detail"]


def test_a_revoked_key_says_so(client, make_key):
    key, plaintext = make_key()
    api_key_revoke(key=key, by=UserFactory(is_superuser=True))
    response = client.get(ME, **bearer(plaintext))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_without_a_key_or_session_nothing_but_the_docs(client):
    for path in (ME, DEPARTMENTS):
        assert client.get(path).status_code in (401, 403)
    assert client.get("/api/v1/schema/").status_code == 200


def test_a_scope_decides(client, make_key):
    _key, without = make_key(scopes=["tickets:read"])
    response = client.get(DEPARTMENTS, **bearer(without))
    assert response.status_code == 403
    assert "departments:read" in response.json()["detail"]
    _key, with_scope = make_key(scopes=["departments:read"])
    response = client.get(DEPARTMENTS, **bearer(with_scope))
    assert response.status_code == 200
    assert {d["name"] for d in response.json()} == {"IT", "Sales"}


def test_a_key_cannot_write_where_it_may_only_read(client, make_key):
    _key, plaintext = make_key(scopes=["departments:read"])
    response = client.post(DEPARTMENTS, {}, content_type="application/json", **bearer(plaintext))
    assert response.status_code == 403  # no write scope names this view


def test_a_session_works_with_csrf(desk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.agent.user)
    assert client.get(ME).json()["key"] is None
    assert client.get(DEPARTMENTS).status_code == 200
    response = client.post(DEPARTMENTS, {}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


# The windows are fixed minutes: time stands still in these tests, so that none of them
# straddles the end of one.
STILL = time_machine.travel(dt.datetime(2026, 12, 2, 9, 30, 5, tzinfo=dt.UTC), tick=False)


@STILL
def test_each_answer_carries_the_rate_limit_and_a_429_says_when(client, make_key):
    _key, plaintext = make_key(requests_per_minute=3)
    answers = [client.get(ME, **bearer(plaintext)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0]["RateLimit-Limit"] == "3"
    assert answers[0]["RateLimit-Reset"] == "55"
    refused = answers[3]
    assert int(refused["Retry-After"]) >= 1
    assert refused["Content-Type"] == "application/problem+json"


@STILL
def test_keys_have_their_own_limits(client, make_key):
    _key, first = make_key(requests_per_minute=1)
    _key, second = make_key(requests_per_minute=1)
    assert client.get(ME, **bearer(first)).status_code == 200
    assert client.get(ME, **bearer(first)).status_code == 429
    assert client.get(ME, **bearer(second)).status_code == 200


def test_a_key_from_an_address_it_may_not_use(client, make_key):
    _key, plaintext = make_key(allowed_networks=["192.0.2.0/24"])
    assert client.get(ME, REMOTE_ADDR="192.0.2.5", **bearer(plaintext)).status_code == 200
    refused = client.get(ME, REMOTE_ADDR="198.51.100.5", **bearer(plaintext))
    assert refused.status_code == 401 and "address" in refused.json()["detail"]


def test_the_schema_generates_without_warnings(client, tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/me/" in paths and "/api/v1/departments/" in paths
