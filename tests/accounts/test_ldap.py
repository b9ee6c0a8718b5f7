"""Signing in with the company directory (accounts/ldap.py), against a real OpenLDAP server:
the private slapd of tests/support/ldap_harness.py, through the real login view."""

import logging
import socket
import time

import pytest
from django.contrib.auth import SESSION_KEY, get_user
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from accounts.ldap import DIRECTORY_ACCOUNT_DISABLED, DIRECTORY_UNREACHABLE
from accounts.ldap_config import check_server_uri, directory_settings
from accounts.models import Agent, DepartmentMembership, User
from accounts.services import agent_set_role, department_create, user_create
from tests.support import ldap as directory
from tests.support.services import free_port

pytestmark = pytest.mark.django_db

IT_AGENTS = f"cn=it-agents,{directory.GROUPS}"
IT_MANAGERS = f"cn=it-managers,{directory.GROUPS}"
SALES_AGENTS = f"cn=sales-agents,{directory.GROUPS}"
INVALID_LOGIN = "That email and password do not match an account."
LOCAL_ADMIN_PASSWORD = "local-admin-pw-7"


def configure(settings, server_uri, **overrides):
    values = {
        "server_uri": server_uri,
        "bind_dn": directory.SERVICE_DN,
        "bind_password": directory.SERVICE_PASSWORD,
        "user_search_base": directory.PEOPLE,
        "group_search_base": directory.GROUPS,
        "attr_time_zone": "l",
        "group_roles": {
            IT_AGENTS: {"department": "IT", "role": "agent"},
            IT_MANAGERS: {"department": "IT", "role": "manager"},
            SALES_AGENTS: [{"department": "Sales", "role": "agent"}],
        },
        "disabled_filter": "(employeeType=disabled)",
        "disabled_group": f"cn=former-staff,{directory.GROUPS}",
        "timeout": 2,
        **overrides,
    }
    for name, value in directory_settings(**values).items():
        setattr(settings, name, value)


@pytest.fixture
def people(ldap_directory, settings, desk):
    configure(settings, ldap_directory.server.url)
    return ldap_directory.people


def log_in(login, password, client=None):
    client = client or Client()
    response = client.post("/accounts/login/", {"username": login, "password": password})
    return client, response


def logged_in_user(client):
    return get_user(client) if SESSION_KEY in client.session else None


def roles_of(user):
    return {
        m.department.name: m.role
        for m in DepartmentMembership.objects.filter(agent__user=user).select_related("department")
    }


def form_errors(response):
    return response.context["form"].non_field_errors()


def test_an_agent_of_it_signs_in_with_the_directory_and_lands_in_the_desk(people):
    oscar = people["oscar"]

    client, response = log_in(oscar.mail, oscar.password)

    assert response.status_code == 302
    assert response.url == "/agent/"
    user = logged_in_user(client)
    assert user.email == oscar.mail
    assert user.display_name == "Oscar Martinez"
    assert user.time_zone == "America/New_York"
    assert not user.has_usable_password()
    assert roles_of(user) == {"IT": "agent"}
    assert client.session["_auth_user_backend"] == "accounts.ldap.DirectoryBackend"


def test_the_login_is_case_insensitive_and_makes_one_user(people):
    oscar = people["oscar"]

    log_in(oscar.mail.upper(), oscar.password)
    client, _response = log_in(oscar.mail, oscar.password)

    assert logged_in_user(client).email == oscar.mail
    assert User.objects.filter(email__iexact=oscar.mail).count() == 1


def test_the_managers_group_makes_a_manager_of_it(people):
    dwight = people["dwight"]  # in it-agents and it-managers: the higher role wins

    client, _response = log_in(dwight.mail, dwight.password)

    assert roles_of(logged_in_user(client)) == {"IT": "manager"}


def test_a_nested_group_needs_the_nested_group_type(people, settings, ldap_server):
    andy = people["andy"]  # in sales-floor, which is a member of sales-agents

    client, _response = log_in(andy.mail, andy.password)
    assert roles_of(logged_in_user(client)) == {}  # groupOfNames: direct members only

    configure(settings, ldap_server.url, group_type="nestedGroupOfNames")
    client, _response = log_in(andy.mail, andy.password)
    assert roles_of(logged_in_user(client)) == {"Sales": "agent"}


def test_a_requester_in_no_group_signs_in_to_the_portal(people):
    phyllis = people["phyllis"]

    client, response = log_in(phyllis.mail, phyllis.password)

    assert response.url == reverse("portal:ticket_list")
    user = logged_in_user(client)
    assert user.display_name == "Phyllis Vance"
    assert not Agent.objects.filter(user=user).exists()


