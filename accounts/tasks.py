"""Celery tasks for accounts: thin, they take ids and call one function."""

from celery import shared_task

from accounts.audit import audit_prune
from accounts.emails import account_email_send
from accounts.services import ACCOUNT_EMAIL_TASK
from accounts.sessions import sessions_prune_expired


@shared_task(name=ACCOUNT_EMAIL_TASK, ignore_result=True)
def send_account_email(user_id: int, kind: str) -> bool:
    return account_email_send(user_id=user_id, kind=kind)


@shared_task(name="accounts.prune_audit_log", ignore_result=True)
def prune_audit_log() -> int:
    return audit_prune()


@shared_task(name="accounts.prune_sessions", ignore_result=True)
def prune_sessions() -> int:
    return sessions_prune_expired()
