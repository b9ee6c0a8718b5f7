"""Django's Redis cache, with one redis-py client per connection pool instead of one per
operation.

django.core.cache.backends.redis builds a new `redis.Redis` for every cache call, and
redis-py's constructor copies its table of ~170 response callbacks each time: about
0.2-0.5 ms of CPU on this machine, more than the GET round trip it wraps. A public form
makes several cache calls per request (rate-limit counters, sessions-free throttles), so
the copy was a measurable share of intake's CPU (issue 17, decision 0044). A redis-py
client holds no connection of its own (the pool does) and is safe to share between
threads, so keeping one per pool changes nothing else.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
