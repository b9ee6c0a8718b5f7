"""Two-factor authentication: who needs it, enrolment, the code step, recovery codes,
trusted browsers and an admin's reset (docs/decisions/0024-two-factor.md).

A person's second factor is one confirmed TOTP device (an authenticator app) and one
static device holding their single-use recovery codes; both come and go together. Every
change of that state is a `two_factor_*` service here, the one place to record it.
"""

import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts.audit import AuditKind, audit_record
from accounts.models import User
from accounts.roles import agent_of

# What a signed-in session still owes, kept in the session when it logs in (see
# `two_factor_session_start`): nothing, or a step to take before anything else.
SESSION_KEY = "two_factor"
STEP_NONE = "none"
STEP_PENDING = "pending"
# An enrolment in progress: the secret lives in the session until a code proves the app
# has it, so an abandoned enrolment leaves nothing in the database.
ENROL_KEY_SESSION_KEY = "two_factor_enrol_key"

TRUST_COOKIE = "trusted_browser"
TRUST_SALT = "accounts.two_factor.trusted-browser"

TOTP_NAME = "Authenticator app"
TOTP_DIGITS = 6
RECOVERY_NAME = "Recovery codes"


class TwoFactorError(Exception):
    """A two-factor change that cannot be made; the message is for the person."""


WRONG_CODE = "That code is not right. Check the time on your phone, or use a recovery code."
WRONG_ENROL_CODE = (
    "That code is not right. Scan the QR code again (or type the key) and enter the "
    "code your app shows now."
)
ALREADY_ENROLLED = "Two-factor authentication is already set up for this account."
REQUIRED_FOR_STAFF = (
    "Agents and admins must keep two-factor authentication on. Ask an admin to reset it "
    "if you need to set it up again."
)


# Who needs what -------------------------------------------------------------------


def is_staff_member(user) -> bool:
    """Agents and admins: superusers, users who may use the admin, anyone with an agent
    profile. These are the people REQUIRE_STAFF_2FA is about."""
    return bool(user.is_superuser or user.is_staff or agent_of(user))


def is_verified(user) -> bool:
    """Whether this session passed the code step (django-otp's middleware sets
    `otp_device` on request.user; a user fresh from a login form has none yet)."""
    return getattr(user, "otp_device", None) is not None


def two_factor_required(user) -> bool:
    return bool(settings.REQUIRE_STAFF_2FA and is_staff_member(user))


def totp_device_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def two_factor_step(user) -> str | None:
    """What a password-only session of `user` must do next: "verify" (they have a second
    factor), "enrol" (they must set one up), or None (nothing)."""
    if is_verified(user):
        return None
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return "verify"
    if two_factor_required(user):
        return "enrol"
    return None


def with_next(url_name: str, next_url: str) -> str:
    """`url_name`'s address with `next`, spelled as Django's own login redirect spells it."""
    return f"{reverse(url_name)}?{urlencode({'next': next_url}, safe='/')}"


def step_url(step: str, next_url: str) -> str:
    """The page of a step ("verify" or "enrol"), then on to `next_url`."""
    return with_next(f"accounts:two_factor_{step}", next_url)


def two_factor_session_start(request, user) -> None:
    """Called on every login (the user_logged_in signal, so every way in is covered: the
    login form, sign-up confirmation, the directory and single sign-on later): note in
    the session whether a step is owed, so that later requests need not ask the database.
    A trusted browser skips the code step here."""
    step = two_factor_step(user)
    if step == "verify":
        device = trusted_device(request, user)
        if device is not None:
            django_otp.login(request, device)
            step = None
    request.session[SESSION_KEY] = STEP_PENDING if step else STEP_NONE


# Enrolment ------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh TOTP secret, hex as TOTPDevice stores it."""
    return default_key()


