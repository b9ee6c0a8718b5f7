"""Starting a sign-in at the provider, taking its answer, and the provider's logout address.

mozilla-django-oidc's views with the endpoints from discovery, and every way a sign-in can
fail turned into a message on our login page: the provider down or misconfigured, a
callback replayed, forged or expired (the state is used once), the person refused. Never a
500, never a bare 400.
"""

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.oidc.backend import BACKEND_PATH, SignInRefused
from accounts.oidc.discovery import ProviderUnavailable, oidc_enabled, origin, provider_metadata
from accounts.roles import is_agent

logger = logging.getLogger(__name__)

PROVIDER_UNAVAILABLE = (
    "Single sign-on is not available right now: we could not reach the identity provider. "
    "Please try again later, or log in with your email and password."
)
SIGN_IN_EXPIRED = "That sign-in has expired or was already used. Please sign in again."
PROVIDER_REFUSED = "The identity provider did not sign you in. Please try again."


def _back_to_login(request, message: str) -> HttpResponseRedirect:
    messages.error(request, message)
    return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))


class OIDCLoginView(OIDCAuthenticationRequestView):
    """GET, from the login page's button: off to the provider's authorization endpoint (a
    link, not a form, so no form-action rule stands between us and the provider)."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library's reads fixed endpoint settings

    def get(self, request):
        if not oidc_enabled():
            raise Http404
        try:
            metadata = provider_metadata()
        except ProviderUnavailable:
            return _back_to_login(request, PROVIDER_UNAVAILABLE)
        self.OIDC_OP_AUTH_ENDPOINT = metadata["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code (or an error) and the state."""

    def get(self, request):
        if not oidc_enabled():
            raise Http404
        try:
            return super().get(request)
        except SignInRefused as refused:
            logger.info("OpenID Connect sign-in refused: %s", refused.message)
            return _back_to_login(request, refused.message)
        except SuspiciousOperation as exc:
            # A state that is not ours (forged, or from another browser), a bad signature
            # or nonce, a token for another client.
            logger.warning("OpenID Connect callback refused: %s", exc)
            return _back_to_login(request, SIGN_IN_EXPIRED)
        except (ProviderUnavailable, requests.RequestException) as exc:
            # The token, JWKS or userinfo endpoint failed; the exception names the URL,
            # never our client secret (that travels in the request body).
            logger.warning("OpenID Connect token exchange failed: %s", exc.__class__.__name__)
            return _back_to_login(request, PROVIDER_UNAVAILABLE)

    def login_failure(self):
        if self.request.GET.get("error"):
            logger.info("OpenID provider answered %s", self.request.GET.get("error")[:100])
            return _back_to_login(self.request, PROVIDER_REFUSED)
        # No state left in this session: the callback was used already (or the session
        # ended since, or it never started here).
        return _back_to_login(self.request, SIGN_IN_EXPIRED)

    @property
    def success_url(self):
        # `next` was checked for safety when the sign-in started; else agents go to the desk.
        next_url = self.request.session.get("oidc_login_next")
        if next_url:
            return next_url
        if is_agent(self.user):
            return resolve_url(settings.AGENT_LOGIN_REDIRECT_URL)
        return resolve_url(settings.LOGIN_REDIRECT_URL)


def provider_logout_url(request) -> str | None:
    """Where to send someone who signed in through the provider and logs out, so that the
    provider's session ends too (RP-initiated logout 1.0); None to end only ours.

    Call it before our session ends: it reads the ID token kept there. Only an endpoint on
    the issuer's origin is used, the one that the Content-Security-Policy's form-action
    allows (the logout button is a form, and browsers hold the redirect to that rule).
    """
    if not oidc_enabled() or request.session.get(BACKEND_SESSION_KEY) != BACKEND_PATH:
        return None
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    if origin(endpoint) != origin(settings.OIDC_ISSUER):
        logger.warning("end_session_endpoint %s is not on the issuer's origin; unused", endpoint)
        return None
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(
            resolve_url(settings.LOGOUT_REDIRECT_URL)
        ),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def login_url_with_next(next_url: str) -> str:
    url = reverse("accounts:oidc_login")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
