"""The app that the harness's Celery beat runs: the project's own app and configuration,
with its periodic schedule replaced by the one a test asked for.

Started as ``celery -A tests.celery_beat_app beat`` by ``tests.support.celery_harness``; the
schedule arrives as JSON in HELPDESK_TEST_BEAT_SCHEDULE: ``{"name": {"task": "helpdesk.ping",
"schedule": 1.0, "args": [...], "kwargs": {...}}}`` with the schedule in seconds.
"""

import json
import os

from helpdesk.celery import app

__all__ = ["app"]

app.conf.beat_schedule = json.loads(os.environ["HELPDESK_TEST_BEAT_SCHEDULE"])
