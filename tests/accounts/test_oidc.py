"""Single sign-on with OpenID Connect, below the browser: discovery (against the harness's
real provider), starting a sign-in, every way a callback fails (a message on the login
page, never a 500), the claims we require, and the provider's logout address.
The whole flow in Chromium is tests/browser/test_oidc.py."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory

from accounts.oidc import discovery
from accounts.oidc.backend import (
    BACKEND_PATH,
    DOMAIN_NOT_ALLOWED,
    EMAIL_NOT_VERIFIED,
    NO_EMAIL,
    OIDCBackend,
    SignInRefused,
    verified_email,
)
from accounts.oidc.discovery import ProviderUnavailable, provider_metadata
from accounts.oidc.views import (
    PROVIDER_REFUSED,
    PROVIDER_UNAVAILABLE,
    SIGN_IN_EXPIRED,
    provider_logout_url,
)
from tests.support.factories import UserFactory
from tests.support.services import free_port

ISSUER = "https://idp.example.com/realms/office"
SECRET = "the-client-secret-9f3a"
CLOSED = f"http://127.0.0.1:{free_port()}"  # nothing listens there


def metadata(**changes):
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
        "token_endpoint": f"{CLOSED}/token",
        "jwks_uri": f"{CLOSED}/certs",
        "userinfo_endpoint": f"{CLOSED}/userinfo",
        "end_session_endpoint": f"{ISSUER}/protocol/openid-connect/logout",
        **changes,
    }


@pytest.fixture
def configured(settings):
    """OIDC on, for a provider whose metadata is already cached (its endpoints are dead)."""
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = "helpdesk"
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    settings.OIDC_BUTTON_LABEL = "Sign in with Microsoft"
    cache.set(discovery._cache_key(ISSUER), metadata())
    return settings


def start(client, next_url=""):
    response = client.get("/accounts/oidc/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query)


def messages_after(client, response) -> str:
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    return client.get("/accounts/login/").content.decode()


# Off unless configured --------------------------------------------------------------------


def test_off_by_default_no_button_and_no_endpoints(client, db):
    assert b"/accounts/oidc/login/" not in client.get("/accounts/login/").content
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=c&state=s").status_code == 404


def test_the_login_page_offers_the_button_and_keeps_next(client, db, configured):
    html = client.get("/accounts/login/?next=/tickets/new/").content.decode()

    assert 'href="/accounts/oidc/login/?next=%2Ftickets%2Fnew%2F">Sign in with Microsoft</a>' in (
        html
    )
    assert 'name="password"' in html  # the password form stays


# Discovery -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_discovery_reads_the_real_providers_metadata_and_caches_it(
    oidc_settings, oidc_provider, monkeypatch
):
    found = provider_metadata()

    assert found["issuer"] == oidc_provider.issuer
    assert found["authorization_endpoint"] == f"{oidc_provider.issuer}/authorize/"
    assert found["jwks_uri"].startswith(oidc_provider.issuer)
    assert found["end_session_endpoint"] == f"{oidc_provider.issuer}/logout/"

    def no_network(*args, **kwargs):
        raise AssertionError("asked the provider again")

    monkeypatch.setattr(discovery.requests, "get", no_network)
    assert provider_metadata() == found


@pytest.mark.django_db(transaction=True)
def test_discovery_refuses_a_document_for_another_issuer_or_none(
    oidc_settings, oidc_provider, caplog
):
    # The same provider under another name: its document names 127.0.0.1, not localhost.
    oidc_settings.OIDC_ISSUER = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    with pytest.raises(ProviderUnavailable, match="is not OIDC_ISSUER"):
        provider_metadata()

    oidc_settings.OIDC_ISSUER = oidc_provider.url + "/no-such-issuer"  # a 404
    with pytest.raises(ProviderUnavailable):
        provider_metadata()
    assert "discovery at" in caplog.text


def test_a_provider_that_is_down_is_asked_again_next_time(settings, monkeypatch):
    settings.OIDC_ISSUER = CLOSED
    calls = []
    real_get = requests.get

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real_get(*args, **kwargs)

    monkeypatch.setattr(discovery.requests, "get", counted)
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            provider_metadata()

    assert calls == [f"{CLOSED}/.well-known/openid-configuration"] * 2


@pytest.mark.parametrize(
    "document",
    [
        ["not", "an", "object"],
        {k: v for k, v in metadata().items() if k != "jwks_uri"},
    ],
)
def test_unusable_metadata_is_refused(settings, monkeypatch, document):
    settings.OIDC_ISSUER = ISSUER

    class Answer:
        def raise_for_status(self):
            pass

        def json(self):
            return document

    monkeypatch.setattr(discovery.requests, "get", lambda *a, **k: Answer())
    with pytest.raises(ProviderUnavailable):
        provider_metadata()


def test_the_login_button_with_the_provider_down_is_a_message(client, db, settings):
    settings.OIDC_ISSUER = CLOSED
    settings.OIDC_RP_CLIENT_ID = "helpdesk"

    response = client.get("/accounts/oidc/login/")

    assert PROVIDER_UNAVAILABLE in messages_after(client, response)


# Starting a sign-in ----------------------------------------------------------------------


def test_a_sign_in_starts_with_state_nonce_and_pkce(client, db, configured):
    query = start(client, next_url="/tickets/new/")

    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["helpdesk"]
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["nonce"][0]) >= 32
    state = query["state"][0]
    assert client.session["oidc_states"][state]["nonce"] == query["nonce"][0]
    assert client.session["oidc_login_next"] == "/tickets/new/"


def test_a_next_to_another_site_is_dropped(client, db, configured):
    start(client, next_url="https://evil.example/")

    assert client.session["oidc_login_next"] is None


# Callbacks that fail: a message, never a 500 ---------------------------------------------


def test_a_forged_state_is_refused(client, db, configured, caplog):
    start(client)

    response = client.get("/accounts/oidc/callback/", {"code": "c", "state": "forged"})

    assert SIGN_IN_EXPIRED in messages_after(client, response)
    assert "_auth_user_id" not in client.session


def test_a_callback_with_no_sign_in_in_progress_is_refused(client, db, configured):
    response = client.get("/accounts/oidc/callback/", {"code": "c", "state": "s"})

    assert SIGN_IN_EXPIRED in messages_after(client, response)


def test_the_provider_saying_no_is_a_message_and_uses_up_the_state(client, db, configured):
    state = start(client)["state"][0]

    response = client.get("/accounts/oidc/callback/", {"error": "access_denied", "state": state})

    assert PROVIDER_REFUSED in messages_after(client, response)
    assert state not in client.session["oidc_states"]


def test_a_token_endpoint_that_is_down_is_a_message_and_the_secret_stays_out_of_logs(
    client, db, configured, caplog
):
    state = start(client)["state"][0]
    caplog.set_level(logging.DEBUG)

    response = client.get("/accounts/oidc/callback/", {"code": "c", "state": state})

    assert PROVIDER_UNAVAILABLE in messages_after(client, response)
    assert "token exchange failed" in caplog.text
    assert SECRET not in caplog.text
    # The state was used up before the exchange: the same callback cannot be tried again.
    again = client.get("/accounts/oidc/callback/", {"code": "c", "state": state})
    assert SIGN_IN_EXPIRED in messages_after(client, again)


def test_a_password_login_never_reaches_the_code_exchange(client, db, configured, monkeypatch):
    import mozilla_django_oidc.auth

    def no_exchange(*args, **kwargs):
        raise AssertionError("a password login exchanged a code")

    monkeypatch.setattr(mozilla_django_oidc.auth.requests, "post", no_exchange)
    UserFactory(email="jim@example.com", password="a-long-password-42")

    response = client.post(
        "/accounts/login/?code=stolen&state=s",
        {"username": "jim@example.com", "password": "a-long-password-42"},
    )

    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "django.contrib.auth.backends.ModelBackend"


# The claims we require ----------------------------------------------------------------------


@pytest.mark.parametrize("flag", [True, "true"])
def test_a_verified_address_is_taken_lower_cased(settings, flag):
    assert verified_email({"email": "Pam@Example.COM", "email_verified": flag}) == (
        "pam@example.com"
    )


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"email_verified": True}, NO_EMAIL),
        ({"email": "not an address", "email_verified": True}, NO_EMAIL),
        ({"email": ["pam@example.com"], "email_verified": True}, NO_EMAIL),
        ({"email": "pam@example.com"}, EMAIL_NOT_VERIFIED),
        ({"email": "pam@example.com", "email_verified": False}, EMAIL_NOT_VERIFIED),
        ({"email": "pam@example.com", "email_verified": "false"}, EMAIL_NOT_VERIFIED),
    ],
)
def test_an_address_missing_or_unverified_is_refused(settings, claims, message):
    with pytest.raises(SignInRefused) as refused:
        verified_email(claims)
    assert refused.value.message == message


def test_providers_without_the_flag_can_be_trusted_by_setting(settings):
    settings.OIDC_REQUIRE_EMAIL_VERIFIED = False
    settings.OIDC_EMAIL_CLAIM = "preferred_username"

    assert verified_email({"preferred_username": "pam@office.example"}) == "pam@office.example"


def test_only_allowed_domains_sign_in(settings):
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["theoffice.example"]

    assert verified_email({"email": "pam@TheOffice.example", "email_verified": True})
    with pytest.raises(SignInRefused) as refused:
        verified_email({"email": "pam@gmail.example", "email_verified": True})
    assert refused.value.message == DOMAIN_NOT_ALLOWED.format(domain="gmail.example")


@pytest.mark.parametrize(
    "payload",
    [
        {"iss": "https://other.example", "aud": "helpdesk"},
        {"iss": ISSUER, "aud": "another-client"},
        {"iss": ISSUER, "aud": ["another-client"]},
        {"iss": ISSUER},
    ],
)
def test_an_id_token_from_another_issuer_or_for_another_client_is_refused(payload):
    backend = OIDCBackend()
    backend.issuer, backend.OIDC_RP_CLIENT_ID = ISSUER, "helpdesk"

    with pytest.raises(SuspiciousOperation):
        backend._check_issuer_and_audience(payload)
    backend._check_issuer_and_audience({"iss": ISSUER, "aud": ["helpdesk", "api"]})


# Logout ----------------------------------------------------------------------------------


def _request_with_session(client, user, backend):
    client.force_login(user, backend=backend)
    request = RequestFactory().post("/accounts/logout/")
    request.session = client.session
    return request


def test_a_provider_session_ends_at_the_providers_end_session_endpoint(client, db, configured):
    request = _request_with_session(client, UserFactory(), BACKEND_PATH)
    request.session["oidc_id_token"] = "the.id.token"

    url = urlsplit(provider_logout_url(request))

    assert f"{url.scheme}://{url.netloc}{url.path}" == metadata()["end_session_endpoint"]
    assert parse_qs(url.query) == {
        "client_id": ["helpdesk"],
        "post_logout_redirect_uri": ["http://testserver/"],
        "id_token_hint": ["the.id.token"],
    }


def test_a_password_session_or_a_foreign_endpoint_ends_only_ours(client, db, configured):
    password_session = _request_with_session(
        client, UserFactory(), "django.contrib.auth.backends.ModelBackend"
    )
    assert provider_logout_url(password_session) is None

    cache.set(
        discovery._cache_key(ISSUER),
        metadata(end_session_endpoint="https://elsewhere.example/logout"),
    )
    assert provider_logout_url(_request_with_session(client, UserFactory(), BACKEND_PATH)) is None

    cache.set(discovery._cache_key(ISSUER), metadata(end_session_endpoint=None))  # Google's
    assert provider_logout_url(_request_with_session(client, UserFactory(), BACKEND_PATH)) is None
