"""Two-factor pages: the code step after the password, enrolment (QR code and key), the
recovery codes, turning it off. Thin: a form validates, a two_factor_* service runs."""

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import two_factor
from accounts.audit import AuditKind, audit_record
from accounts.forms import TwoFactorCodeForm, TwoFactorEnrolForm
from accounts.ratelimit import two_factor_failed, two_factor_is_locked, two_factor_succeeded
from accounts.two_factor import (
    TwoFactorError,
    is_verified,
    set_trust_cookie,
    totp_device_of,
    two_factor_enrol,
    two_factor_recovery_codes_regenerate,
    two_factor_remove,
    two_factor_required,
    two_factor_verify,
)
from accounts.views import landing_url

TOO_MANY_CODES = "Too many wrong codes. Please wait a few minutes and try again."
NOT_VERIFIED = "Enter a code from your app first."


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return landing_url(request.user)


def _passed(request, device) -> None:
    """The session gave its second factor: a new session key (as at login), and django-otp
    remembers the device for the session's life."""
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[two_factor.SESSION_KEY] = two_factor.STEP_PENDING


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    user = request.user
    next_url = _next_url(request)
    if is_verified(user) or totp_device_of(user) is None:
        # Nothing to ask (the middleware sends staff without a device to enrolment).
        return redirect(next_url)
    form = TwoFactorCodeForm(request.POST or None, trust_days=settings.TWO_FACTOR_TRUST_DAYS)
    if request.method == "POST" and form.is_valid():
        response = _check_code(request, form, next_url)
        if response is not None:
            return response
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


def _check_code(request, form, next_url):
    user = request.user
    if two_factor_is_locked(user_pk=user.pk):
        form.add_error(None, TOO_MANY_CODES)
        return None
    device = two_factor_verify(user=user, token=form.cleaned_data["code"])
    if device is None:
        two_factor_failed(user_pk=user.pk)
        audit_record(kind=AuditKind.LOGIN_FAILED, request=request, data={"method": "two_factor"})
        form.add_error("code", two_factor.WRONG_CODE)
        return None
    two_factor_succeeded(user_pk=user.pk)
    method = "recovery_code" if isinstance(device, StaticDevice) else "totp"
    audit_record(kind=AuditKind.LOGIN_SUCCEEDED, request=request, data={"method": method})
    _passed(request, device)
    response = redirect(next_url)
    app = totp_device_of(user)
    if form.cleaned_data["trust"] and app is not None:
        set_trust_cookie(response, user=user, device=app)
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        messages.warning(
            request,
            f"You used a recovery code; {left} left. Make new ones on your profile page.",
        )
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    user = request.user
    next_url = _next_url(request)
    if totp_device_of(user) is not None:
        messages.info(request, two_factor.ALREADY_ENROLLED)
        return redirect("accounts:profile")
    key = request.session.get(two_factor.ENROL_KEY_SESSION_KEY)
    if not key:
        key = request.session[two_factor.ENROL_KEY_SESSION_KEY] = two_factor.new_secret()
    form = TwoFactorEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor_enrol(
                user=user, key_hex=key, token=form.cleaned_data["code"], request=request
            )
        except TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            del request.session[two_factor.ENROL_KEY_SESSION_KEY]
            _passed(request, device)
            return _show_codes(request, codes, next_url, enrolled=True)
    uri = two_factor.provisioning_uri(user=user, key_hex=key)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": two_factor.qr_code_data_uri(uri),
            "secret": two_factor.secret_for_people(key),
            "required": two_factor_required(user),
        },
    )


def _show_codes(request, codes, next_url, *, enrolled: bool):
    # Shown on this response only: the page is never cached and the codes are not kept
    # anywhere a later page could show them again.
    return render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {"codes": codes, "next": next_url, "enrolled": enrolled},
    )


def _refuse_unverified(request):
    messages.error(request, NOT_VERIFIED)
    return redirect(two_factor.step_url("verify", reverse("accounts:profile")))


@never_cache
@login_required
@require_POST
def recovery_codes(request):
    if not is_verified(request.user):
        return _refuse_unverified(request)
    try:
        codes = two_factor_recovery_codes_regenerate(user=request.user, request=request)
    except TwoFactorError as error:
        messages.error(request, str(error))
        return redirect("accounts:profile")
    return _show_codes(request, codes, reverse("accounts:profile"), enrolled=False)


@login_required
@require_POST
def remove(request):
    if not is_verified(request.user):
        return _refuse_unverified(request)
    try:
        two_factor_remove(user=request.user, request=request)
    except TwoFactorError as error:
        messages.error(request, str(error))
    else:
        request.session[two_factor.SESSION_KEY] = two_factor.STEP_NONE
        messages.success(request, "Two-factor authentication is off for your account.")
    return redirect("accounts:profile")
