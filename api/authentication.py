"""DRF authentication by API key: `Authorization: Bearer hd_...` (or `X-API-Key`).

The request then acts as the key's agent, with the key's scopes (api.permissions); a
session still works too (the browsable API, an agent's own scripts), with CSRF.
"""

from rest_framework import authentication, exceptions

from accounts.ratelimit import client_ip
from api.keys import KeyRefused, api_key_check

REFUSED = {
    "malformed": "That is not an API key (they look like hd_<prefix>_<secret>).",
    "unknown": "Unknown API key.",
    "revoked": "This API key was revoked.",
    "expired": "This API key has expired.",
    "address": "This API key may not be used from your address.",
    "inactive": "The account this API key acts as is disabled or no longer an agent.",
}


def presented_key(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    value = request.META.get("HTTP_X_API_KEY", "")
    return value.strip() or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        plaintext = presented_key(request)
        if plaintext is None:
            return None  # not ours: the session may authenticate
        try:
            key = api_key_check(plaintext, address=client_ip(request))
        except KeyRefused as refused:
            raise exceptions.AuthenticationFailed(REFUSED[refused.reason]) from None
        return key.user, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
