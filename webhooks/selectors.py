"""Every read of webhook endpoints and deliveries that an interface needs (the API's
/api/v1/webhooks/), each with what its answer shows already fetched."""

from collections.abc import Sequence

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Department
from webhooks.models import WebhookDelivery, WebhookEndpoint

# What an endpoint's answer shows: never the secrets, which are shown once, when made.
_ENDPOINT_FIELDS = (
    "id",
    "url",
    "description",
    "events",
    "include_notes",
    "is_active",
    "owner_email",
    "previous_secret_expires_at",
    "disabled_at",
    "disabled_reason",
    "failing_since",
    "paused_until",
    "created_at",
    "updated_at",
)


def _endpoints() -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.only(*_ENDPOINT_FIELDS)
        .prefetch_related(Prefetch("departments", queryset=Department.objects.only("id")))
        .order_by("id")
    )


def webhook_endpoint_list(*, after_id: int = 0, limit: int) -> list[WebhookEndpoint]:
    """Endpoints by id, after `after_id`: one more than `limit`, so the caller knows
    whether there is a next page."""
    return list(_endpoints().filter(pk__gt=after_id)[: limit + 1])


def webhook_endpoint_get(*, pk: int) -> WebhookEndpoint | None:
    return _endpoints().filter(pk=pk).first()


def webhook_departments_of(*, ids: Sequence[int]) -> tuple[list[Department], list[int]]:
    """The departments with these ids, and the ids that name none."""
    found = list(Department.objects.filter(pk__in=ids).only("id"))
    known = {d.pk for d in found}
    return found, [pk for pk in dict.fromkeys(ids) if pk not in known]


def webhook_delivery_list(
    *, endpoint: WebhookEndpoint, before_id: int | None = None, limit: int
) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first (its index, webhook_delivery_endpoint), after
    the delivery `before_id` in that order: one more than `limit`, so the caller knows
    whether there is a next page. Not the payloads."""
    rows = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .defer("payload")
        .order_by("-created_at", "-id")
    )
    if before_id is not None:
        mark = (
            WebhookDelivery.objects.filter(endpoint=endpoint, pk=before_id)
            .values_list("created_at", flat=True)
            .first()
        )
        if mark is None:
            return []
        rows = rows.filter(Q(created_at__lt=mark) | Q(created_at=mark, pk__lt=before_id))
    return list(rows[: limit + 1])


def webhook_delivery_get(*, endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(endpoint=endpoint, pk=pk).defer("payload").first()
