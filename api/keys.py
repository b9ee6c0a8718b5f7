"""API keys: making, checking and revoking them. The one place that knows the key format.

A key is `hd_<prefix>_<secret>`: the prefix (8 hex digits) finds the row, the secret
(256 random bits) proves it. Only SHA-256 of prefix and secret is stored, so the database
cannot give a key away; a slow hash is not needed, because the secret is random, not a
password a person chose. Comparison is constant-time.

A key brought over from osTicket (api_key_import) keeps its text, whatever it is (osTicket
makes 32 hexadecimal digits): its prefix is `o` and 15 hex digits of the text's SHA-256,
so the row is found from the text alone, and only the same digest of prefix and text is
stored. Such a prefix is 16 characters, ours 8: the two never meet.
"""

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import AuditKind, audit_record
from accounts.roles import is_agent, is_system
from api.models import OSTICKET_SCOPES, ApiKey, Scope
from tickets.errors import InvalidInput, NotPermitted

KEY_PREFIX = "hd"
# last_used_at is written at most this often per key: a busy script does not turn every
# request into an UPDATE.
LAST_USED_PRECISION = timedelta(minutes=1)


# Who may make, change and revoke keys: Django's own permissions on the model, which
# superusers have and an admin gives to a group ("Can add API key", "Can change API key").
MANAGE_PERMISSIONS = ("api.add_apikey", "api.change_apikey")
MAY_NOT_MANAGE = "You may not {verb} API keys: that needs the permission to manage them."
ACTS_AS_ADMINISTRATOR = "Only an administrator can {verb} a key that acts as an administrator."
MAX_REQUESTS_PER_MINUTE = 100_000


def may_manage_api_keys(user) -> bool:
    """The one answer to "may this person manage API keys" (the desk's page, the admin,
    the services below): an active agent holding both MANAGE_PERMISSIONS."""
    return is_agent(user) and user.is_active and user.has_perms(MANAGE_PERMISSIONS)


