"""A real OpenID provider for tests: django-oauth-toolkit in OIDC mode (``oidc_provider/``).

Loaded as a pytest plugin (``-p tests.support.oidc_harness`` in pyproject.toml), it gives tests:

``oidc_provider``
    One ``PrivateOIDCProvider`` for the whole session, started by the first test that asks
    for it (a second or two: a fresh SQLite database is migrated) as a subprocess on a free
    loopback port, with a new RS256 key, the client ``CLIENT_ID`` / ``CLIENT_SECRET``
    (its redirect URIs: the live server's and the test client's callback) and the people of
    ``PEOPLE``, who sign in through its login form with ``PASSWORD``. ``issuer`` is its
    issuer URL (discovery at ``issuer + "/.well-known/openid-configuration"``). Stopped when
    the session ends (with dbselect's private servers; after a SIGKILL the next run's
    ``reap_stale`` stops it).
``oidc_settings``
    The help desk configured for that provider (issuer, client, requester creation on, a
    button label, and the provider's origin in the Content-Security-Policy's form-action, as
    settings.py does for OIDC_ISSUER), for one test; returns pytest-django's ``settings``.

The provider's people (username: claims), chosen for what the tests need:

- ``pam``: Pam Beesly, a verified address nobody here has yet.
- ``jim``: ``Jim.Halpert@TheOffice.example``, verified; mixed case on purpose.
- ``creed``: an address the provider has not verified (``email_verified`` false).
- ``toby``: verified, for a local account that is disabled.

It needs nothing but the Python packages of requirements/dev.txt, so it is never skipped.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import dbselect
from tests.support.services import PrivateServer, ServiceError

BASE_DIR = Path(__file__).resolve().parents[2]
CLIENT_ID = "helpdesk-tests"
CLIENT_SECRET = "helpdesk-tests-secret-4c7f"
PASSWORD = "provider-password"
PEOPLE = {
    "pam": {"email": "pam.beesly@theoffice.example", "name": "Pam Beesly", "email_verified": True},
    "jim": {"email": "Jim.Halpert@TheOffice.example", "name": "Jim H.", "email_verified": True},
    "creed": {"email": "creed@theoffice.example", "name": "Creed", "email_verified": False},
    "toby": {"email": "toby@theoffice.example", "name": "Toby", "email_verified": True},
}
CALLBACK_PATH = "/accounts/oidc/callback/"
TEST_CLIENT_ORIGIN = "http://testserver"


class PrivateOIDCProvider(PrivateServer):
    """The test provider (``tests/support/oidc_provider/serve.py``) in its own folder."""

    name = "oidc_provider"  # in its command line, for reap_stale

    def __init__(self, *, origins: list[str]) -> None:
        super().__init__()
        people = {name: {**claims, "password": PASSWORD} for name, claims in PEOPLE.items()}
        config = {
            "client": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [origin + CALLBACK_PATH for origin in origins],
                "post_logout_redirect_uris": [origin + "/" for origin in origins],
            },
            "users": people,
        }
        (self.dir / "config.json").write_text(json.dumps(config))

    def command(self) -> list[str]:
        serve = "tests.support.oidc_provider.serve"
        return [sys.executable, "-m", serve, str(self.dir), str(self.port)]

    def _spawn(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(BASE_DIR)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        self.spawn(self.command(), cwd=self.dir, env=env)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.discovery_url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@pytest.fixture(scope="session")
def oidc_provider(live_server) -> Iterator[PrivateOIDCProvider]:
    try:
        server = PrivateOIDCProvider(origins=[live_server.url, TEST_CLIENT_ORIGIN])
        dbselect.stop_when_the_run_ends(server)
        server.start()
    except ServiceError as exc:
        pytest.fail(f"Could not start the test OpenID provider: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_CREATE_USER = True
    settings.OIDC_BUTTON_LABEL = "Sign in with Dunder Mifflin"
    directives = {**settings.CSP_DIRECTIVES, "form-action": ["'self'", oidc_provider.url]}
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    return settings