def test_roles_follow_the_directory_at_every_login(people, ldap_directory, desk):
    oscar = people["oscar"]
    client, _response = log_in(oscar.mail, oscar.password)
    user = logged_in_user(client)

    ldap_directory.add_member("it-managers", oscar.dn)
    log_in(oscar.mail, oscar.password)
    assert roles_of(user) == {"IT": "manager"}

    ldap_directory.remove_member("it-managers", oscar.dn)
    log_in(oscar.mail, oscar.password)
    assert roles_of(user) == {"IT": "agent"}

    ldap_directory.remove_member("it-agents", oscar.dn)
    client, response = log_in(oscar.mail, oscar.password)
    assert roles_of(user) == {}
    user.agent.refresh_from_db()
    assert not user.agent.is_active  # an agent of nothing is no agent
    assert response.url != "/agent/"

    ldap_directory.add_member("it-agents", oscar.dn)
    client, response = log_in(oscar.mail, oscar.password)
    user.agent.refresh_from_db()
    assert user.agent.is_active
    assert roles_of(user) == {"IT": "agent"}
    assert response.url == "/agent/"


def test_departments_the_directory_does_not_map_are_left_alone(people, desk):
    oscar = people["oscar"]
    client, _response = log_in(oscar.mail, oscar.password)
    user = logged_in_user(client)
    accounting = department_create(name="Accounting")  # named by no group of the mapping
    agent_set_role(agent=user.agent, department=accounting, role="agent")

    log_in(oscar.mail, oscar.password)

    assert roles_of(user) == {"IT": "agent", "Accounting": "agent"}


def test_an_account_disabled_by_an_attribute_is_refused(people):
    toby = people["toby"]  # employeeType: disabled, and in it-agents

    client, response = log_in(toby.mail, toby.password)

    assert logged_in_user(client) is None
    assert form_errors(response) == [DIRECTORY_ACCOUNT_DISABLED]
    assert not User.objects.filter(email=toby.mail).exists()


def test_an_account_in_the_disabled_group_is_refused_even_with_a_local_password(people):
    creed = people["creed"]  # in former-staff
    user_create(email=creed.mail, password=creed.password)  # the same password, locally

    client, response = log_in(creed.mail, creed.password)

    assert logged_in_user(client) is None
    assert form_errors(response) == [DIRECTORY_ACCOUNT_DISABLED]


def test_a_disabled_account_with_a_wrong_password_learns_nothing(people):
    toby = people["toby"]

    _client, response = log_in(toby.mail, "not-the-password")

    assert INVALID_LOGIN in form_errors(response)[0]


def test_a_wrong_password_is_refused(people):
    oscar = people["oscar"]

    client, response = log_in(oscar.mail, "Oscar-pw-2")

    assert logged_in_user(client) is None
    assert INVALID_LOGIN in form_errors(response)[0]
    assert not User.objects.filter(email=oscar.mail).exists()


@pytest.mark.parametrize(
    "login",
    [
        "*",
        "oscar*",
        "*@dundermifflin.example",
        "oscar.martinez@dundermifflin.example)(mail=*",
        "*)(|(mail=*",
        "oscar.martinez@dundermifflin.example\x00",
        "(&)",
    ],
)
def test_a_login_with_filter_syntax_matches_nobody(people, login):
    # Unescaped, "(mail=oscar*)" would find Oscar, and his password would sign in.
    oscar = people["oscar"]

    client, response = log_in(login, oscar.password)

    assert response.status_code == 200
    assert logged_in_user(client) is None


def test_the_user_search_escapes_the_login(people, settings, ldap_server):
    # The search our settings make: "*" is a literal asterisk, which nobody's mail is.
    search = settings.AUTH_LDAP_USER_SEARCH
    connection = ldap_server.connect(directory.SERVICE_DN, directory.SERVICE_PASSWORD)
    try:
        wildcard = search.execute(connection, {"user": "*"})
        injected = search.execute(connection, {"user": "x)(|(mail=*"})
        oscar = search.execute(connection, {"user": people["oscar"].mail})
    finally:
        connection.unbind_s()
    assert wildcard == []
    assert injected == []
    assert [dn for dn, _attrs in oscar] == [people["oscar"].dn]


@pytest.fixture
def local_admin(desk):
    return user_create(
        email="kevin.admin@example.com",
        password=LOCAL_ADMIN_PASSWORD,
        is_staff=True,
        is_superuser=True,
    )


