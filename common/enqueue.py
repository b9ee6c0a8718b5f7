"""Queueing a Celery task by its registered name.

A service that needs work done in the background names the task instead of importing the
module that defines it: task modules import the services, so an import the other way would
be a cycle (hidden, until now, inside functions). Only `<app>/tasks.py` knows task objects;
everything below it asks for them here.
"""

from functools import partial

from celery import current_app
from django.db import transaction


def enqueue(name: str, *args) -> None:
    """Send the task registered as `name` (or run it inline in eager mode, as in tests)."""
    app = current_app
    if name not in app.tasks:
        # Celery finds each app's tasks.py lazily (helpdesk/celery.py): a web process that
        # never imported one asks for them all once, here.
        app.loader.import_default_modules()
    app.tasks[name].delay(*args)


def enqueue_on_commit(name: str, *args, robust: bool = False) -> None:
    """Send the task once the current transaction commits; never for a change rolled back.

    `robust`: a broker that cannot be reached is logged instead of raised, for work that a
    periodic task picks up anyway (a pending inbound message, say).
    """
    transaction.on_commit(partial(enqueue, name, *args), robust=robust)
