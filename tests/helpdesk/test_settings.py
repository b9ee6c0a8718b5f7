"""Production settings: Django's deployment checklist passes with real values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "helpdesk.example.com",
    "DATABASE_URL": "postgres://helpdesk:secret@localhost:5432/helpdesk",
    "REDIS_URL": "redis://localhost:6379/0",
    "EMAIL_URL": "smtp+tls://helpdesk:secret@smtp.example.com:587",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing from the test run (eager Celery, DEBUG=1) leaks in.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_webhook_secrets_come_from_the_environment_and_empty_ones_are_left_out():
    # anymail would take an empty Mailgun signing key as a key anyone can sign with.
    show = ["shell", "-c", "from django.conf import settings; print(settings.ANYMAIL)"]
    empty = _manage(*show, env={**PRODUCTION_ENV, "MAILGUN_WEBHOOK_SIGNING_KEY": ""})
    both = _manage(
        *show,
        env={
            **PRODUCTION_ENV,
            "MAILGUN_WEBHOOK_SIGNING_KEY": "key-1",
            "ANYMAIL_WEBHOOK_SECRET": "a:one,b:two",
        },
    )

    assert empty.stdout.strip().splitlines()[-1] == "{}", empty.stderr
    assert both.stdout.strip().splitlines()[-1] == (
        "{'MAILGUN_WEBHOOK_SIGNING_KEY': 'key-1', 'WEBHOOK_SECRET': ['a:one', 'b:two']}"
    ), both.stderr


def test_single_sign_on_settings_come_from_the_environment_and_pass_the_checklist():
    env = {
        **PRODUCTION_ENV,
        "OIDC_ISSUER": "https://login.microsoftonline.com/1f2e3d4c/v2.0/",
        "OIDC_CLIENT_ID": "helpdesk",
        "OIDC_CLIENT_SECRET": "s3cret",
        "OIDC_ALLOWED_EMAIL_DOMAINS": "@TheOffice.example, dundermifflin.example",
    }
    show = [
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.OIDC_ISSUER, s.OIDC_ALLOWED_EMAIL_DOMAINS,"
        " s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])",
    ]

    shown = _manage(*show, env=env)
    checked = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    # Logging out redirects to the provider's end_session_endpoint, on the issuer's origin.
    assert shown.stdout.strip().splitlines()[-1] == (
        "https://login.microsoftonline.com/1f2e3d4c/v2.0 "
        "['theoffice.example', 'dundermifflin.example'] "
        "[\"'self'\", 'https://login.microsoftonline.com']"
    ), shown.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr


LDAP_ENV = {
    "LDAP_SERVER_URI": "ldaps://dc1.corp.example.com ldaps://dc2.corp.example.com",
    "LDAP_BIND_DN": "helpdesk-svc@corp.example.com",
    "LDAP_BIND_PASSWORD": "s3cret",
    "LDAP_USER_SEARCH_BASE": "ou=Staff,dc=corp,dc=example,dc=com",
    "LDAP_USER_FILTER": "(sAMAccountName=%(user)s)",
    "LDAP_GROUP_SEARCH_BASE": "ou=Groups,dc=corp,dc=example,dc=com",
    "LDAP_GROUP_TYPE": "activeDirectory",
    "LDAP_GROUP_ROLES": '{"CN=IT Agents, OU=Groups,DC=corp,DC=example,DC=com": '
    '{"department": "IT", "role": "agent"}}',
    "LDAP_DISABLED_FILTER": "(userAccountControl:1.2.840.113556.1.4.803:=2)",
}


def test_the_company_directory_is_configured_from_the_environment():
    show = [
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.AUTHENTICATION_BACKENDS, "
        "s.LDAP_GROUP_ROLES, type(s.AUTH_LDAP_GROUP_TYPE).__name__, "
        "s.AUTH_LDAP_USER_SEARCH.filterstr)",
    ]

    result = _manage(*show, env={**PRODUCTION_ENV, **LDAP_ENV})

    assert result.stdout.strip().splitlines()[-1] == (
        "['accounts.ldap.DirectoryBackend', 'django.contrib.auth.backends.ModelBackend', "
        "'accounts.oidc.backend.OIDCBackend'] "
        "{'cn=it agents,ou=groups,dc=corp,dc=example,dc=com': [('IT', 'agent')]} "
        "NestedActiveDirectoryGroupType (sAMAccountName=%(user)s)"
    ), result.stderr


def test_check_deploy_is_clean_with_the_company_directory():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, **LDAP_ENV}
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_ldap_to_another_machine_refuses_to_start():
    env = {**PRODUCTION_ENV, **LDAP_ENV, "LDAP_SERVER_URI": "ldap://dc1.corp.example.com"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "plain LDAP to another machine" in result.stderr
    assert "s3cret" not in result.stderr