def test_with_no_directory_listening_the_form_says_so_and_a_local_admin_signs_in(
    settings, desk, local_admin
):
    configure(settings, f"ldap://127.0.0.1:{free_port()}")

    client, response = log_in("oscar.martinez@dundermifflin.example", "Oscar-pw-1")
    assert response.status_code == 200
    assert form_errors(response) == [DIRECTORY_UNREACHABLE]
    assert DIRECTORY_UNREACHABLE in response.content.decode()

    client, response = log_in(local_admin.email, LOCAL_ADMIN_PASSWORD)
    assert response.status_code == 302
    assert logged_in_user(client) == local_admin
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


def test_a_directory_that_goes_down_is_told_apart_from_a_wrong_password(
    settings, desk, local_admin, ldap_server
):
    # A server of its own to stop (ldap_server, unused, brings the harness's skip or failure
    # where there is no slapd).
    server = directory.PrivateSlapd(tls=False)
    try:
        server.start()
        configure(settings, server.url)
        oscar = server.directory.people["oscar"]
        client, response = log_in(oscar.mail, oscar.password)
        assert logged_in_user(client) is not None
    finally:
        server.stop()

    client, response = log_in(oscar.mail, oscar.password)
    assert form_errors(response) == [DIRECTORY_UNREACHABLE]
    # A user made by the directory has no local password to fall back on.
    assert logged_in_user(client) is None
    client, response = log_in(local_admin.email, LOCAL_ADMIN_PASSWORD)
    assert logged_in_user(client) == local_admin


def test_a_directory_that_accepts_connections_but_never_answers_times_out(settings, desk):
    # A listening socket nobody serves: the connection is made, the bind waits for an answer.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        configure(settings, f"ldap://127.0.0.1:{silent.getsockname()[1]}", timeout=1)
        started = time.monotonic()

        _client, response = log_in("oscar.martinez@dundermifflin.example", "Oscar-pw-1")

    assert form_errors(response) == [DIRECTORY_UNREACHABLE]
    assert time.monotonic() - started < 10


def test_a_user_deactivated_in_the_help_desk_stays_out(people):
    oscar = people["oscar"]
    client, _response = log_in(oscar.mail, oscar.password)
    User.objects.filter(email=oscar.mail).update(is_active=False)

    client, response = log_in(oscar.mail, oscar.password)

    assert logged_in_user(client) is None
    assert response.status_code == 200


def test_failures_while_the_directory_is_down_do_not_lock_anyone_out(settings, desk):
    configure(settings, f"ldap://127.0.0.1:{free_port()}")
    settings.LOGIN_FAILURE_LIMIT = 2

    for _attempt in range(3):
        _client, response = log_in("oscar.martinez@dundermifflin.example", "Oscar-pw-1")

    assert form_errors(response) == [DIRECTORY_UNREACHABLE]


def test_a_wrong_service_password_counts_as_unreachable(people, settings, ldap_server):
    configure(settings, ldap_server.url, bind_password="wrong")
    oscar = people["oscar"]

    _client, response = log_in(oscar.mail, oscar.password)

    assert form_errors(response) == [DIRECTORY_UNREACHABLE]


def test_ldaps_and_starttls_with_the_directorys_certificate(people, settings, ldap_server):
    if not ldap_server.tls:
        pytest.skip("this slapd has no certificate (no openssl); CI requires one")
    oscar = people["oscar"]
    ca = str(ldap_server.cert_path)

    configure(settings, ldap_server.tls_url, ca_file=ca)
    client, _response = log_in(oscar.mail, oscar.password)
    assert logged_in_user(client).email == oscar.mail

    configure(settings, ldap_server.url, start_tls=True, ca_file=ca)
    client, _response = log_in(oscar.mail, oscar.password)
    assert logged_in_user(client).email == oscar.mail


def test_a_certificate_nobody_vouches_for_is_refused(people, settings, ldap_server):
    if not ldap_server.tls:
        pytest.skip("this slapd has no certificate (no openssl); CI requires one")
    configure(settings, ldap_server.tls_url, ca_file="/etc/ssl/certs/ca-certificates.crt")
    oscar = people["oscar"]

    client, response = log_in(oscar.mail, oscar.password)

    assert logged_in_user(client) is None
    assert form_errors(response) == [DIRECTORY_UNREACHABLE]


