"""The desk's API keys page (api/pages.py, under /agent/api-keys/): only agents allowed to
manage keys get in; a new key is shown once, in the answer to the POST that made it, and
works; bad input comes back with the person's input and a reason beside the field;
revoking asks first, stops the key and is in the audit log with who did it."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import AuditEntry
from api.keys import api_key_create
from api.models import ApiKey
from api.pages import ALREADY_REVOKED, NOT_ALLOWED, REVOKED
from tests.api.conftest import bearer
from tests.support.factories import AgentFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert

pytestmark = pytest.mark.django_db

LIST = "/agent/api-keys/"
NEW = "/agent/api-keys/new/"
ME = "/api/v1/me/"
KEY_PATTERN = re.compile(r"hd_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


def grant(user):
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="api", codename__in=["add_apikey", "change_apikey"]
        )
    )
    return user


@pytest.fixture
def manager(desk):
    """The IT manager, given the permission to manage API keys."""
    return grant(desk.manager.user)


@pytest.fixture
def manager_client(manager, client_for):
    return client_for(manager)


def valid(desk, **changes) -> dict:
    data = {
        "name": "Nagios",
        "user": desk.agent.user.pk,
        "scopes": ["tickets:read", "tickets:write"],
        "allowed_networks": "192.0.2.0/24\n2001:db8::/32",
        "requests_per_minute": "60",
        "expires_in_days": "30",
    }
    data.update(changes)
    return data


def shown_keys(html: str) -> list[str]:
    return KEY_PATTERN.findall(html)


# Who gets in --------------------------------------------------------------------------


def pages(key) -> list[tuple[str, str, dict]]:
    return [
        ("get", LIST, {}),
        ("get", NEW, {}),
        ("post", NEW, {"name": "x", "scopes": ["tickets:read"]}),
        ("get", f"/agent/api-keys/{key.pk}/revoke/", {}),
        ("post", f"/agent/api-keys/{key.pk}/revoke/", {}),
    ]


@pytest.fixture
def key(make_key):
    return make_key(name="Existing")[0]


def test_anonymous_visitors_are_sent_to_log_in(client, key):
    for method, path, data in pages(key):
        response = getattr(client, method)(path, data)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=/agent/api-keys/")
    assert ApiKey.objects.get().revoked_at is None and ApiKey.objects.count() == 1


@pytest.mark.parametrize("who", ["agent", "manager_without_permission", "requester"])
def test_people_without_the_permission_are_refused(desk, client_for, key, who):
    user = {
        "agent": desk.agent.user,
        "manager_without_permission": desk.manager.user,
        "requester": grant(desk.requester),  # a permission alone does not make an agent
    }[who]
    client = client_for(user)
    for method, path, data in pages(key):
        response = getattr(client, method)(path, data)
        assert response.status_code == 403, path
        assert NOT_ALLOWED in response.content.decode(), path
    assert ApiKey.objects.get().revoked_at is None and ApiKey.objects.count() == 1
    if who != "requester":
        assert 'href="/agent/api-keys/"' not in client.get("/agent/").content.decode()


def test_a_key_manager_finds_the_page_from_the_desk(manager_client, key):
    html = manager_client.get("/agent/").content.decode()
    assert 'href="/agent/api-keys/">API keys</a>' in html
    page = manager_client.get(LIST)
    assert page.status_code == 200
    assert 'aria-current="page">API keys</a>' in page.content.decode()


def test_a_superuser_may_manage_keys_without_being_given_anything(client_for, key):
    admin = AgentFactory(user__superuser=True).user
    assert client_for(admin).get(LIST).status_code == 200


def test_unknown_keys_and_other_methods_are_not_errors(manager_client):
    assert manager_client.get("/agent/api-keys/999999/revoke/").status_code == 404
    assert manager_client.post("/agent/api-keys/999999/revoke/").status_code == 404
    assert manager_client.post(LIST).status_code == 405
    assert manager_client.delete(NEW).status_code == 405


# The list ----------------------------------------------------------------------------


def test_the_list_shows_each_key_and_its_state_never_its_secret(desk, manager, manager_client):
    now = timezone.now()
    active = api_key_create(
        user=desk.agent.user,
        by=manager,
        name="Monitoring",
        scopes=["tickets:read", "osticket:tickets"],
        allowed_networks=["192.0.2.0/24", "2001:db8::/32"],
        requests_per_minute=42,
        expires_at=now + dt.timedelta(days=3),
    )
    expiring = api_key_create(
        user=desk.sales_agent.user,
        by=manager,
        name="Short-lived",
        scopes=["sla:read"],
        expires_at=now + dt.timedelta(hours=1),
    )
    revoked = api_key_create(user=desk.agent.user, by=manager, name="Old", scopes=["users:read"])
    manager_client.post(f"/agent/api-keys/{revoked.key.pk}/revoke/")
    manager_client.get(ME, REMOTE_ADDR="192.0.2.5", **bearer(active.plaintext))  # used now

    with time_machine.travel(now + dt.timedelta(hours=2)):
        html = manager_client.get(LIST).content.decode()
    for issued in (active, expiring, revoked):
        assert issued.plaintext not in html
        assert issued.key.secret_hash not in html
        assert f"hd_{issued.key.prefix}_…" in html
    rows = {
        re.search(r'<th scope="row"[^>]*>([^<]+)', row).group(1): row
        for row in re.findall(r'<tr class="api-key-\w+">(.*?)</tr>', html, re.S)
    }
    monitoring = rows["Monitoring"]
    for text in ("Ryan Howard", "tickets:read", "osticket:tickets", "192.0.2.0/24",
                 "2001:db8::/32", "42/min", "Active", "Revoke…"):  # fmt: skip
        assert text in monitoring, text
    assert "Never" not in monitoring  # it expires, and it was used
    assert "Expired" in rows["Short-lived"] and "Dwight Schrute" in rows["Short-lived"]
    old = rows["Old"]
    assert "Revoked" in old and "Revoke…" not in old and "Any address" in old
    assert old.count("Never") == 2  # no expiry, never used
    assert f"by {manager}" in old


def test_the_list_costs_the_same_queries_for_one_key_or_many(
    desk, make_key, manager_client, django_assert_num_queries
):
    make_key()
    manager_client.get(LIST)  # the session and the content types, warmed
    # Session, user, the user's and their groups' permissions, the keys (with their users).
    with django_assert_num_queries(6) as one:
        assert manager_client.get(LIST).status_code == 200
    for _ in range(5):
        make_key(user=desk.sales_agent.user)
    with django_assert_num_queries(len(one.captured_queries)):
        assert manager_client.get(LIST).status_code == 200


# Making a key -------------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_works(desk, manager, manager_client):
    response = manager_client.post(NEW, valid(desk), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "it is shown only this once" in html
    [plaintext] = set(shown_keys(html))
    key = ApiKey.objects.get(name="Nagios")
    prefix, secret = plaintext.split("_", 2)[1:]
    assert key.prefix == prefix
    assert key.secret_hash == hashlib.sha256(f"{prefix}:{secret}".encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert key.user == desk.agent.user and key.created_by == manager
    assert key.scopes == ["tickets:read", "tickets:write"]
    assert key.allowed_networks == ["192.0.2.0/24", "2001:db8::/32"]
    assert key.requests_per_minute == 60
    assert dt.timedelta(days=29, hours=23) < key.expires_at - timezone.now() <= dt.timedelta(30)

    me = manager_client.get(ME, REMOTE_ADDR="192.0.2.9", **bearer(plaintext))
    assert me.status_code == 200 and me.json()["email"] == desk.agent.user.email

    # Never again: not on the list, not on the form, not in the session or a message.
    for path in (LIST, NEW, f"/agent/api-keys/{key.pk}/revoke/"):
        again = manager_client.get(path).content.decode()
        assert plaintext not in again and not shown_keys(again), path
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())
    assert secret not in str(list(AuditEntry.objects.values()))

    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.API_KEY_CREATED)
    assert entry.actor == manager and entry.ip_address == "198.51.100.7"
    assert entry.target_id == str(key.pk) and entry.data["acts_as"] == desk.agent.user.email


def test_the_form_offers_checkboxes_for_the_scopes_and_only_agents_to_act_as(desk, manager_client):
    admin = AgentFactory(user__superuser=True, user__display_name="The Boss").user
    html = manager_client.get(NEW).content.decode()
    assert len(re.findall(r'<input type="checkbox"[^>]*name="scopes"', html)) == 13  # + tasks
    assert "Read tickets (tickets:read)" in html
    assert "(webhooks:manage)" in html
    assert f"Ryan Howard &lt;{desk.agent.user.email}&gt;" in html
    assert desk.requester.email not in html and admin.email not in html


def test_an_osticket_key_needs_addresses_unless_explicitly_allowed_from_anywhere(
    desk, manager_client
):
    data = valid(desk, scopes=["osticket:tickets"], allowed_networks="")
    html = manager_client.post(NEW, data).content.decode()
    assert "must list the addresses it is used from" in html and not shown_keys(html)
    assert not ApiKey.objects.exists()

    html = manager_client.post(NEW, {**data, "allow_any_address": "on"}).content.decode()
    assert shown_keys(html) and "may be used from any address" in html
    key = ApiKey.objects.get()
    assert key.allow_any_address and key.allowed_networks == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"allowed_networks": "192.0.2.0/24\n10.0.0.300"}, "allowed_networks",
         "&#x27;10.0.0.300&#x27; is not an IP address or CIDR range."),
        ({"scopes": []}, "scopes", "A key needs at least one scope."),
        ({"scopes": ["tickets:everything"]}, "scopes", "Select a valid choice."),
        ({"name": "  "}, "name", "This field is required."),
        ({"user": ""}, "user", "This field is required."),
        ({"expires_in_days": "0"}, "expires_in_days", "greater than or equal to 1"),
        ({"expires_in_days": "99999999"}, "expires_in_days", "less than or equal to 3650"),
        ({"expires_in_days": "soon"}, "expires_in_days", "Enter a whole number."),
        ({"requests_per_minute": "0"}, "requests_per_minute", "greater than or equal to 1"),
        ({"requests_per_minute": "10000000000"}, "requests_per_minute", "less than or equal"),
    ],
)  # fmt: skip
def test_bad_input_comes_back_with_what_was_typed_and_why(
    desk, manager_client, changes, field, message
):
    data = valid(desk, **changes)
    response = manager_client.post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please check the form" in html
    # The reason is shown beside its field (crispy's error paragraph inside its wrapper).
    assert re.search(rf'id="div_id_{field}".*?{re.escape(message)}', html, re.S), html
    assert not ApiKey.objects.exists() and not shown_keys(html)
    # What was typed is still there.
    if "name" not in changes:
        assert 'value="Nagios"' in html
    if "allowed_networks" in changes:
        assert "192.0.2.0/24\n10.0.0.300</textarea>" in html
    if "scopes" not in changes:
        assert re.search(
            r'value="tickets:write"[^>]*checked|checked[^>]*value="tickets:write"', html
        )


def test_a_taken_name_is_said_at_the_name(desk, make_key, manager_client):
    make_key(name="Nagios")
    html = manager_client.post(NEW, valid(desk)).content.decode()
    assert re.search(r'id="div_id_name".*?There is already a key named', html, re.S)
    assert ApiKey.objects.count() == 1


def test_a_key_manager_cannot_make_a_key_acting_as_a_superuser(desk, manager_client):
    admin = AgentFactory(user__superuser=True).user
    html = manager_client.post(NEW, valid(desk, user=admin.pk)).content.decode()
    assert "Select a valid choice" in html and not ApiKey.objects.exists()


def test_hostile_names_are_text_on_every_page(desk, manager_client):
    for i, payload in enumerate(PAYLOADS):
        name = f"{i} {payload}"[:100]
        created = manager_client.post(NEW, valid(desk, name=name)).content.decode()
        assert_inert(created, where=f"created page, payload {i}")
    assert ApiKey.objects.count() == len(PAYLOADS)
    assert_inert(manager_client.get(LIST).content.decode(), where="list")
    key = ApiKey.objects.order_by("pk").first()
    confirm = manager_client.get(f"/agent/api-keys/{key.pk}/revoke/").content.decode()
    assert_inert(confirm, where="revoke page")
    revoked = manager_client.post(f"/agent/api-keys/{key.pk}/revoke/", follow=True)
    assert_inert(revoked.content.decode(), where="after revoking")


# Revoking -----------------------------------------------------------------------------


def test_revoking_asks_first_then_stops_the_key(desk, manager, manager_client, make_key, client):
    key, plaintext = make_key(name="Nagios")
    assert client.get(ME, **bearer(plaintext)).status_code == 200
    url = f"/agent/api-keys/{key.pk}/revoke/"

    confirm = manager_client.get(url)
    assert confirm.status_code == 200
    assert "Revoke API key “Nagios”?" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None  # asking changes nothing

    response = manager_client.post(url, REMOTE_ADDR="198.51.100.8", follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert REVOKED.format(name="Nagios") in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    refused = client.get(ME, **bearer(plaintext))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.API_KEY_REVOKED)
    assert entry.actor == manager and entry.ip_address == "198.51.100.8"
    assert entry.target_id == str(key.pk)

    again = manager_client.post(url, follow=True).content.decode()
    assert ALREADY_REVOKED.format(name="Nagios") in again
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.API_KEY_REVOKED).count() == 1
