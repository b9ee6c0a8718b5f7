"""Cache-based counters for abuse protection: public forms and failed logins.

Fixed windows in the shared cache (Redis in production): cheap, no outside service, and
good enough to stop a script; they are not exact under races at the edge of a window,
which does not matter here. Keys carry a hash of the counted value, never an address.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address: the connection's, or the one NUM_PROXIES hops from the end of
    X-Forwarded-For when that many trusted proxies stand in front of the app."""
    proxies = settings.NUM_PROXIES
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{int(time.time() // window)}"


def _count(key: str, window: int) -> int:
    return _count_many([key], window)[0]


def _count_many(keys: list[str], window: int) -> list[int]:
    """Add one to each counter, starting it with the window's expiry; the new values."""
    redis = _redis_client()
    if redis is not None:
        # One round trip for every counter: INCR, and an expiry only on a new key.
        names = [cache.make_and_validate_key(key) for key in keys]
        pipe = redis.pipeline(transaction=False)
        for name in names:
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
        return [int(value) for value in pipe.execute()[::2]]
    counts = []
    for key in keys:
        if cache.add(key, 1, timeout=window):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            counts.append(1)
    return counts


def _redis_client():
    # Django's Redis backend does add-then-incr in three round trips; the public form is
    # the hot path of intake, so talk to Redis directly when that is the cache.
    backend = getattr(cache, "_cache", None)
    if type(cache).__name__ != "RedisCache" or backend is None:
        return None
    return backend.get_client(write=True)


def rate_count(*, scope: str, value: str, window: int) -> int:
    """Count one attempt for `value` in `scope`'s current window; the count so far."""
    return _count(_key(scope, value, window), window)


def rate_limit_exceeded(*, scope: str, value: str, limit: int, window: int) -> bool:
    """Count one attempt for `value` in `scope`; True once there were more than `limit`."""
    return _count(_key(scope, value, window), window) > limit


def public_form_allowed(request, *, scope: str, email: str = "") -> bool:
    """One submission of a public form, counted per client address and per email."""
    window = settings.RATE_LIMIT_WINDOW_SECONDS
    keys = [_key(f"{scope}:ip", client_ip(request), window)]
    limits = [settings.RATE_LIMIT_PER_IP]
    if email:
        keys.append(_key(f"{scope}:email", email, window))
        limits.append(settings.RATE_LIMIT_PER_EMAIL)
    counts = _count_many(keys, window)
    return all(count <= limit for count, limit in zip(counts, limits, strict=True))


# Failed logins ------------------------------------------------------------------------


def _login_key(email: str, ip: str) -> str:
    return _key("login-failures", f"{email}|{ip}", settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_is_locked(*, email: str, ip: str) -> bool:
    return (cache.get(_login_key(email, ip)) or 0) >= settings.LOGIN_FAILURE_LIMIT


def login_failed(*, email: str, ip: str) -> None:
    _count(_login_key(email, ip), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_succeeded(*, email: str, ip: str) -> None:
    cache.delete(_login_key(email, ip))


# Wrong second-factor codes ------------------------------------------------------------
# Counted per account, from any address: whoever is here already has the password, and
# a code has only a million values. The same limit and window as failed logins.


def _two_factor_key(user_pk: int) -> str:
    return _key("two-factor-failures", str(user_pk), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def two_factor_is_locked(*, user_pk: int) -> bool:
    return (cache.get(_two_factor_key(user_pk)) or 0) >= settings.LOGIN_FAILURE_LIMIT


def two_factor_failed(*, user_pk: int) -> None:
    _count(_two_factor_key(user_pk), settings.LOGIN_FAILURE_WINDOW_SECONDS)


def two_factor_succeeded(*, user_pk: int) -> None:
    cache.delete(_two_factor_key(user_pk))