def test_the_service_password_is_never_logged(people, caplog):
    oscar = people["oscar"]

    with caplog.at_level(logging.DEBUG):
        log_in(oscar.mail, oscar.password)
        log_in(oscar.mail, "wrong-password")

    assert caplog.records  # django-auth-ldap does log, at DEBUG
    assert directory.SERVICE_PASSWORD not in caplog.text
    assert oscar.password not in caplog.text


def test_an_entry_with_no_email_signs_in_nobody(people, settings, ldap_server):
    configure(settings, ldap_server.url, user_filter="(uid=%(user)s)", attr_email="carLicense")
    oscar = people["oscar"]

    client, _response = log_in("oscar", oscar.password)

    assert logged_in_user(client) is None


def test_a_login_by_account_name_keys_the_user_by_the_directorys_email(
    people, settings, ldap_server
):
    # As Active Directory's (sAMAccountName=%(user)s): people type their account name.
    configure(settings, ldap_server.url, user_filter="(uid=%(user)s)")
    oscar = people["oscar"]

    client, _response = log_in("oscar", oscar.password)

    assert logged_in_user(client).email == oscar.mail


def test_a_person_added_to_the_directory_signs_in_at_once(people, ldap_directory):
    pam = ldap_directory.add_person(
        directory.Person(
            "pam",
            "Pam Beesly",
            "pam.beesly@dundermifflin.example",
            "Pam-pw-7",
            time_zone="Not/A_Zone",
        )
    )
    ldap_directory.add_member("it-agents", pam.dn)

    client, _response = log_in(pam.mail, pam.password)

    user = logged_in_user(client)
    assert user.time_zone == "UTC"  # a zone we do not know is left out
    assert roles_of(user) == {"IT": "agent"}


def test_local_accounts_sign_in_as_before(people, desk, local_admin):
    client, _response = log_in(local_admin.email, LOCAL_ADMIN_PASSWORD)

    assert logged_in_user(client) == local_admin


def test_without_a_server_uri_only_local_accounts_sign_in():
    found = directory_settings(server_uri="")

    assert found["AUTHENTICATION_BACKENDS"] == ["django.contrib.auth.backends.ModelBackend"]
    assert found["LDAP_ENABLED"] is False


@pytest.mark.parametrize(
    ("uri", "start_tls"),
    [
        ("ldaps://ldap.example.com", False),
        ("ldap://ldap.example.com", True),
        ("ldap://127.0.0.1:3389", False),
        ("ldap://localhost", False),
        ("ldap://[::1]:389", False),
        ("ldaps://dc1.example.com ldaps://dc2.example.com", False),
    ],
)
def test_server_uris_that_keep_passwords_off_the_network(uri, start_tls):
    check_server_uri(uri, start_tls=start_tls)


@pytest.mark.parametrize(
    "uri",
    [
        "ldap://ldap.example.com",
        "ldap://10.0.0.5:389",
        "ldaps://dc1.example.com ldap://dc2.example.com",
        "ldapi://%2Frun%2Fslapd%2Fldapi",
        "http://ldap.example.com",
    ],
)
def test_plain_ldap_to_another_machine_is_refused(uri):
    with pytest.raises(ImproperlyConfigured, match="LDAP_SERVER_URI"):
        directory_settings(server_uri=uri, user_search_base=directory.PEOPLE)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"user_search_base": ""}, "LDAP_USER_SEARCH_BASE"),
        ({"user_filter": "(mail=*)"}, "%\\(user\\)s"),
        ({"group_type": "groupOfWhatever"}, "LDAP_GROUP_TYPE"),
        ({"group_roles": {IT_AGENTS: {"department": "IT", "role": "boss"}}}, "LDAP_GROUP_ROLES"),
        ({"group_roles": {IT_AGENTS: {"role": "agent"}}}, "LDAP_GROUP_ROLES"),
        ({"group_roles": [IT_AGENTS]}, "LDAP_GROUP_ROLES"),
        ({"group_roles": {"not a dn": {"department": "IT"}}}, "distinguished name"),
        ({"group_search_base": ""}, "LDAP_GROUP_SEARCH_BASE"),
    ],
)
def test_mistakes_in_the_settings_are_refused_at_startup(overrides, message):
    values = {
        "server_uri": "ldaps://ldap.example.com",
        "user_search_base": directory.PEOPLE,
        "group_search_base": directory.GROUPS,
        "group_roles": {IT_AGENTS: {"department": "IT", "role": "agent"}},
        **overrides,
    }
    with pytest.raises(ImproperlyConfigured, match=message):
        directory_settings(**values)
