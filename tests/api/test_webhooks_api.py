"""Webhook endpoints through the API (scope webhooks:manage, administrators only): the
secret in the create and rotate answers only, the admin's checks, the services' effects."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from api.webhooks import MAY_NOT_MANAGE
from tests.api.conftest import bearer
from tests.support.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.sending import signing_secrets
from webhooks.services import NOTHING_SUBSCRIBED, may_manage_webhooks

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{40,}$")
BASE = "/api/v1/webhooks/"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin_user(db):
    return UserFactory(superuser=True, display_name="Pam Beesly")


@pytest.fixture
def api(make_key, admin_user):
    """A client with a webhooks:manage key acting as an administrator."""
    _key, plaintext = make_key(user=admin_user, scopes=["webhooks:manage"])
    return Client(**bearer(plaintext))


def body(**fields):
    return {
        "url": "https://hooks.example.com/in",
        "events": ["ticket.created", "ticket.sla.breached"],
        "description": "Chat channel",
        "owner_email": "ops@example.com",
        **fields,
    }


def create(api, **fields):
    return api.post(BASE, body(**fields), content_type="application/json")


# Who may ------------------------------------------------------------------------------


def test_a_key_without_the_scope_is_refused(make_key, admin_user):
    _key, plaintext = make_key(user=admin_user, scopes=["tickets:read"])
    client = Client(**bearer(plaintext))
    assert client.get(BASE).status_code == 403
    response = client.post(BASE, body(), content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "webhooks:manage" in response.json()["detail"]
    assert not WebhookEndpoint.objects.exists()


def test_a_key_acting_as_an_agent_is_refused_even_with_the_scope(make_key, desk):
    _key, plaintext = make_key(user=desk.manager.user, scopes=["webhooks:manage"])
    client = Client(**bearer(plaintext))
    for response in (
        client.get(BASE),
        client.post(BASE, body(), content_type="application/json"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == MAY_NOT_MANAGE
    assert not WebhookEndpoint.objects.exists()


def test_the_api_and_the_admin_share_one_rule(desk, admin_user):
    assert may_manage_webhooks(admin_user)
    assert not may_manage_webhooks(desk.manager.user)
    admin_user.is_active = False
    assert not may_manage_webhooks(admin_user)


def test_a_signed_in_agent_is_refused_and_an_admin_is_let_in(client, desk, admin_user):
    client.force_login(desk.agent.user)
    assert client.get(BASE).status_code == 403
    client.force_login(admin_user)
    assert client.get(BASE).status_code == 200


# Create, list, read ---------------------------------------------------------------------


def test_create_answers_the_secret_once(api, desk):
    response = create(api, departments=[desk.it.pk], include_notes=True)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    made = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert SECRET.match(made["secret"]) and made["secret"] == endpoint.secret
    assert made["events"] == ["ticket.created", "ticket.sla.breached"]
    assert made["departments"] == [desk.it.pk]
    assert (endpoint.url, endpoint.owner_email, endpoint.include_notes) == (
        "https://hooks.example.com/in",
        "ops@example.com",
        True,
    )
    assert list(endpoint.departments.all()) == [desk.it]

    listed = api.get(BASE)
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["id"] == endpoint.pk and "secret" not in row
    assert listed.json()["next_after"] is None
    detail = api.get(f"{BASE}{endpoint.pk}/")
    assert detail.status_code == 200
    assert "secret" not in detail.json()
    assert endpoint.secret not in listed.content.decode() + detail.content.decode()


def test_the_list_pages_by_id(api):
    for n in range(3):
        create(api, url=f"https://hooks.example.com/{n}")
    first = api.get(BASE, {"limit": 2}).json()
    assert [r["url"] for r in first["results"]] == [
        "https://hooks.example.com/0",
        "https://hooks.example.com/1",
    ]
    rest = api.get(BASE, {"limit": 2, "after": first["next_after"]}).json()
    assert [r["url"] for r in rest["results"]] == ["https://hooks.example.com/2"]
    assert rest["next_after"] is None


def test_the_list_counts_its_queries(api, django_assert_max_num_queries, desk):
    for n in range(5):
        create(api, url=f"https://hooks.example.com/{n}", departments=[desk.it.pk])
    # The key, its throttle and last use, the endpoints, their departments.
    with django_assert_max_num_queries(6):
        response = api.get(BASE)
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"url": "ftp://hooks.example.com/in"}, "url"),
        ({"url": "http://10.0.0.8/in"}, "url"),
        ({"url": "http://169.254.169.254/latest/"}, "url"),
        ({"url": "https://user:pw@hooks.example.com/"}, "url"),
        ({"events": ["ticket.exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"owner_email": "not an address"}, "owner_email"),
        ({"departments": [999999]}, "departments"),
        ({"departments": ["IT"]}, "departments"),
        ({"colour": "red"}, "colour"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, fields, field):
    response = create(api, **fields)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_the_admins_own_message_is_given(api):
    response = create(api, events=[])
    assert response.json()["errors"] == {"events": [NOTHING_SUBSCRIBED]}


def test_a_body_that_is_not_an_object_is_a_400(api):
    response = api.post(BASE, "[1, 2]", content_type="application/json")
    assert response.status_code == 400


def test_a_missing_endpoint_is_a_404(api):
    assert api.get(f"{BASE}987654/").status_code == 404
    assert api.post(f"{BASE}987654/rotate-secret/").status_code == 404
    assert api.get(f"{BASE}987654/deliveries/").status_code == 404


# Update, deactivate ---------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(api, desk):
    endpoint_id = create(api, departments=[desk.it.pk]).json()["id"]
    response = api.patch(
        f"{BASE}{endpoint_id}/",
        {"events": ["ticket.assigned"], "description": "Assignments"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["events"] == ["ticket.assigned"]
    assert "secret" not in response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.events, endpoint.description, endpoint.url) == (
        ["ticket.assigned"],
        "Assignments",
        "https://hooks.example.com/in",
    )
    assert list(endpoint.departments.all()) == [desk.it]

    api.patch(f"{BASE}{endpoint_id}/", {"departments": []}, content_type="application/json")
    assert not endpoint.departments.exists()


def test_patch_checks_as_create_does(api):
    endpoint_id = create(api).json()["id"]
    response = api.patch(
        f"{BASE}{endpoint_id}/", {"url": "http://192.168.1.4/"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert WebhookEndpoint.objects.get().url != "http://192.168.1.4/"


def test_delete_turns_the_endpoint_off_and_keeps_it(api, desk):
    endpoint_id = create(api).json()["id"]
    desk.ticket()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending"

    assert api.delete(f"{BASE}{endpoint_id}/").status_code == 204
    endpoint = WebhookEndpoint.objects.get()
    assert not endpoint.is_active
    delivery.refresh_from_db()
    assert delivery.state == "dead"
    assert api.get(f"{BASE}{endpoint_id}/").json()["is_active"] is False
    assert api.delete(f"{BASE}{endpoint_id}/").status_code == 204

    response = api.patch(
        f"{BASE}{endpoint_id}/", {"is_active": True}, content_type="application/json"
    )
    assert response.json()["is_active"] is True


# Rotate ---------------------------------------------------------------------------------


def test_rotate_answers_the_new_secret_and_both_sign_for_24_hours(api):
    with time_machine.travel(NOW, tick=False):
        made = create(api).json()
        response = api.post(f"{BASE}{made['id']}/rotate-secret/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    new = response.json()["secret"]
    assert SECRET.match(new) and new != made["secret"]
    assert response.json()["previous_secret_expires_at"] == "2026-03-03T09:00:00Z"

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == new
    assert signing_secrets(endpoint, NOW + timedelta(hours=23)) == [new, made["secret"]]
    assert signing_secrets(endpoint, NOW + timedelta(hours=24, seconds=1)) == [new]
    assert "secret" not in api.get(f"{BASE}{made['id']}/").json()


# Deliveries, redeliver ------------------------------------------------------------------


def test_deliveries_are_listed_newest_first_with_their_state(api, desk):
    endpoint_id = create(api).json()["id"]
    with time_machine.travel(NOW, tick=False):
        first = desk.ticket(subject="First")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        desk.ticket(subject="Second")
    WebhookDelivery.objects.filter(ticket_id=first.pk).update(
        state="failed", attempts=3, last_status=503, last_error="Service Unavailable"
    )

    page = api.get(f"{BASE}{endpoint_id}/deliveries/", {"limit": 1})
    assert page.status_code == 200
    [newest] = page.json()["results"]
    assert (newest["event_type"], newest["state"], newest["attempts"]) == (
        "ticket.created",
        "pending",
        0,
    )
    assert "payload" not in newest
    older = api.get(
        f"{BASE}{endpoint_id}/deliveries/", {"limit": 1, "before": page.json()["next_before"]}
    ).json()
    [row] = older["results"]
    assert (row["ticket_id"], row["state"], row["attempts"], row["last_status"]) == (
        first.pk,
        "failed",
        3,
        503,
    )
    assert older["next_before"] is None
    for query, field in (({"limit": 0}, "limit"), ({"colour": "red"}, "colour")):
        bad = api.get(f"{BASE}{endpoint_id}/deliveries/", query)
        assert bad.status_code == 400
        assert field in bad.json()["errors"]


def test_redeliver_resets_the_delivery(api, desk):
    endpoint_id = create(api).json()["id"]
    desk.ticket()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state="dead", attempts=10, last_status=500, next_attempt_at=None
    )
    with time_machine.travel(NOW, tick=False):
        response = api.post(f"{BASE}{endpoint_id}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202
    assert (response.json()["state"], response.json()["attempts"]) == ("pending", 0)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, NOW)
    assert delivery.webhook_id == response.json()["webhook_id"]
    assert WebhookDelivery.objects.count() == 1


def test_redeliver_of_another_endpoints_delivery_is_a_404(api, desk):
    first = create(api).json()["id"]
    second = create(api, url="https://other.example.com/").json()["id"]
    desk.ticket()
    theirs = WebhookDelivery.objects.get(endpoint_id=second)
    response = api.post(f"{BASE}{first}/deliveries/{theirs.pk}/redeliver/")
    assert response.status_code == 404


def test_no_events_sent_is_the_admins_message(api):
    response = api.post(
        BASE, {"url": "https://hooks.example.com/in"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"events": [NOTHING_SUBSCRIBED]}
    made = api.post(
        BASE,
        {"url": "https://hooks.example.com/in", "include_notes": True},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert (made.json()["events"], made.json()["include_notes"]) == ([], True)


def test_a_retried_create_replays_the_same_endpoint_and_secret(api):
    retry = {"HTTP_IDEMPOTENCY_KEY": "subscribe-1"}
    first = api.post(BASE, body(), content_type="application/json", **retry)
    again = api.post(BASE, body(), content_type="application/json", **retry)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again["Cache-Control"] == "no-store"
    assert again.json()["secret"] == first.json()["secret"] == WebhookEndpoint.objects.get().secret
