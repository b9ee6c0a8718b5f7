"""API keys in the admin: made here (the whole key is shown once, on the page that follows
the save, never stored or sent in a message), changed in what they may do, revoked."""

import dataclasses

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from api.forms import KeySettingsCheck
from api.keys import (
    api_key_create,
    api_key_revoke,
    api_key_update,
    may_act_as,
    may_manage_api_keys,
)
from api.models import OSTICKET_SCOPES, ApiKey, OsTicketMapping, Scope
from api.selectors import api_key_acting_agents


class ApiKeyForm(KeySettingsCheck, forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
    allowed_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address or CIDR range per line (IPv4 or IPv6). Required for the "
        "osTicket scopes, unless any address is explicitly allowed below.",
    )

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "user",
            "scopes",
            "allowed_networks",
            "allow_any_address",
            "requests_per_minute",
            "expires_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_networks"] = "\n".join(self.instance.allowed_networks)

    def clean_allowed_networks(self):
        return self.cleaned_data["allowed_networks"].splitlines()

    def clean(self):
        data = super().clean()
        user = data.get("user") or (self.instance.user if self.instance.pk else None)
        if self.errors:
            return data
        self.checked = self.check_settings(
            name=data.get("name"),
            user=user,
            scopes=data.get("scopes", []),
            allowed_networks=data.get("allowed_networks", []),
            allow_any_address=data.get("allow_any_address", False),
            expires_at=data.get("expires_at"),
            requests_per_minute=data.get("requests_per_minute"),
            exclude_pk=self.instance.pk,
        )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "user", "scope_list", "state", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # The acting agent is the key's identity: a new one needs a new key.
        return (*self.readonly_fields, "user") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = api_key_acting_agents(by=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Keys act as agents: only those allowed to manage keys make or change them, and only
    # superusers a key acting as a superuser (api.keys says so too).
    def has_add_permission(self, request):
        return may_manage_api_keys(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_api_keys(request.user) and (
            obj is None or may_act_as(request.user, obj.user)
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the history names the key

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj: ApiKey) -> str:
        return obj.state()

    def save_model(self, request, obj, form, change):
        settings = dataclasses.asdict(form.checked)
        if change:
            api_key_update(key=obj, by=request.user, request=request, **settings)
            return
        issued = api_key_create(
            user=form.cleaned_data["user"], by=request.user, request=request, **settings
        )
        obj.pk, obj.prefix = issued.key.pk, issued.key.prefix
        obj._state.adding = False
        request._issued_api_key = issued.plaintext

    def response_add(self, request, obj, post_url_continue=None):
        plaintext = getattr(request, "_issued_api_key", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "admin/api/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "title": f"API key {obj.name} created",
                "key": obj,
                "plaintext": plaintext,
                "opts": self.model._meta,
                "warn_any_address": obj.allow_any_address
                and bool(OSTICKET_SCOPES & set(obj.scopes)),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key, by=request.user, request=request)
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(OsTicketMapping)
class OsTicketMappingAdmin(admin.ModelAdmin):
    """osTicket's ids for our help topics, departments, plans, agents, statuses and
    priorities: what osTicket's clients send in topicId, deptId and the rest."""

    list_display = ["kind", "osticket_id", "our_id", "note"]
    list_filter = ["kind"]
    search_fields = ["note", "our_id"]
