"""Celery tasks for accounts: thin, they take ids and call one function."""

from celery import shared_task

from accounts.emails import account_email_send
from accounts.services import ACCOUNT_EMAIL_TASK


@shared_task(name=ACCOUNT_EMAIL_TASK, ignore_result=True)
def send_account_email(user_id: int, kind: str) -> bool:
    return account_email_send(user_id=user_id, kind=kind)
