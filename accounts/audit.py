"""The security audit log: one service that writes it, one that prunes it, the CSV export.

Whoever records an event (sign-in signals, account services, the admin, two-factor, the
directory) calls `audit_record` with a kind from `AuditKind`, one vocabulary for all.
Entries carry structured data (ids, labels, field names), never a secret: no password,
token or key is ever passed in `data` (decision 0023).
"""

import csv
import datetime
import ipaddress
import json
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.ratelimit import client_ip

AuditKind = AuditEntry.Kind

USER_AGENT_MAX = 255
# Sign-in methods by authentication backend: the backend's path names its method.
METHOD_BY_BACKEND_WORD = (("ldap", "ldap"), ("oidc", "oidc"), ("openid", "oidc"))
PASSWORD_METHOD = "password"  # noqa: S105 (the name of a sign-in method)


def login_method(backend_path: str) -> str:
    """ "password", "ldap" or "oidc", from the dotted path of the backend that signed in."""
    lowered = (backend_path or "").lower()
    for word, method in METHOD_BY_BACKEND_WORD:
        if word in lowered:
            return method
    return PASSWORD_METHOD


def ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _target_fields(target) -> dict[str, str]:
    if target is None:
        return {}
    meta = getattr(target, "_meta", None)
    return {
        "target_type": meta.label_lower if meta is not None else type(target).__name__,
        "target_id": "" if getattr(target, "pk", None) is None else str(target.pk),
        "target_label": str(target)[:255],
    }


def _actor_fields(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {}
    return {"actor": actor, "actor_label": getattr(actor, "email", "") or str(actor)}


def _request_fields(request) -> dict:
    if request is None:
        return {}
    return {
        "ip_address": ip_or_none(client_ip(request)),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    }


def audit_record(*, kind, actor=None, request=None, target=None, data=None) -> AuditEntry:
    """Write one entry. `actor` is the person who acted (None: nobody signed in, or the
    help desk itself); without an actor, the request's signed-in user is taken."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    return AuditEntry.objects.create(
        kind=AuditKind(kind),
        **_actor_fields(actor),
        **_request_fields(request),
        **_target_fields(target),
        data=data or {},
    )


def audit_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete entries older than AUDIT_RETENTION_DAYS; the number deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# CSV export ----------------------------------------------------------------------------

CSV_COLUMNS = (
    "time (UTC)",
    "kind",
    "actor",
    "IP address",
    "user agent",
    "target type",
    "target id",
    "target",
    "data",
)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# injection"): such a cell is prefixed with a quote, which shows it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it, for streaming csv.writer rows."""

    def write(self, value: str) -> str:
        return value


def _entry_row(entry: AuditEntry) -> list:
    return [
        entry.created_at.astimezone(datetime.UTC).isoformat(),
        entry.kind,
        entry.actor_label,
        entry.ip_address or "",
        entry.user_agent,
        entry.target_type,
        entry.target_id,
        entry.target_label,
        json.dumps(entry.data, cls=DjangoJSONEncoder, sort_keys=True),
    ]


def audit_csv_rows(entries: models.QuerySet | Iterable[AuditEntry]) -> Iterator[str]:
    """The entries as CSV lines, header first, every cell formula-safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    if isinstance(entries, models.QuerySet):
        entries = entries.order_by("created_at", "id").iterator(chunk_size=2000)
    for entry in entries:
        yield writer.writerow([csv_safe(cell) for cell in _entry_row(entry)])
