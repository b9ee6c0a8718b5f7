"""Every change to webhook endpoints and deliveries: made here, by the admin and the worker.

Each endpoint change calls endpoints_changed, so that every process's copy of the active
endpoints (webhooks/endpoints.py) is read again; each new or re-queued delivery wakes its
endpoint's sender after commit.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import mail_admins, send_mail
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tickets.errors import InvalidInput
from webhooks.endpoints import endpoints_changed
from webhooks.models import (
    RULE_EVENT_TYPE,
    TEST_EVENT_TYPE,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.network import url_refusal
from webhooks.payloads import TicketFacts, ping_body, rule_body
from webhooks.signing import new_secret, new_webhook_id
from webhooks.wakeup import endpoints_wake_on_commit

logger = logging.getLogger(__name__)

PREVIOUS_SECRET_VALID = timedelta(hours=24)
URL_MAX_LENGTH = 2000
# What an endpoint may list in `events`: notes are sent only with include_notes.
SUBSCRIBABLE = tuple(t for t in EventType.values if t != EventType.NOTE_CREATED)

NOTHING_SUBSCRIBED = "Choose at least one event, or include internal notes."
DISABLED_NOT_SENT = "Not sent: the endpoint was disabled ({reason})"


def may_manage_webhooks(user) -> bool:
    """The one answer to "may this person see and change webhook endpoints" (the admin and
    the API's /api/v1/webhooks/): an active superuser. An endpoint's secret signs what the
    help desk sends, and an endpoint may receive internal notes, so nobody less."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


class InvalidEndpointSetting(InvalidInput):
    """A setting an endpoint cannot have; `field` names it (None: the settings together),
    so a form or the API shows the message beside the field."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EndpointSettings:
    url: str
    events: list[str]
    include_notes: bool
    owner_email: str
    description: str
    is_active: bool


def webhook_endpoint_settings_check(
    *,
    url: str,
    events: Iterable[str],
    include_notes: bool = False,
    owner_email: str = "",
    description: str = "",
    is_active: bool = True,
) -> EndpointSettings:
    """The settings as they will be stored, or InvalidInput saying what is wrong."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX_LENGTH:
        raise InvalidEndpointSetting(
            f"Enter the endpoint's URL (at most {URL_MAX_LENGTH} characters).", field="url"
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidEndpointSetting(
            "Enter a valid http:// or https:// URL.", field="url"
        ) from None
    refusal = url_refusal(url)
    if refusal:
        raise InvalidEndpointSetting(refusal, field="url")
    chosen = list(dict.fromkeys(events or ()))
    unknown = [e for e in chosen if e not in SUBSCRIBABLE]
    if unknown:
        raise InvalidEndpointSetting(f"Unknown event types: {', '.join(unknown)}.", field="events")
    if not chosen and not include_notes:
        raise InvalidEndpointSetting(NOTHING_SUBSCRIBED, field="events")
    owner_email = (owner_email or "").strip()
    if owner_email:
        try:
            EmailValidator()(owner_email)
        except ValidationError:
            raise InvalidEndpointSetting(
                "Enter a valid email address for the owner.", field="owner_email"
            ) from None
    return EndpointSettings(
        url=url,
        events=[e for e in SUBSCRIBABLE if e in chosen],
        include_notes=bool(include_notes),
        owner_email=owner_email,
        description=(description or "").strip()[:200],
        is_active=bool(is_active),
    )


def webhook_endpoint_create(
    *, settings_: EndpointSettings, departments: Sequence = (), by
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (the caller shows the secret once, then forgets it)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=settings_.url,
            events=settings_.events,
            include_notes=settings_.include_notes,
            owner_email=settings_.owner_email,
            description=settings_.description,
            is_active=settings_.is_active,
            secret=new_secret(),
            created_at=now,
            updated_at=now,
        )
        endpoint.departments.set(departments)
        endpoints_changed()
    logger.info("Webhook endpoint %s created by %s", endpoint.pk, by)
    return endpoint, endpoint.secret


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, settings_: EndpointSettings, departments: Sequence = (), by
) -> WebhookEndpoint:
    """Change what an endpoint gets. Turning a disabled endpoint on again starts it afresh:
    its failure streak and the circuit breaker's pause are forgotten."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        switched_on = settings_.is_active and not endpoint.is_active
        switched_off = endpoint.is_active and not settings_.is_active
        for name in ("url", "events", "include_notes", "owner_email", "description", "is_active"):
            setattr(endpoint, name, getattr(settings_, name))
        endpoint.updated_at = timezone.now()
        if switched_on:
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
            endpoint.failing_since, endpoint.paused_until = None, None
            endpoint.breaker_reset_at = endpoint.updated_at
        endpoint.save()
        endpoint.departments.set(departments)
        if switched_off:
            _give_up_outstanding(endpoint, f"turned off by {by}")
        endpoints_changed()
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, by
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one still signs, beside it, for 24 hours. Returns the endpoint
    and the new secret (the caller shows it once)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID
        endpoint.secret = new_secret()
        endpoint.updated_at = now
        endpoint.save(
            update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated_at"]
        )
    logger.info("Webhook endpoint %s: secret rotated by %s", endpoint.pk, by)
    return endpoint, endpoint.secret


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """The worker gives up on an endpoint (410 Gone, three days of failures): no more
    deliveries, the outstanding ones given up, and its owner told after commit."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not endpoint.is_active:
            return
        now = timezone.now()
        endpoint.is_active = False
        endpoint.disabled_at, endpoint.disabled_reason = now, reason[:300]
        endpoint.sender_until = None
        endpoint.save(
            update_fields=["is_active", "disabled_at", "disabled_reason", "sender_until"]
        )
        _give_up_outstanding(endpoint, reason)
        endpoints_changed()
        transaction.on_commit(lambda: _tell_owner(endpoint), robust=True)
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)


