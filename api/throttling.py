"""A rate limit per key (its own setting), per signed-in person, and per address for the
rest, in fixed one-minute windows; each answer says where the client stands
(RateLimit-Limit / -Remaining / -Reset, and Retry-After when refused)."""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts.ratelimit import client_ip, rate_count
from api.models import ApiKey

WINDOW = 60


def limit_for(request) -> tuple[str, int]:
    key = request.auth
    if isinstance(key, ApiKey):
        return f"key:{key.pk}", key.requests_per_minute
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}", settings.API_SESSION_REQUESTS_PER_MINUTE
    return f"ip:{client_ip(request)}", settings.API_ANONYMOUS_REQUESTS_PER_MINUTE


class KeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        who, limit = limit_for(request)
        count = rate_count(scope="api", value=who, window=WINDOW)
        now = time.time()
        reset = max(1, int(WINDOW - now % WINDOW))
        # Read by api.views.ApiView.finalize_response for the headers.
        request._rate_limit = (limit, max(0, limit - count), reset)
        self._wait = reset
        return count <= limit

    def wait(self) -> float:
        return self._wait


def rate_limit_headers(request, response) -> None:
    state = getattr(request, "_rate_limit", None)
    if state is None:
        return
    limit, remaining, reset = state
    response["RateLimit-Limit"] = str(limit)
    response["RateLimit-Remaining"] = str(remaining)
    response["RateLimit-Reset"] = str(reset)
