"""Forms that make API keys: the desk's page here, the admin's in api/admin.py. Both check a
key's settings with api.keys.api_key_settings_check (the command and the services do too)
and show its messages beside the fields they concern."""

import dataclasses
import re
from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.models import User
from api.keys import (
    MAX_REQUESTS_PER_MINUTE,
    InvalidKeySetting,
    KeySettings,
    api_key_settings_check,
)
from api.models import Scope
from api.selectors import api_key_acting_agents

MAX_EXPIRY_DAYS = 3650
NETWORKS_HELP = (
    "One address or CIDR range per line (IPv4 or IPv6), e.g. 192.0.2.0/24. Empty: any "
    "address. Required for the osTicket scopes, unless any address is explicitly allowed "
    "below."
)
ANY_ADDRESS_HELP = (
    "osTicket's scripts prove who they are by the key and their address alone, and "
    "osTicket itself never allows a key from anywhere: tick this only for a key behind "
    "another access control."
)


def split_networks(text: str) -> list[str]:
    """A typed list of addresses: one a line, or separated by commas or spaces."""
    return [part for part in re.split(r"[\s,]+", text or "") if part]


class KeySettingsCheck:
    """For a form: api_key_settings_check on its cleaned data, its refusal shown as an
    error of the field it names (`setting_fields` renames those this form calls otherwise)."""

    setting_fields: dict[str, str] = {}

    def check_settings(self, **settings) -> KeySettings | None:
        try:
            return api_key_settings_check(**settings)
        except InvalidKeySetting as error:
            self.show_setting_error(error)
            return None

    def show_setting_error(self, error: InvalidKeySetting) -> None:
        field = self.setting_fields.get(error.field, error.field)
        self.add_error(field if field in self.fields else None, error.message)


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.display_name
        return f"{name} <{obj.email}>" if name else obj.email


class ApiKeyCreateForm(KeySettingsCheck, forms.Form):
    """The desk's "New API key" form."""

    setting_fields = {"expires_at": "expires_in_days"}

    name = forms.CharField(
        max_length=100,
        help_text="What uses it, so that you know which key to revoke: e.g. Nagios.",
    )
    user = AgentChoiceField(
        label="Acts as",
        queryset=User.objects.none(),
        empty_label="Choose an agent",
        help_text="The key can do what this agent can, in their departments; the ticket "
        "history names them, via this key.",
    )
    # Not required here: the service's own message says what is missing.
    scopes = forms.MultipleChoiceField(
        choices=[(value, f"{label} ({value})") for value, label in Scope.choices],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    allowed_networks = forms.CharField(
        label="Allowed IP ranges",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=NETWORKS_HELP,
    )
    allow_any_address = forms.BooleanField(
        label="Allow the osTicket scopes from any address (not recommended)",
        required=False,
        help_text=ANY_ADDRESS_HELP,
    )
    requests_per_minute = forms.IntegerField(
        label="Rate limit (requests a minute)",
        min_value=1,
        max_value=MAX_REQUESTS_PER_MINUTE,
        initial=120,
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        help_text="Empty: the key does not expire (it can be revoked at any time).",
    )

    def __init__(self, *args, by, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = api_key_acting_agents(by=by)
        self.checked: KeySettings | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        days = data.get("expires_in_days")
        self.checked = self.check_settings(
            name=data["name"],
            user=data["user"],
            scopes=data["scopes"],
            allowed_networks=split_networks(data["allowed_networks"]),
            allow_any_address=data["allow_any_address"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
            requests_per_minute=data["requests_per_minute"],
        )
        return data

    def settings(self) -> dict:
        """The checked settings, as api_key_create takes them."""
        return dataclasses.asdict(self.checked)
