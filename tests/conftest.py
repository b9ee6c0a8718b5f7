import pytest
from django.core.cache import cache
from django.test import Client

from tests.support.custom_fields import hardware  # noqa: F401  (a topic with custom fields)
from tests.support.desks import desk  # noqa: F401  (the small help desk, for every test)
from tests.support.kb import kb  # noqa: F401  (a knowledge base with an article per state)
from tests.support.queue_spread import spread  # noqa: F401  (tickets in every queue view)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs a third of a second per password by design; tests make many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _staff_two_factor_off(settings):
    # Off unless a test turns it on (tests/accounts/two_factor/ and the browser test of
    # enrolment do): most tests sign staff in with force_login and test something else.
    # See docs/decisions/0024-two-factor.md.
    settings.REQUIRE_STAFF_2FA = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and presence live in the cache; one test must not see another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for():
    """client_for(user) -> a test client logged in as that user (None: anonymous)."""

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
