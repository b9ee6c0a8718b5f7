"""Celery tasks of automation: thin, they call one function. Schedules are in settings.py
(CELERY_BEAT_SCHEDULE); everything else queues them by name (common.enqueue)."""

from celery import shared_task

from automation.emails import SEND_TASK, rule_emails_send
from automation.engine import TIME_TASK, time_rules_run, triggers_run
from automation.listener import RUN_TASK


@shared_task(name=RUN_TASK, ignore_result=True)
def run_triggers() -> int:
    """After each change with a trigger, and from beat for any whose task was lost."""
    return triggers_run()


@shared_task(name=TIME_TASK, ignore_result=True)
def run_time_rules() -> int:
    return time_rules_run()


@shared_task(name=SEND_TASK, ignore_result=True)
def send_emails() -> int:
    return rule_emails_send()
