"""Forms for people: the admin's time zone field, sign-up, login, profile, reset."""

import functools
import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError

from accounts.ldap import refusal
from accounts.ratelimit import client_ip, login_failed, login_is_locked, login_succeeded
from accounts.services import user_request_password_reset


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneFormField(forms.TypedChoiceField):
    """A select of the IANA zones, so nobody has to type "America/New_York" by hand."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", time_zone_choices)
        kwargs.setdefault("initial", "UTC")
        super().__init__(**kwargs)


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We'll send a link to this address to confirm it's yours.",
    )


class ConfirmSignupForm(SetPasswordForm):
    """Choosing a password from the emailed sign-up link, with the name to show."""

    display_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    field_order = ["display_name", "new_password1", "new_password2"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["display_name"].initial = user.display_name
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type it again"


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text="How agents and emails address you.",
    )
    time_zone = TimeZoneFormField(
        label="Time zone", help_text="Times on these pages are shown in this zone."
    )
    weekly_report_email = forms.BooleanField(
        label="Weekly report email",
        required=False,
        help_text="As a department manager, get the department's figures of the past week "
        "every Monday morning, with a link to the reports.",
    )

    satisfaction_surveys = forms.BooleanField(
        label="Satisfaction surveys",
        required=False,
        help_text="After a ticket of yours is resolved, get one short email asking how we did.",
    )

    def __init__(self, *args, agent: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not agent:  # the weekly figures go to managers, who are agents
            del self.fields["weekly_report_email"]


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing an email from an address after repeated failures.

    The counter is per email and client address, so someone guessing one account's
    password is stopped without locking its owner out from everywhere else.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. "
        "Passwords are case-sensitive.",
        "throttled": "Too many failed attempts. Please wait a few minutes, or reset your "
        "password.",
    }

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        ip = client_ip(self.request) if self.request is not None else ""
        if email and login_is_locked(email=email, ip=ip):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError as error:
            # A directory that cannot be reached is nobody's guess at a password.
            if email and getattr(error, "code", None) != "directory_unreachable":
                login_failed(email=email, ip=ip)
            raise
        login_succeeded(email=email, ip=ip)
        return cleaned

    def get_invalid_login_error(self):
        # The company directory's reason, when it had one (accounts/ldap.py).
        refused = refusal(self.request)
        if refused:
            code, message = refused
            return ValidationError(message, code=code)
        return super().get_invalid_login_error()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the email made and sent by the worker (accounts/emails.py)."""

    def save(self, **kwargs):
        user_request_password_reset(
            email=self.cleaned_data["email"], request=kwargs.get("request")
        )


class TwoFactorCodeForm(forms.Form):
    """The code step after the password: a code from the app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
    )
    trust = forms.BooleanField(label="Trust this browser for 30 days", required=False)

    def __init__(self, *args, trust_days: int = 30, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trust"].label = f"Trust this browser for {trust_days} days"
        self.fields[
            "trust"
        ].help_text = "No code is asked here again until then. Only on a computer that is yours."


class TwoFactorEnrolForm(forms.Form):
    """Setting up an authenticator app: the code it shows proves it has the secret."""

    code = forms.CharField(
        label="Code from your app",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        help_text="The 6-digit code the app shows for this account.",
    )