class InvalidKeySetting(InvalidInput):
    """A setting a key cannot have; `field` names it (None: the settings together), so a
    form shows the message beside the field."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def _digest(prefix: str, secret: str) -> str:
    return hashlib.sha256(f"{prefix}:{secret}".encode()).hexdigest()


def parse_scopes(values) -> list[str]:
    scopes = sorted({str(v).strip() for v in values if str(v).strip()})
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise InvalidKeySetting(
            f"Unknown scope {', '.join(unknown)}; the scopes are {', '.join(Scope.values)}.",
            field="scopes",
        )
    if not scopes:
        raise InvalidKeySetting("A key needs at least one scope.", field="scopes")
    return scopes


def parse_networks(values) -> list[str]:
    """Addresses and CIDR ranges, IPv4 or IPv6, in their canonical form."""
    networks = []
    for value in values:
        value = str(value).strip()
        if not value:
            continue
        try:
            networks.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            raise InvalidKeySetting(
                f"{value!r} is not an IP address or CIDR range.", field="allowed_networks"
            ) from None
    return sorted(set(networks))


# What a key's owner may change after it was made (never its secret or its agent).
SETTINGS_FIELDS = (
    "name",
    "scopes",
    "allowed_networks",
    "allow_any_address",
    "expires_at",
    "requests_per_minute",
)


@dataclass(frozen=True)
class KeySettings:
    """What a key is allowed, checked: the same checks for the admin's form and the
    service (the form shows them as field errors)."""

    name: str
    scopes: list[str]
    allowed_networks: list[str]
    allow_any_address: bool
    expires_at: object
    requests_per_minute: int


def api_key_settings_check(
    *,
    name: str,
    user,
    scopes,
    allowed_networks=(),
    allow_any_address: bool = False,
    expires_at=None,
    requests_per_minute: int = 120,
    exclude_pk=None,
) -> KeySettings:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidKeySetting("A key needs a name of at most 100 characters.", field="name")
    if ApiKey.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        raise InvalidKeySetting(f"There is already a key named {name!r}.", field="name")
    if user is None or not user.is_active or not is_agent(user):
        raise InvalidKeySetting(
            f"{user} is not an active agent; a key must act as one.", field="user"
        )
    scopes = parse_scopes(scopes)
    networks = parse_networks(allowed_networks)
    if OSTICKET_SCOPES & set(scopes) and not networks and not allow_any_address:
        raise InvalidKeySetting(
            "A key with osTicket scopes must list the addresses it is used from "
            "(or explicitly allow any address).",
            field="allowed_networks",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidKeySetting("The expiry must be in the future.", field="expires_at")
    if requests_per_minute is None or not 1 <= requests_per_minute <= MAX_REQUESTS_PER_MINUTE:
        raise InvalidKeySetting(
            "The rate limit must be at least one request a minute, and at most "
            f"{MAX_REQUESTS_PER_MINUTE:,}.",
            field="requests_per_minute",
        )
    return KeySettings(
        name, scopes, networks, bool(allow_any_address), expires_at, requests_per_minute
    )


def _audit(kind, key: ApiKey, by, request, **data) -> None:
    # The key's settings, never its secret.
    audit_record(
        kind=kind,
        actor=None if is_system(by) else by,
        request=request,
        target=key,
        data={"acts_as": key.user.email, "scopes": key.scopes, **data},
    )


def api_key_create(*, user, by, request=None, **settings) -> IssuedKey:
    """Make a key acting as `user` (an active agent); `by` must be allowed to manage keys
    (may_manage_api_keys), or be the system (the management command), and only a superuser
    makes a key acting as a superuser. The settings are api_key_settings_check's."""
    _require_manager(by, "create")
    checked = api_key_settings_check(user=user, **settings)
    _require_may_act_as(by, user, "create")
    prefix = _unused_prefix()
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():  # a savepoint: a clash leaves the caller's work
            key = ApiKey.objects.create(
                name=checked.name,
                prefix=prefix,
                secret_hash=_digest(prefix, secret),
                user=user,
                scopes=checked.scopes,
                allowed_networks=checked.allowed_networks,
                allow_any_address=checked.allow_any_address,
                expires_at=checked.expires_at,
                requests_per_minute=checked.requests_per_minute,
                created_by=None if is_system(by) else by,
            )
    except IntegrityError:  # the same name (or prefix) saved at the same moment
        raise InvalidKeySetting(
            f"There is already a key named {checked.name!r}.", field="name"
        ) from None
    _audit(
        AuditKind.API_KEY_CREATED,
        key,
        by,
        request,
        networks=key.allowed_networks,
        any_address=key.allow_any_address,
    )
    return IssuedKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")


def api_key_update(*, key: ApiKey, by, request=None, **settings) -> ApiKey:
    """Change what a key may do (never its secret: make a new key for that)."""
    _require_manager(by, "change")
    _require_may_act_as(by, key.user, "change")
    checked = api_key_settings_check(user=key.user, exclude_pk=key.pk, **settings)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        for field in SETTINGS_FIELDS:
            setattr(key, field, getattr(checked, field))
        key.save(update_fields=list(SETTINGS_FIELDS))
        _audit(
            AuditKind.API_KEY_CHANGED,
            key,
            by,
            request,
            networks=key.allowed_networks,
            any_address=key.allow_any_address,
        )
    return key


def _require_manager(by, verb: str) -> None:
    """Someone allowed to manage keys, or the system: the management commands, run by
    whoever runs the server."""
    if is_system(by):
        return
    if not may_manage_api_keys(by):
        raise NotPermitted(MAY_NOT_MANAGE.format(verb=verb))


def may_act_as(by, user) -> bool:
    """May `by` make or change a key acting as `user`? A key can do what its user can, and
    one acting as a superuser sees every department: only a superuser (or the server's own
    commands) grants that."""
    return not user.is_superuser or is_system(by) or bool(by and by.is_superuser)


def _require_may_act_as(by, user, verb: str) -> None:
    if not may_act_as(by, user):
        raise NotPermitted(ACTS_AS_ADMINISTRATOR.format(verb=verb))


def _unused_prefix() -> str:
    while True:
        prefix = secrets.token_hex(4)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix


def api_key_revoke(*, key: ApiKey, by, request=None) -> ApiKey:
    """Stop a key for good (a revoked key is kept, for the history that names it)."""
    _require_manager(by, "revoke")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            _audit(AuditKind.API_KEY_REVOKED, key, by, request)
    return key