def secret_for_people(key_hex: str) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(unhexlify(key_hex)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(*, user: User, key_hex: str) -> str:
    # TOTPDevice knows the otpauth:// format (issuer, label, parameters); an unsaved one
    # is enough to ask.
    return TOTPDevice(user=user, key=key_hex).config_url


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URL, made here on the server (CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, light="#fff")


def _normalize(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def _totp_matches(key_hex: str, token: str) -> int | None:
    """The time step `token` is valid for under `key_hex` (one step either side), or None."""
    token = _normalize(token)
    if not token.isdigit():
        return None
    totp = TOTP(unhexlify(key_hex))
    totp.time = time.time()
    if totp.verify(int(token), tolerance=1):
        return totp.t()
    return None


def _new_recovery_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _lock_user(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def two_factor_enrol(
    *, user: User, key_hex: str, token: str, request=None
) -> tuple[TOTPDevice, list[str]]:
    """The person's app shows a code for the secret they were given: the app becomes their
    second factor, and they get a fresh set of recovery codes (returned, shown once)."""
    user = _lock_user(user)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TwoFactorError(ALREADY_ENROLLED)
    step = _totp_matches(key_hex, token)
    if step is None:
        raise TwoFactorError(WRONG_ENROL_CODE)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # last_t: the code just typed cannot be used again to log in.
    device = TOTPDevice.objects.create(
        user=user, name=TOTP_NAME, key=key_hex, confirmed=True, last_t=step
    )
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = _new_recovery_codes(recovery)
    audit_record(
        kind=AuditKind.TWO_FACTOR_ENROLLED,
        actor=user,
        request=request,
        target=user,
        data={"device": device.pk},
    )
    return device, codes


def two_factor_verify(*, user: User, token: str):
    """The code step: a code from the app, or one of the recovery codes (used up). The
    device that accepted it, or None. django-otp refuses a TOTP code used before and
    slows down repeated failures per device."""
    token = _normalize(token)
    if not token:
        return None
    # Six digits are for the app, anything else is a recovery code: each device counts
    # its own failures, so using a recovery code must not count against the app.
    model = TOTPDevice if token.isdigit() and len(token) <= TOTP_DIGITS else StaticDevice
    with transaction.atomic():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in devices:
            if device.verify_token(token):
                return device
    return None


@transaction.atomic
def two_factor_recovery_codes_regenerate(*, user: User, request=None) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    user = _lock_user(user)
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise TwoFactorError("Set up two-factor authentication first.")
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = _new_recovery_codes(device)
    audit_record(
        kind=AuditKind.TWO_FACTOR_ENROLLED,
        actor=user,
        request=request,
        target=user,
        data={"recovery_codes": "made anew"},
    )
    return codes


def _delete_devices(user: User) -> bool:
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    deleted_static, _ = StaticDevice.objects.filter(user=user).delete()
    return bool(deleted or deleted_static)


@transaction.atomic
def two_factor_remove(*, user: User, request=None) -> None:
    """The person turns their own second factor off (not allowed where it is required).
    Browsers they trusted stop being trusted: the device they were bound to is gone."""
    user = _lock_user(user)
    if two_factor_required(user):
        raise TwoFactorError(REQUIRED_FOR_STAFF)
    if _delete_devices(user):
        audit_record(kind=AuditKind.TWO_FACTOR_REMOVED, actor=user, request=request, target=user)


@transaction.atomic
def two_factor_reset(*, user: User, by: User, request=None) -> bool:
    """An admin takes away someone's second factor (a lost phone): their app and recovery
    codes stop working, browsers they trusted stop being trusted, and a session that
    passed the code step must pass it again; staff set up a new one at their next page.
    True if there was anything to reset."""
    if by is None or not by.has_perm("accounts.change_user"):
        raise TwoFactorError("Only an admin may reset two-factor authentication.")
    user = _lock_user(user)
    reset = _delete_devices(user)
    if reset:
        audit_record(kind=AuditKind.TWO_FACTOR_RESET, actor=by, request=request, target=user)
    return reset


# Trusted browsers -----------------------------------------------------------------


def _device_digest(device: TOTPDevice) -> str:
    # Bound to the device's secret: a reset or removal (a new device) voids the cookie,
    # and the cookie, which the browser can read, never carries the secret itself.
    return salted_hmac(TRUST_SALT, device.key).hexdigest()[:32]


def trust_cookie_value(*, user: User, device: TOTPDevice) -> str:
    return signing.dumps({"u": user.pk, "d": _device_digest(device)}, salt=TRUST_SALT)


def trusted_device(request, user: User) -> TOTPDevice | None:
    """The user's app device, if this browser carries a valid "trust this browser" cookie
    for this user and this very device, younger than TWO_FACTOR_TRUST_DAYS."""
    value = request.COOKIES.get(TRUST_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(
            value, salt=TRUST_SALT, max_age=settings.TWO_FACTOR_TRUST_DAYS * 24 * 60 * 60
        )
    except signing.BadSignature:  # tampered with, or expired (SignatureExpired)
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    device = totp_device_of(user)
    if device is None or not constant_time_compare(str(data.get("d")), _device_digest(device)):
        return None
    return device


def set_trust_cookie(response, *, user: User, device: TOTPDevice) -> None:
    response.set_cookie(
        TRUST_COOKIE,
        trust_cookie_value(user=user, device=device),
        max_age=settings.TWO_FACTOR_TRUST_DAYS * 24 * 60 * 60,
        expires=None,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def two_factor_status(user) -> dict:
    """What the profile page says about the person's second factor."""
    device = totp_device_of(user)
    codes_left = 0
    if device is not None:
        codes_left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return {
        "enabled": device is not None,
        "required": two_factor_required(user),
        "codes_left": codes_left,
        "since": device.created_at if device is not None else None,
    }
