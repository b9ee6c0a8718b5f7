"""The authentication backend: a verified ID token from our provider becomes one of our users.

mozilla-django-oidc exchanges the code (with PKCE), checks the ID token's signature against
the provider's JWKS, its expiry and the nonce; the callback view has checked the state. On
top of that we check the token's issuer and audience, require a verified email address,
match it to a user case-insensitively, and refuse a disabled account. OpenID Connect never
grants a role: a new person is a requester, agents are made in the admin (decision 0026).
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.oidc.discovery import oidc_enabled, provider_metadata
from accounts.services import user_get_or_create_from_sso

logger = logging.getLogger(__name__)

# The path Django stores in the session for people signed in this way.
BACKEND_PATH = "accounts.oidc.backend.OIDCBackend"

NO_EMAIL = (
    "Your identity provider did not tell us your email address, so we cannot sign you in "
    "with it. Please ask your IT team, or log in with your email and password."
)
EMAIL_NOT_VERIFIED = (
    "Your identity provider has not verified your email address, so we cannot sign you in "
    "with it. Please ask your IT team, or log in with your email and password."
)
DOMAIN_NOT_ALLOWED = "Single sign-on is not open to addresses at {domain}."
NO_ACCOUNT = (
    "There is no account for {email} here yet. Please ask your help desk for one, or sign up."
)
ACCOUNT_DISABLED = "This account is disabled. Please contact your help desk."


class SignInRefused(Exception):
    """The provider vouched for someone we do not let in; `message` says why, to them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # Not the library's: it reads fixed endpoint settings; ours come from discovery at
        # sign-in, and the backend must load (and do nothing) while OIDC is off.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view calls with exactly these; a password login (username and
        # password) must never reach the code exchange, whatever its query string holds.
        if request is None or not oidc_enabled() or set(kwargs) != {"nonce", "code_verifier"}:
            return None
        metadata = provider_metadata()
        self.OIDC_OP_TOKEN_ENDPOINT = metadata["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = metadata.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = metadata["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.issuer = metadata["issuer"]
        return super().authenticate(request, **kwargs)

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's when there is one
        (Google and Entra ID put the email in the ID token, Keycloak in both)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload.get("sub"):
                # OpenID Connect Core 1.0, 5.3.2: otherwise the answer is about someone else.
                raise SuspiciousOperation("userinfo is about another subject")
            claims.update(userinfo)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        self._check_issuer_and_audience(payload)
        claims = self.get_userinfo(access_token, id_token, payload)
        email = verified_email(claims)
        name = claims.get(settings.OIDC_NAME_CLAIM)
        user = user_get_or_create_from_sso(
            email=email,
            display_name=name if isinstance(name, str) else "",
            create=settings.OIDC_CREATE_USER,
        )
        if user is None:
            raise SignInRefused(NO_ACCOUNT.format(email=email))
        if not user.is_active:
            raise SignInRefused(ACCOUNT_DISABLED)
        return user

    def _check_issuer_and_audience(self, payload: dict) -> None:
        # The library checks the signature, expiry and nonce, but not who issued the token
        # or for whom: a token another client of the same provider got must not work here.
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != self.issuer or self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token from another issuer or for another client")


def verified_email(claims: dict) -> str:
    """The email address in `claims`, lower-cased, if the provider verified it and its
    domain is allowed; else SignInRefused."""
    email = claims.get(settings.OIDC_EMAIL_CLAIM)
    try:
        if not isinstance(email, str):
            raise ValidationError("not a string")
        validate_email(email)
    except ValidationError:
        raise SignInRefused(NO_EMAIL) from None
    # Some providers send the flag as a string ("true"); anything else is not verified.
    if settings.OIDC_REQUIRE_EMAIL_VERIFIED and claims.get("email_verified") not in (True, "true"):
        raise SignInRefused(EMAIL_NOT_VERIFIED)
    email = email.strip().lower()
    domain = email.rsplit("@", 1)[1]
    allowed = settings.OIDC_ALLOWED_EMAIL_DOMAINS
    if allowed and domain not in allowed:
        raise SignInRefused(DOMAIN_NOT_ALLOWED.format(domain=domain))
    return email