def _give_up_outstanding(endpoint: WebhookEndpoint, reason: str) -> None:
    WebhookDelivery.objects.filter(
        endpoint=endpoint, state__in=[WebhookDelivery.State.PENDING, WebhookDelivery.State.FAILED]
    ).update(
        state=WebhookDelivery.State.DEAD,
        next_attempt_at=None,
        last_error=DISABLED_NOT_SENT.format(reason=reason)[:500],
    )


def _tell_owner(endpoint: WebhookEndpoint) -> None:
    context = {"endpoint": endpoint, "site_name": settings.SITE_NAME}
    subject = " ".join(render_to_string("emails/webhook_disabled.subject.txt", context).split())
    text = render_to_string("emails/webhook_disabled.txt", context)
    html = render_to_string("emails/webhook_disabled.html", context)
    if endpoint.owner_email:
        send_mail(subject, text, None, [endpoint.owner_email], html_message=html)
    else:
        mail_admins(subject, text, html_message=html)


def webhook_deliveries_redeliver(*, deliveries: Iterable[WebhookDelivery], by) -> int:
    """Send again, as they were (same body, same webhook-id), with a fresh retry schedule.
    Deliveries of disabled endpoints wait until the endpoint is turned on again."""
    ids = [d.pk for d in deliveries]
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=ids)
            .values_list("pk", "endpoint_id")
        )
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            state=WebhookDelivery.State.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            dispatched_until=None,
            last_error=f"Redelivery asked for by {by}"[:500],
        )
        endpoints_wake_on_commit(endpoint_id for _, endpoint_id in rows)
    return len(rows)


def webhook_send_test(*, endpoint: WebhookEndpoint, by) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint, whatever it subscribes to."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            webhook_id=new_webhook_id(),
            event_type=TEST_EVENT_TYPE,
            payload=ping_body(endpoint_id=endpoint.pk, at=now),
            next_attempt_at=now,
            created_at=now,
        )
        endpoints_wake_on_commit([endpoint.pk])
    logger.info("Webhook endpoint %s: test event sent by %s", endpoint.pk, by)
    return delivery


def webhook_call_for_rule(*, endpoint: WebhookEndpoint, ticket, rule: dict) -> WebhookDelivery:
    """An `automation.rule` delivery to this endpoint about the ticket, in the caller's
    transaction (the rule's): sent after commit by the endpoint's sender, with its retries.
    A disabled endpoint gets nothing."""
    if not endpoint.is_active:
        raise InvalidInput(f"The webhook endpoint {endpoint} is disabled.")
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        webhook_id=new_webhook_id(),
        event_type=RULE_EVENT_TYPE,
        payload=rule_body(facts=TicketFacts.of(ticket), rule=rule, at=now),
        ticket_id=ticket.pk,
        next_attempt_at=now,
        created_at=now,
    )
    endpoints_wake_on_commit([endpoint.pk])
    return delivery


def webhook_log_prune(*, now: datetime | None = None) -> int:
    """Attempts, and finished deliveries, older than WEBHOOK_LOG_RETENTION_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    attempts, _ = WebhookAttempt.objects.filter(at__lt=cutoff).delete()
    deliveries, _ = WebhookDelivery.objects.filter(
        created_at__lt=cutoff,
        state__in=[WebhookDelivery.State.DELIVERED, WebhookDelivery.State.DEAD],
    ).delete()
    return attempts + deliveries
