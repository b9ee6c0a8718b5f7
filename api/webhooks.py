"""Webhook endpoints through the API (scope webhooks:manage), so an integration can
subscribe itself: the same checks and services as the admin (webhooks.services), and the
same rule for who may (webhooks.services.may_manage_webhooks: administrators).

A secret is in an answer once: creating an endpoint and rotating its secret answer it
(`secret`); listing and reading an endpoint never do. A retry of a create with the same
Idempotency-Key replays its answer, secret included, to the same key (api/idempotency.py),
rather than making a second endpoint. Every answer here is Cache-Control: no-store.
DELETE turns an endpoint off (is_active false, its owed deliveries given up) and keeps it
and its delivery log: PATCH `is_active: true` turns it on again."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.models import Scope
from api.requests import BIGINT, MAX_PAGE_SIZE, StrictSerializer
from api.views import ApiMixin, query_of
from api.writes import checked
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.selectors import (
    webhook_delivery_get,
    webhook_delivery_list,
    webhook_departments_of,
    webhook_endpoint_get,
    webhook_endpoint_list,
)
from webhooks.services import (
    SUBSCRIBABLE,
    InvalidEndpointSetting,
    may_manage_webhooks,
    webhook_deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_settings_check,
    webhook_endpoint_update,
)

MAY_NOT_MANAGE = "Only an administrator may manage webhook endpoints."
SETTINGS = ("url", "events", "include_notes", "owner_email", "description", "is_active")
MAX_EVENTS = 50
MAX_DEPARTMENTS = 500


# Input ------------------------------------------------------------------------------------


class WebhookEndpointInput(StrictSerializer):
    url = serializers.CharField(max_length=2000, help_text="http:// or https://")
    events = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=MAX_EVENTS,
        required=False,
        help_text="Event types: " + ", ".join(f"`{t}`" for t in SUBSCRIBABLE) + ".",
    )
    departments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT),
        max_length=MAX_DEPARTMENTS,
        required=False,
        help_text="Department ids: only their tickets. Empty: every department.",
    )
    include_notes = serializers.BooleanField(
        required=False, help_text="Send `ticket.note.created`: internal notes leave the desk."
    )
    owner_email = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="Told when the endpoint is disabled. Empty: the admins.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookEndpointPatch(WebhookEndpointInput):
    url = serializers.CharField(max_length=2000, required=False, help_text="http:// or https://")


class DeliveryQuery(StrictSerializer):
    before = serializers.IntegerField(
        min_value=1, max_value=BIGINT, required=False, help_text="From `next_before`."
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=25)


class EndpointQuery(StrictSerializer):
    after = serializers.IntegerField(
        min_value=0, max_value=BIGINT, default=0, help_text="From `next_after`."
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=100)


# Output -----------------------------------------------------------------------------------


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField())
    departments = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "departments",
            "include_notes",
            "owner_email",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "paused_until",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]

    def get_departments(self, endpoint) -> list[int]:
        return sorted(d.pk for d in endpoint.departments.all())


class WebhookEndpointWithSecret(WebhookEndpointSerializer):
    secret = serializers.SerializerMethodField(
        help_text="`whsec_...`: shown in this answer only. Keep it: it is never shown again."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]

    def get_secret(self, endpoint) -> str:
        return self.context["secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "ticket_id",
            "state",
            "attempts",
            "last_status",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]


ENDPOINT_PAGE = inline_serializer(
    "WebhookEndpointPage",
    {
        "results": WebhookEndpointSerializer(many=True),
        "next_after": serializers.IntegerField(allow_null=True),
    },
)
DELIVERY_PAGE = inline_serializer(
    "WebhookDeliveryPage",
    {
        "results": WebhookDeliverySerializer(many=True),
        "next_before": serializers.IntegerField(allow_null=True),
    },
)
NOT_FOUND = OpenApiResponse(description="No such endpoint (or delivery).")


# Views ------------------------------------------------------------------------------------


class WebhookView(ApiMixin, APIView):
    """A key needs webhooks:manage, and the person it acts as must be an administrator."""

    scopes = {"read": Scope.WEBHOOKS_MANAGE, "write": Scope.WEBHOOKS_MANAGE}

    def check_permissions(self, request):
        super().check_permissions(request)
        if not may_manage_webhooks(request.user):
            self.permission_denied(request, message=MAY_NOT_MANAGE)

    def finalize_response(self, request, response, *args, **kwargs):
        # Every answer, replays of an Idempotency-Key included: a create or rotate answer
        # carries a secret, and the rest is an administrator's view.
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def endpoint(self, pk: int) -> WebhookEndpoint:
        endpoint = webhook_endpoint_get(pk=pk)
        if endpoint is None:
            raise Http404("No such webhook endpoint.")
        return endpoint


def _settings(data: dict, departments_ids: list[int]):
    """The settings checked by the admin's own check, and the departments: errors as a 400
    naming the field."""
    departments, unknown = webhook_departments_of(ids=departments_ids)
    if unknown:
        raise ValidationError(
            {"departments": [f"No department with id {', '.join(map(str, unknown))}."]}
        )
    try:
        settings_ = webhook_endpoint_settings_check(
            **{"events": [], **{k: data[k] for k in SETTINGS if k in data}}
        )
    except InvalidEndpointSetting as error:
        raise ValidationError({error.field or "non_field_errors": [error.message]}) from None
    return settings_, departments


def _with_secret(endpoint: WebhookEndpoint, secret: str, code: int) -> Response:
    endpoint = webhook_endpoint_get(pk=endpoint.pk)
    body = WebhookEndpointWithSecret(endpoint, context={"secret": secret}).data
    return Response(body, status=code)


class WebhookEndpointCollection(WebhookView):
    """Webhook endpoints by id (`?after=` the last page's `next_after`). POST adds one; its
    answer carries the signing secret, once."""

    @extend_schema(
        operation_id="webhooks_list",
        description=__doc__,
        parameters=[EndpointQuery],
        responses=ENDPOINT_PAGE,
    )
    def get(self, request):
        query = query_of(EndpointQuery, request)
        rows = webhook_endpoint_list(after_id=query["after"], limit=query["limit"])
        page, more = rows[: query["limit"]], len(rows) > query["limit"]
        return Response(
            {
                "results": WebhookEndpointSerializer(page, many=True).data,
                "next_after": page[-1].pk if more else None,
            }
        )

    @extend_schema(
        operation_id="webhooks_create",
        request=WebhookEndpointInput,
        responses={201: WebhookEndpointWithSecret},
    )
    def post(self, request):
        data, _files = checked(WebhookEndpointInput, request)
        settings_, departments = _settings(data, data.get("departments", []))
        endpoint, secret = webhook_endpoint_create(
            settings_=settings_, departments=departments, by=request.user
        )
        return _with_secret(endpoint, secret, status.HTTP_201_CREATED)


class WebhookEndpointDetail(WebhookView):
    """One endpoint (never its secret). PATCH changes the fields sent; DELETE turns the
    endpoint off (is_active false), keeping it and its deliveries."""

    @extend_schema(
        operation_id="webhooks_retrieve",
        responses={200: WebhookEndpointSerializer, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        return Response(WebhookEndpointSerializer(self.endpoint(pk)).data)

    @extend_schema(
        operation_id="webhooks_update",
        request=WebhookEndpointPatch,
        responses={200: WebhookEndpointSerializer, 404: NOT_FOUND},
    )
    def patch(self, request, pk):
        endpoint = self.endpoint(pk)
        data, _files = checked(WebhookEndpointPatch, request)
        current = {name: getattr(endpoint, name) for name in SETTINGS}
        department_ids = data.get("departments", [d.pk for d in endpoint.departments.all()])
        settings_, departments = _settings({**current, **data}, department_ids)
        webhook_endpoint_update(
            endpoint=endpoint, settings_=settings_, departments=departments, by=request.user
        )
        return Response(WebhookEndpointSerializer(self.endpoint(pk)).data)

    @extend_schema(
        operation_id="webhooks_deactivate",
        description="Turns the endpoint off (is_active false) and gives up its owed "
        "deliveries; the endpoint and its delivery log stay. PATCH is_active true turns it "
        "on again.",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request, pk):
        endpoint = self.endpoint(pk)
        if endpoint.is_active:
            current = {name: getattr(endpoint, name) for name in SETTINGS}
            settings_, departments = _settings(
                {**current, "is_active": False}, [d.pk for d in endpoint.departments.all()]
            )
            webhook_endpoint_update(
                endpoint=endpoint, settings_=settings_, departments=departments, by=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotate(WebhookView):
    """A new signing secret, in this answer only; the previous one signs beside it for 24
    hours (`previous_secret_expires_at`), so a receiver can switch over."""

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        description=__doc__,
        request=None,
        responses={200: WebhookEndpointWithSecret, 404: NOT_FOUND},
    )
    def post(self, request, pk):
        endpoint, secret = webhook_endpoint_rotate_secret(
            endpoint=self.endpoint(pk), by=request.user
        )
        return _with_secret(endpoint, secret, status.HTTP_200_OK)


class WebhookDeliveryList(WebhookView):
    """An endpoint's deliveries, newest first: state, attempts, the last status and error.
    `?before=` the last page's `next_before` for older ones."""

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        description=__doc__,
        parameters=[DeliveryQuery],
        responses={200: DELIVERY_PAGE, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        endpoint = self.endpoint(pk)
        query = query_of(DeliveryQuery, request)
        rows = webhook_delivery_list(
            endpoint=endpoint, before_id=query.get("before"), limit=query["limit"]
        )
        page, more = rows[: query["limit"]], len(rows) > query["limit"]
        return Response(
            {
                "results": WebhookDeliverySerializer(page, many=True).data,
                "next_before": page[-1].pk if more else None,
            }
        )


class WebhookRedeliver(WebhookView):
    """Send a delivery again, as it was (the same body and webhook-id), with a fresh retry
    schedule. A disabled endpoint's delivery waits until the endpoint is turned on."""

    @extend_schema(
        operation_id="webhooks_redeliver",
        description=__doc__,
        request=None,
        responses={202: WebhookDeliverySerializer, 404: NOT_FOUND},
    )
    def post(self, request, pk, delivery_id):
        endpoint = self.endpoint(pk)
        delivery = webhook_delivery_get(endpoint=endpoint, pk=delivery_id)
        if delivery is None:
            raise Http404("No such delivery of this endpoint.")
        webhook_deliveries_redeliver(deliveries=[delivery], by=request.user)
        delivery = webhook_delivery_get(endpoint=endpoint, pk=delivery_id)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
