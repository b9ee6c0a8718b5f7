"""What an answer means for its delivery: delivered, retried when, or given up.

Retries follow settings.WEBHOOK_RETRY_SCHEDULE (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h, 24 h), each wait stretched or shrunk by up to 10 % so that the deliveries of one
outage do not all come back in the same second. 429 and 503 are retried when their
Retry-After says (at most a day away), 410 Gone disables the endpoint, and a redirect is
a failure: we do not follow it (it could point anywhere, our own network included).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings

from webhooks.models import WebhookDelivery
from webhooks.network import Answer

JITTER = 0.10
MAX_RETRY_AFTER = timedelta(hours=24)
_random = secrets.SystemRandom()

State = WebhookDelivery.State


@dataclass(frozen=True)
class Outcome:
    state: str
    next_attempt_at: datetime | None = None
    error: str = ""
    disable_reason: str = ""

    @property
    def delivered(self) -> bool:
        return self.state == State.DELIVERED


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the `attempts`-th failed attempt, with jitter; None: no more tries."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    seconds = float(schedule[attempts - 1])
    return timedelta(seconds=seconds * _random.uniform(1 - JITTER, 1 + JITTER))


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(wait, timedelta(seconds=1)), MAX_RETRY_AFTER)


def judge(answer: Answer, *, attempts: int, now: datetime) -> Outcome:
    status = answer.status
    if status is not None and 200 <= status < 300:
        return Outcome(state=State.DELIVERED)
    if status == 410:
        reason = "The endpoint answered 410 Gone: it asked for no more deliveries."
        return Outcome(state=State.DEAD, error="410 Gone", disable_reason=reason)
    error = _error_of(answer)
    wait = retry_delay(attempts)
    if wait is None:
        return Outcome(state=State.DEAD, error=f"{error} Gave up after {attempts} attempts.")
    if status in (429, 503):
        wait = retry_after(answer.retry_after, now) or wait
    return Outcome(state=State.FAILED, next_attempt_at=now + wait, error=error)


def _error_of(answer: Answer) -> str:
    if answer.error:
        return answer.error
    if answer.status is not None and 300 <= answer.status < 400:
        return f"Answered {answer.status}, a redirect: not followed."
    return f"Answered {answer.status}."
