"""common.cache.RedisCache: Django's Redis cache with one redis-py client per pool, against
the test run's real Redis."""

import threading

import pytest
from django.conf import settings

from common.cache import RedisCache
from tests.support.celery_harness import _fail_or_skip, _redis_answers


@pytest.fixture
def cache():
    if not settings.REDIS_URL or not _redis_answers(settings.REDIS_URL):
        _fail_or_skip(f"no Redis answers at REDIS_URL={settings.REDIS_URL!r}")
    backend = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-common-cache"})
    yield backend
    backend.clear()


def test_every_call_shares_one_client_per_pool(cache):
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=False) is first
    assert cache._cache.get_client(key="other", write=True) is first


def test_it_behaves_as_djangos_redis_cache(cache):
    assert cache.add("visits", 1, timeout=60)
    assert not cache.add("visits", 5, timeout=60)
    assert cache.incr("visits", 2) == 3
    cache.set_many({"a": {"nested": [1, 2]}, "b": "text"}, timeout=60)
    assert cache.get_many(["a", "b", "missing"]) == {"a": {"nested": [1, 2]}, "b": "text"}
    cache.delete_many(["a", "b"])
    assert cache.get("a", "gone") == "gone"


def test_the_shared_client_serves_threads_at_once(cache):
    errors = []

    def count():
        try:
            for _ in range(50):
                cache.incr("counter")
        except Exception as exc:  # the test reports whatever broke
            errors.append(exc)

    cache.set("counter", 0, timeout=60)
    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get("counter") == 400


def test_the_configured_cache_is_this_one():
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"] == "common.cache.RedisCache"
