"""The provider's metadata, read from ``<issuer>/.well-known/openid-configuration``.

Cached (an hour) so that a sign-in costs no extra round trip; a failure is not cached, so
the next attempt asks again once the provider is back.
"""

import hashlib
import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
CACHE_SECONDS = 60 * 60
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The provider did not answer, or its metadata is unusable (logged with the reason)."""


def oidc_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _cache_key(issuer: str) -> str:
    return "oidc:metadata:" + hashlib.sha256(issuer.encode()).hexdigest()


def provider_metadata() -> dict:
    """The discovery document of ``OIDC_ISSUER``; raises ProviderUnavailable."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    key = _cache_key(issuer)
    metadata = cache.get(key)
    if metadata is not None:
        return metadata
    url = issuer + DISCOVERY_PATH
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID provider discovery at %s failed: %s", url, exc)
        raise ProviderUnavailable(str(exc)) from exc
    problem = _problem(metadata, issuer)
    if problem:
        logger.warning("OpenID provider metadata at %s is unusable: %s", url, problem)
        raise ProviderUnavailable(problem)
    cache.set(key, metadata, CACHE_SECONDS)
    return metadata


def _problem(metadata: object, issuer: str) -> str:
    if not isinstance(metadata, dict):
        return "not a JSON object"
    missing = [name for name in REQUIRED if not isinstance(metadata.get(name), str)]
    if missing:
        return f"missing {', '.join(missing)}"
    # OpenID Connect Discovery 1.0, section 4.3: the issuer must be the one we asked, or a
    # provider could speak for another.
    if metadata["issuer"].rstrip("/") != issuer:
        return f"issuer {metadata['issuer']!r} is not OIDC_ISSUER {issuer!r}"
    return ""
