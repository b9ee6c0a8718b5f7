"""The API fuzzed from its own OpenAPI schema (schemathesis, in-process): whatever the
generated parameters and bodies, no answer is a server error, and every documented
answer matches the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.factories import UserFactory
from webhooks.services import webhook_endpoint_create, webhook_endpoint_settings_check

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())

ALL_SCOPES = [
    "tickets:read",
    "tickets:write",
    "replies:write",
    "notes:write",
    "users:read",
    "users:write",
    "departments:read",
    "sla:read",
]


@pytest.fixture(autouse=True)
def _connections_kept():
    """As Django's test client does: requests through the WSGI app must not close the
    test's database connection (and its transaction) when they finish."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth(make_key, desk):
    desk.ticket()  # something to find
    _key, plaintext = make_key(scopes=ALL_SCOPES, requests_per_minute=100_000)
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_the_api_fail(case, auth):
    response = case.call(headers=auth)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


@pytest.fixture
def webhooks_auth(make_key, desk):
    """An administrator's webhooks:manage key, and an endpoint with a delivery to find."""
    admin = UserFactory(superuser=True)
    _key, plaintext = make_key(user=admin, scopes=["webhooks:manage"], requests_per_minute=100_000)
    checked = webhook_endpoint_settings_check(
        url="https://hooks.example.com/in", events=["ticket.created"]
    )
    webhook_endpoint_create(settings_=checked, by=admin)
    desk.ticket()
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.mark.django_db
@schema.include(path_regex="^/api/v1/webhooks/").parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_the_webhooks_api_fail(case, webhooks_auth):
    """The webhook endpoints as an administrator may use them (the test above is refused
    them: its key lacks the scope and acts as an agent)."""
    response = case.call(headers=webhooks_auth)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
