import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and presence live in the cache; one test must not see another's.
    cache.clear()
    yield
    cache.clear()
