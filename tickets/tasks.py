"""Celery tasks: thin interfaces to the services, as views are. Schedules: settings.py."""

from celery import shared_task
from django.conf import settings

from tickets.notifications import notifications_send_pending, notifications_sender_awake
from tickets.sweep import sla_sweep


@shared_task(name="tickets.sla_sweep", ignore_result=True)
def run_sla_sweep() -> int:
    return sla_sweep(batch_size=settings.SLA_SWEEP_BATCH_SIZE).transitions


@shared_task(name="tickets.send_notifications", ignore_result=True)
def send_notifications() -> int:
    notifications_sender_awake()
    sent = total = notifications_send_pending()
    while sent:  # drain what piled up, a batch at a time
        sent = notifications_send_pending()
        total += sent
    return total
