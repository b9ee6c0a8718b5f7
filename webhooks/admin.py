"""Webhooks in the admin: endpoints made and changed here (through webhooks.services), the
secret shown once on the page after it was made or rotated and never again; deliveries
and their attempts read-only, with "redeliver" and "send a test event"."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html

from accounts.admin import AuditedAdminMixin
from accounts.models import Department
from tickets.errors import InvalidInput
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    SUBSCRIBABLE,
    may_manage_webhooks,
    webhook_deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_settings_check,
    webhook_endpoint_update,
    webhook_send_test,
)

EVENT_CHOICES = [(t, t) for t in SUBSCRIBABLE]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only tickets of these departments. None ticked: every department.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "url",
            "description",
            "events",
            "departments",
            "include_notes",
            "owner_email",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.checked = webhook_endpoint_settings_check(
                url=data.get("url", ""),
                events=data.get("events", []),
                include_notes=data.get("include_notes", False),
                owner_email=data.get("owner_email", ""),
                description=data.get("description", ""),
                is_active=data.get("is_active", True),
            )
        except InvalidInput as error:
            raise ValidationError(error.message) from None
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "event_list", "is_active", "health", "owner_email")
    list_filter = ("is_active",)
    search_fields = ("url", "description", "owner_email")
    readonly_fields = (
        "secret_state",
        "disabled_at",
        "disabled_reason",
        "failing_since",
        "paused_until",
        "created_at",
        "updated_at",
    )
    actions = ["rotate_secret", "send_test_event"]

    # The secret signs what we send: only administrators see or change endpoints (the same
    # rule as the API's, webhooks.services.may_manage_webhooks).
    def has_module_permission(self, request):
        return may_manage_webhooks(request.user)

    def has_view_permission(self, request, obj=None):
        return may_manage_webhooks(request.user)

    def has_add_permission(self, request):
        return may_manage_webhooks(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_webhooks(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_manage_webhooks(request.user)

    @admin.display(description="events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        names = list(obj.events or [])
        if obj.include_notes:
            names.append("ticket.note.created")
        return ", ".join(names)

    @admin.display(description="health")
    def health(self, obj: WebhookEndpoint) -> str:
        if not obj.is_active:
            return "disabled" if obj.disabled_at else "off"
        if obj.paused_until:
            return f"paused until {obj.paused_until:%Y-%m-%d %H:%M} UTC"
        if obj.failing_since:
            return f"failing since {obj.failing_since:%Y-%m-%d %H:%M} UTC"
        return "ok"

    @admin.display(description="secret")
    def secret_state(self, obj: WebhookEndpoint) -> str:
        # Never the secret itself: it was shown once, when it was made.
        if not obj.pk:
            return "Made when you save; shown once, on the next page."
        text = "Set. Shown only when it is made: use “Rotate the secret” for a new one."
        if obj.previous_secret_expires_at:
            text += (
                f" The previous one also signs until "
                f"{obj.previous_secret_expires_at:%Y-%m-%d %H:%M} UTC."
            )
        return text

    def save_model(self, request, obj, form, change):
        departments = form.cleaned_data.get("departments") or []
        if change:
            webhook_endpoint_update(
                endpoint=obj, settings_=form.checked, departments=departments, by=request.user
            )
            return
        endpoint, secret = webhook_endpoint_create(
            settings_=form.checked, departments=departments, by=request.user
        )
        obj.pk = endpoint.pk
        obj._state.adding = False
        request._webhook_secrets = [(endpoint, secret)]

    def save_related(self, request, form, formsets, change):
        # The services set the departments; the form's own m2m save would do it again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def response_add(self, request, obj, post_url_continue=None):
        shown = getattr(request, "_webhook_secrets", None)
        if not shown:
            return super().response_add(request, obj, post_url_continue)
        return self._secrets_page(request, shown, "Webhook endpoint created")

    def _secrets_page(self, request, shown, title):
        response = TemplateResponse(
            request,
            "admin/webhooks/webhookendpoint/secret.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "shown": shown,
                "opts": self.model._meta,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Rotate the secret (the old one signs too for 24 hours)")
    def rotate_secret(self, request, queryset):
        shown = [
            webhook_endpoint_rotate_secret(endpoint=endpoint, by=request.user)
            for endpoint in queryset
        ]
        return self._secrets_page(request, shown, "New webhook secrets")

    @admin.action(description="Send a test event (webhook.test)")
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            webhook_send_test(endpoint=endpoint, by=request.user)
        messages.success(
            request, f"Queued a test event for {queryset.count()} endpoint(s): see the deliveries."
        )


class WebhookAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ("at", "succeeded", "status_code", "duration_ms", "error", "excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at", "-id")

    @admin.display(description="answer (first 4 kB)")
    def excerpt(self, obj: WebhookAttempt) -> str:
        return format_html("<pre>{}</pre>", obj.response_excerpt) if obj.response_excerpt else ""


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "state",
        "attempts",
        "last_status",
        "next_attempt_at",
        "webhook_id",
    )
    list_filter = ("state", "event_type", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("webhook_id", "=ticket_id")
    fields = (
        "endpoint",
        "event_type",
        "webhook_id",
        "ticket_id",
        "state",
        "attempts",
        "next_attempt_at",
        "last_status",
        "last_error",
        "created_at",
        "delivered_at",
        "body",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    show_full_result_count = False

    def has_redeliver_permission(self, request):
        return may_manage_webhooks(request.user)

    @admin.display(description="payload")
    def body(self, obj: WebhookDelivery) -> str:
        try:
            pretty = json.dumps(json.loads(obj.payload), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = obj.payload
        return format_html("<pre>{}</pre>", pretty)

    @admin.action(description="Redeliver (same body and webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        count = webhook_deliveries_redeliver(deliveries=queryset, by=request.user)
        messages.success(request, f"Queued {count} delivery(ies) again.")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "at",
        "endpoint",
        "delivery",
        "succeeded",
        "status_code",
        "duration_ms",
        "error",
    )
    list_filter = ("succeeded", "endpoint")
    list_select_related = ("endpoint", "delivery")
    search_fields = ("=delivery__webhook_id", "error")
    fields = (
        "at",
        "endpoint",
        "delivery",
        "succeeded",
        "status_code",
        "duration_ms",
        "error",
        "excerpt",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="answer (first 4 kB)")
    def excerpt(self, obj: WebhookAttempt) -> str:
        return format_html("<pre>{}</pre>", obj.response_excerpt) if obj.response_excerpt else ""
