"""API keys: made with a secret only hashed, checked in constant time, refused when
revoked, expired, used from elsewhere or acting as someone who is no longer an agent."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone

from api.keys import (
    ACTS_AS_ADMINISTRATOR,
    MAY_NOT_MANAGE,
    InvalidKeySetting,
    KeyRefused,
    api_key_check,
    api_key_create,
    api_key_revoke,
    api_key_update,
    may_manage_api_keys,
)
from api.models import ApiKey
from tests.support.factories import UserFactory
from tickets.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def test_the_key_is_shown_once_and_only_its_hash_is_kept(make_key):
    key, plaintext = make_key()
    assert plaintext.startswith(f"hd_{key.prefix}_") and len(plaintext) > 40
    secret = plaintext.split("_", 2)[2]
    row = ApiKey.objects.get(pk=key.pk)
    assert secret not in str(row.__dict__)
    assert api_key_check(plaintext, address="127.0.0.1") == key


@pytest.mark.parametrize(
    "presented",
    ["", "hd_", "hd__x", "nonsense", "hd_deadbeef_wrong", "Bearer x", "hd_" + "a" * 500],
)
def test_anything_but_the_key_is_refused(make_key, presented):
    make_key()
    with pytest.raises(KeyRefused):
        api_key_check(presented, address="127.0.0.1")


def test_a_key_with_its_secret_changed_by_one_character_is_refused(make_key):
    _key, plaintext = make_key()
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    with pytest.raises(KeyRefused) as refused:
        api_key_check(tampered, address="127.0.0.1")
    assert refused.value.reason == "unknown"


def test_revoked_and_expired_keys_stop_working(make_key, desk):
    key, plaintext = make_key(expires_at=timezone.now() + dt.timedelta(days=1))
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=2)),
        pytest.raises(KeyRefused, match="expired"),
    ):
        api_key_check(plaintext, address="127.0.0.1")
    api_key_revoke(key=key, by=UserFactory(is_superuser=True))
    with pytest.raises(KeyRefused, match="revoked"):
        api_key_check(plaintext, address="127.0.0.1")


def test_a_key_acts_only_while_its_user_is_an_active_agent(make_key, desk):
    _key, plaintext = make_key()
    desk.agent.is_active = False
    desk.agent.save()
    with pytest.raises(KeyRefused, match="inactive"):
        api_key_check(plaintext, address="127.0.0.1")


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        (["192.0.2.0/24"], "192.0.2.77", True),
        (["192.0.2.0/24"], "198.51.100.1", False),
        (["192.0.2.7"], "::ffff:192.0.2.7", True),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["2001:db8::/32"], "192.0.2.1", False),
        (["10.0.0.1", "2001:db8::/48"], "not an address", False),
    ],
)
def test_addresses_and_ranges(make_key, networks, address, allowed):
    _key, plaintext = make_key(allowed_networks=networks)
    if allowed:
        assert api_key_check(plaintext, address=address)
    else:
        with pytest.raises(KeyRefused, match="address"):
            api_key_check(plaintext, address=address)


def test_osticket_keys_must_name_their_addresses_unless_told_otherwise(make_key):
    with pytest.raises(InvalidInput, match="must list the addresses"):
        make_key(scopes=["osticket:tickets"])
    key, _ = make_key(scopes=["osticket:tickets"], allow_any_address=True)
    assert key.allow_any_address


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scopes": ["tickets:everything"]}, "Unknown scope"),
        ({"scopes": []}, "at least one scope"),
        ({"allowed_networks": ["10.0.0.300"]}, "not an IP address"),
        ({"name": ""}, "needs a name"),
        ({"requests_per_minute": 0}, "at least one request"),
        ({"expires_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, "in the future"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(make_key, changes, message):
    with pytest.raises(InvalidInput, match=message):
        make_key(**changes)
    assert not ApiKey.objects.exists()


def test_a_key_acts_as_an_agent_and_only_a_key_manager_makes_one(make_key, desk):
    with pytest.raises(InvalidInput, match="not an active agent"):
        make_key(user=desk.requester)
    with pytest.raises(NotPermitted) as refused:
        api_key_create(name="x", user=desk.agent.user, scopes=["tickets:read"], by=desk.agent.user)
    assert refused.value.message == MAY_NOT_MANAGE.format(verb="create")


def grant_key_management(user):
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="api", codename__in=["add_apikey", "change_apikey"]
        )
    )
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached


def test_key_managers_are_active_agents_with_both_permissions(desk):
    manager = desk.manager.user
    assert not may_manage_api_keys(manager)
    manager.user_permissions.add(Permission.objects.get(codename="add_apikey"))
    assert not may_manage_api_keys(type(manager).objects.get(pk=manager.pk))  # one of two
    manager = grant_key_management(manager)
    assert may_manage_api_keys(manager)
    assert may_manage_api_keys(UserFactory(is_superuser=True))
    assert not may_manage_api_keys(grant_key_management(desk.requester))  # not an agent
    desk.manager.is_active = False
    desk.manager.save()
    assert not may_manage_api_keys(type(manager).objects.get(pk=manager.pk))
    assert not may_manage_api_keys(None)


def test_a_key_manager_makes_and_revokes_keys_but_none_acting_as_a_superuser(desk):
    manager = grant_key_management(desk.manager.user)
    issued = api_key_create(name="x", user=desk.agent.user, scopes=["tickets:read"], by=manager)
    assert issued.key.created_by == manager
    admin = UserFactory(is_superuser=True)
    with pytest.raises(NotPermitted) as refused:
        api_key_create(name="y", user=admin, scopes=["tickets:read"], by=manager)
    assert refused.value.message == ACTS_AS_ADMINISTRATOR.format(verb="create")
    assert api_key_create(name="y", user=admin, scopes=["tickets:read"], by=admin).key
    with pytest.raises(NotPermitted):
        api_key_update(key=ApiKey.objects.get(name="y"), by=manager, name="y", scopes=["sla:read"])
    api_key_revoke(key=issued.key, by=manager)
    assert ApiKey.objects.get(name="x").revoked_at is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"scopes": []}, "scopes"),
        ({"allowed_networks": ["nope"]}, "allowed_networks"),
        ({"scopes": ["osticket:cron"]}, "allowed_networks"),
        ({"requests_per_minute": 10**9}, "requests_per_minute"),
        ({"expires_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, "expires_at"),
    ],
)
def test_a_refused_setting_names_its_field(make_key, changes, field):
    with pytest.raises(InvalidKeySetting) as refused:
        make_key(**changes)
    assert refused.value.field == field


def test_names_are_unique(make_key):
    make_key(name="Monitoring")
    with pytest.raises(InvalidInput, match="already a key named"):
        make_key(name="Monitoring")


def test_an_update_changes_what_it_may_do_not_who_it_is(make_key):
    key, plaintext = make_key()
    admin = UserFactory(is_superuser=True)
    api_key_update(
        key=key, by=admin, name="Renamed", scopes=["sla:read"], allowed_networks=["10.0.0.0/8"]
    )
    key.refresh_from_db()
    assert (key.name, key.scopes, key.allowed_networks) == (
        "Renamed",
        ["sla:read"],
        ["10.0.0.0/8"],
    )
    assert api_key_check(plaintext, address="10.1.2.3") == key


def test_last_used_is_written_at_most_once_a_minute(make_key, django_assert_num_queries):
    key, plaintext = make_key()
    api_key_check(plaintext, address="127.0.0.1")
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the lookup alone, no UPDATE
        api_key_check(plaintext, address="127.0.0.1")


# -- keys imported from osTicket (api_key_import) ----------------------------------------


def test_an_imported_key_keeps_its_text_and_only_its_hash_is_stored(db):
    from accounts.roles import SYSTEM
    from api.keys import KeyRefused, api_key_check, api_key_import
    from tests.support.factories import AgentFactory

    agent = AgentFactory()
    text = "0123456789ABCDEF0123456789ABCDEF"
    key = api_key_import(
        plaintext=text,
        name="osTicket key 7",
        user=agent.user,
        scopes=["osticket:tickets"],
        allowed_networks=["192.0.2.1"],
        by=SYSTEM,
    )
    assert text not in key.secret_hash and len(key.prefix) == 16
    assert api_key_check(text, address="192.0.2.1") == key
    with pytest.raises(KeyRefused) as refused:
        api_key_check(text.lower(), address="192.0.2.1")
    assert refused.value.reason == "unknown"
    with pytest.raises(KeyRefused):
        api_key_check(text, address="192.0.2.2")
    again = api_key_import(
        plaintext=text,
        name="osTicket key 7",
        user=agent.user,
        scopes=["osticket:tickets"],
        allowed_networks=["192.0.2.1"],
        revoked=True,
        by=SYSTEM,
    )
    assert again.pk == key.pk and again.revoked_at is not None


def test_only_the_system_imports_keys(db):
    from api.keys import api_key_import
    from tests.support.factories import AgentFactory
    from tickets.errors import NotPermitted

    agent = AgentFactory(user__is_superuser=True)
    with pytest.raises(NotPermitted):
        api_key_import(
            plaintext="ABC",
            name="x",
            user=agent.user,
            scopes=["osticket:tickets"],
            allowed_networks=["192.0.2.1"],
            by=agent.user,
        )
