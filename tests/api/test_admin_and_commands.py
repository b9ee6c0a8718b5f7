"""Keys in the admin (the key shown once, on the page after the save) and from the
command line (printed once, alone on standard output)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from api.keys import api_key_check, api_key_create
from api.models import ApiKey

pytestmark = pytest.mark.django_db

ADD = "/admin/api/apikey/add/"


def test_an_admin_makes_a_key_and_sees_it_once(admin_client, desk):
    response = admin_client.post(
        ADD,
        {
            "name": "Monitoring",
            "user": desk.agent.user.pk,
            "scopes": ["tickets:read", "departments:read"],
            "allowed_networks": "192.0.2.0/24\n2001:db8::/32",
            "requests_per_minute": 60,
        },
    )
    assert response.status_code == 200, response.content
    html = response.content.decode()
    key = ApiKey.objects.get(name="Monitoring")
    start = html.index(f"hd_{key.prefix}_")
    plaintext = html[start : html.index('"', start)]
    assert api_key_check(plaintext, address="192.0.2.1") == key
    assert "no-store" in response["Cache-Control"]
    assert key.allowed_networks == ["192.0.2.0/24", "2001:db8::/32"]
    # Never again: the change page shows the prefix, not the key.
    page = admin_client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()
    assert key.prefix in page and plaintext not in page


def test_bad_settings_are_form_errors_and_nothing_is_made(admin_client, desk):
    response = admin_client.post(
        ADD,
        {
            "name": "osTicket scripts",
            "user": desk.agent.user.pk,
            "scopes": ["osticket:tickets"],
            "allowed_networks": "",
            "requests_per_minute": 60,
        },
    )
    assert response.status_code == 200
    assert "must list the addresses" in response.content.decode()
    response = admin_client.post(
        ADD,
        {
            "name": "x",
            "user": desk.agent.user.pk,
            "scopes": ["tickets:read"],
            "allowed_networks": "not-an-ip",
            "requests_per_minute": 60,
        },
    )
    assert "not an IP address or CIDR range" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_keys_are_revoked_not_deleted(admin_client, make_key):
    key, _plaintext = make_key()
    admin_client.post(
        "/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert admin_client.get(f"/admin/api/apikey/{key.pk}/delete/").status_code == 403


def test_only_key_managers_make_keys(client, desk, django_user_model):
    staff = django_user_model.objects.create_user(email="staff@example.com", password="x")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get(ADD).status_code == 403


def test_a_staff_agent_allowed_to_manage_keys_makes_them_but_not_as_a_superuser(client, desk):
    from django.contrib.auth.models import Permission

    from tests.support.factories import AgentFactory

    manager = desk.manager.user
    manager.is_staff = True
    manager.save()
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apikey", "change_apikey", "view_apikey"])
    )
    admin = AgentFactory(user__superuser=True, user__display_name="The Boss").user
    boss_key = api_key_create(user=admin, by=admin, name="Boss", scopes=["tickets:read"]).key
    client.force_login(manager)
    form = client.get(ADD).content.decode()
    assert f'value="{desk.agent.user.pk}"' in form and f'value="{admin.pk}"' not in form
    response = client.post(
        ADD,
        {"name": "Mine", "user": desk.agent.user.pk, "scopes": ["tickets:read"],
         "requests_per_minute": 60},
    )  # fmt: skip
    assert response.status_code == 200 and ApiKey.objects.filter(name="Mine").exists()
    # A key acting as a superuser is theirs to look at, not to change.
    assert client.post(f"/admin/api/apikey/{boss_key.pk}/change/", {}).status_code == 403


def test_the_command_prints_the_key_alone_on_stdout(desk):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api_key_create",
        "--name=Nagios",
        f"--user={desk.agent.user.email.upper()}",
        "--scopes=tickets:write,osticket:tickets",
        "--allow-ip=192.0.2.10,2001:db8::/64",
        "--expires=30",
        stdout=out,
        stderr=err,
    )
    plaintext = out.getvalue().strip()
    key = api_key_check(plaintext, address="192.0.2.10")
    assert key.name == "Nagios" and key.expires_at is not None
    assert "shown only now" in err.getvalue()

    call_command("api_key_revoke", "Nagios", stdout=io.StringIO())
    key.refresh_from_db()
    assert key.revoked_at is not None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--user=nobody@example.com", "--scopes=tickets:read"], "No user"),
        (["--scopes=tickets:nope"], "Unknown scope"),
        (["--scopes=osticket:cron"], "must list the addresses"),
        (["--scopes=tickets:read", "--expires=0"], "at least 1"),
        (["--scopes=tickets:read", "--allow-ip=999.1.1.1"], "not an IP address"),
    ],
)
def test_the_command_explains_what_is_wrong(desk, arguments, message):
    if not any(a.startswith("--user") for a in arguments):
        arguments = [f"--user={desk.agent.user.email}", *arguments]
    with pytest.raises(CommandError, match=message):
        call_command("api_key_create", "--name=x", *arguments, stdout=io.StringIO())
    assert not ApiKey.objects.exists()


def test_revoking_an_unknown_key_is_an_error():
    with pytest.raises(CommandError, match="No API key named"):
        call_command("api_key_revoke", "nope")


def test_keys_made_changed_and_revoked_are_in_the_audit_log(admin_client, desk):
    from accounts.models import AuditEntry

    admin_client.post(
        ADD,
        {
            "name": "Audited",
            "user": desk.agent.user.pk,
            "scopes": ["tickets:read"],
            "requests_per_minute": 60,
        },
        REMOTE_ADDR="198.51.100.7",
    )
    key = ApiKey.objects.get(name="Audited")
    admin_client.post(
        "/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    call_command("api_key_revoke", "Audited", stdout=io.StringIO())  # already: no entry
    entries = AuditEntry.objects.filter(target_type="api.apikey", target_id=str(key.pk))
    created, revoked = entries.order_by("id")
    assert (created.kind, revoked.kind) == ("api_key_created", "api_key_revoked")
    assert created.ip_address == "198.51.100.7" and created.data["scopes"] == ["tickets:read"]
    assert "hd_" not in str(created.data)  # never the key itself
