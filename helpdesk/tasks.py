"""Tasks that belong to no app: health checks of the Celery wiring itself."""

import os

from celery import shared_task
from django.core.cache import cache
from django.db import connection

PING_KEY = "helpdesk:ping:{token}"


@shared_task(name="helpdesk.ping", bind=True)
def ping(self, token: str) -> dict:
    """Prove that a worker runs, reaches the database and writes to the cache.

    Stores, under ``helpdesk:ping:<token>``, which worker ran it and which database it
    reached, so the sender can read the answer back without a result backend.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    answer = {
        "hostname": self.request.hostname,
        "pid": os.getpid(),
        "database": str(connection.settings_dict["NAME"]),
    }
    cache.set(PING_KEY.format(token=token), answer, timeout=600)
    return answer