IMPORTED_PREFIX = "o"
IMPORTED_KEY_MAX_LENGTH = 255  # osTicket's api_key.apikey column


def _imported_prefix(plaintext: str) -> str:
    return IMPORTED_PREFIX + hashlib.sha256(plaintext.encode()).hexdigest()[:15]


def _imported_key_text(plaintext: str) -> str | None:
    text = (plaintext or "").strip()
    if not text or len(text) > IMPORTED_KEY_MAX_LENGTH or not text.isprintable():
        return None
    if any(character.isspace() for character in text):
        return None
    return text


def api_key_import(
    *,
    plaintext: str,
    name: str,
    user,
    scopes,
    allowed_networks=(),
    revoked: bool = False,
    by,
) -> ApiKey:
    """A key from another help desk (osTicket), keeping its text so that the scripts that
    send it keep working: only a hash of it is stored. Importing the same text again
    updates that key's settings. Only the system (the importer) does this."""
    if not is_system(by):
        raise NotPermitted(MAY_NOT_MANAGE.format(verb="import"))
    text = _imported_key_text(plaintext)
    if text is None:
        raise InvalidKeySetting("The key is empty, too long or has spaces in it.", field="key")
    prefix = _imported_prefix(text)
    existing = ApiKey.objects.filter(prefix=prefix).first()
    checked = api_key_settings_check(
        name=name,
        user=user,
        scopes=scopes,
        allowed_networks=allowed_networks,
        exclude_pk=existing.pk if existing else None,
    )
    revoked_at = None
    if revoked:  # inactive in osTicket: kept, for the history, but refused
        revoked_at = (existing.revoked_at if existing else None) or timezone.now()
    fields = {
        "name": checked.name,
        "user": user,
        "scopes": checked.scopes,
        "allowed_networks": checked.allowed_networks,
        "revoked_at": revoked_at,
    }
    with transaction.atomic():
        if existing is None:
            key = ApiKey.objects.create(
                prefix=prefix, secret_hash=_digest(prefix, text), created_by=None, **fields
            )
            kind = AuditKind.API_KEY_CREATED
        else:
            key = ApiKey.objects.select_for_update().get(pk=existing.pk)
            for field, value in fields.items():
                setattr(key, field, value)
            key.save(update_fields=list(fields))
            kind = AuditKind.API_KEY_CHANGED
        _audit(kind, key, by, None, networks=key.allowed_networks, imported=True)
    return key


class KeyRefused(Exception):
    """Why a presented key does not authenticate; `reason` is one of REASONS."""

    REASONS = ("malformed", "unknown", "revoked", "expired", "address", "inactive")

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def api_key_check(plaintext: str, *, address: str, now=None) -> ApiKey:
    """The active key this plaintext is, usable from `address`; KeyRefused otherwise."""
    now = now or timezone.now()
    parts = (plaintext or "").strip().split("_", 2)
    if len(parts) == 3 and parts[0] == KEY_PREFIX and parts[1] and parts[2]:
        _, prefix, secret = parts
    else:
        # Not one of ours: perhaps a key brought over from osTicket, kept as it was.
        secret = _imported_key_text(plaintext)
        if secret is None:
            raise KeyRefused("malformed")
        prefix = _imported_prefix(secret)
    key = ApiKey.objects.select_related("user__agent").filter(prefix=prefix[:16]).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(prefix, secret)):
        raise KeyRefused("unknown")
    if key.revoked_at is not None:
        raise KeyRefused("revoked")
    if key.is_expired(now):
        raise KeyRefused("expired")
    if not key.user.is_active or not is_agent(key.user):
        raise KeyRefused("inactive")
    if not address_allowed(key, address):
        raise KeyRefused("address")
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def address_allowed(key: ApiKey, address: str) -> bool:
    if not key.allowed_networks:
        return True  # osTicket-scoped keys cannot be saved this way without the opt-out
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates = [ip]
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 from a dual stack
        candidates.append(ip.ipv4_mapped)
    networks = [ipaddress.ip_network(n) for n in key.allowed_networks]
    return any(c in n for c in candidates for n in networks if c.version == n.version)
