"""The company directory's settings: from plain values (settings.py reads them from the
environment) to django-auth-ldap's ``AUTH_LDAP_*`` settings and our own ``LDAP_*`` ones.

Imported by settings.py, so it imports only python-ldap and django-auth-ldap's config module
(which its authors keep safe for settings), never models. Mistakes are refused here, when the
settings load (``ImproperlyConfigured``), rather than at somebody's login: a plain ``ldap://``
connection to another machine (passwords would cross the network readable), a group mapping
that names no department or an unknown role, an unknown group type. See docs/ldap.md.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import ldap
import ldap.dn
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import (
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    NestedGroupOfNamesType,
    PosixGroupType,
)

# The backend that signs people in with the directory; Django's ModelBackend follows it, so
# local accounts (an admin's, for when the directory is down) keep working.
DIRECTORY_BACKEND = "accounts.ldap.DirectoryBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ROLES = ("agent", "manager")

# LDAP_GROUP_TYPE: how groups list their members, and the filter that finds them.
GROUP_TYPES = {
    "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
    "nestedGroupOfNames": (NestedGroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "posixGroup": (PosixGroupType, "(objectClass=posixGroup)"),
    # Active Directory: member lists, groups within groups followed.
    "activeDirectory": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
}
LOOPBACK_NAMES = {"localhost"}


def normalize_dn(dn: str) -> str:
    """One spelling of a DN, for comparing: no spaces around separators, lower case."""
    try:
        return ldap.dn.dn2str(ldap.dn.str2dn(dn.strip())).lower()
    except ldap.DECODING_ERROR:
        raise ImproperlyConfigured(f"{dn!r} is not a distinguished name.") from None


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_server_uri(uri: str, *, start_tls: bool) -> None:
    """ldaps://, or ldap:// with StartTLS; plain ldap:// only to this machine (a test server),
    as the IMAP fetcher allows plain IMAP (mail/fetching.py)."""
    for one in uri.split():
        parts = urlsplit(one)
        if parts.scheme == "ldaps":
            continue
        if parts.scheme != "ldap":
            raise ImproperlyConfigured(
                f"LDAP_SERVER_URI: {one!r} is neither ldaps:// nor ldap:// (ldapi:// and other "
                "schemes are not supported)."
            )
        if not start_tls and not _is_loopback(parts.hostname or ""):
            raise ImproperlyConfigured(
                f"LDAP_SERVER_URI: {one!r} is plain LDAP to another machine, which would send "
                "passwords readable on the network. Use ldaps://, or set LDAP_START_TLS=1."
            )


def _group_roles(value: dict) -> dict[str, list[tuple[str, str]]]:
    """``{"<group DN>": {"department": "IT", "role": "agent"}}`` (or a list of such objects
    per group) -> ``{normalized DN: [("IT", "agent")]}``."""
    if not isinstance(value, dict):
        raise ImproperlyConfigured("LDAP_GROUP_ROLES must be a JSON object keyed by group DN.")
    roles: dict[str, list[tuple[str, str]]] = {}
    for dn, grants in value.items():
        grants = grants if isinstance(grants, list) else [grants]
        for grant in grants:
            department = grant.get("department") if isinstance(grant, dict) else None
            role = grant.get("role", "agent") if isinstance(grant, dict) else None
            if not isinstance(department, str) or not department.strip() or role not in ROLES:
                raise ImproperlyConfigured(
                    f"LDAP_GROUP_ROLES[{dn!r}]: each entry is "
                    '{"department": "<name>", "role": "agent" or "manager"}.'
                )
            roles.setdefault(normalize_dn(dn), []).append((department.strip(), role))
    return roles


def _user_attributes(*names: str, group_type: str) -> list[str]:
    # posixGroup membership is by the person's uid and primary gidNumber.
    extra = ["uid", "gidNumber"] if group_type == "posixGroup" else []
    return [name for name in (*names, *extra) if name]


def _connection_options(*, ca_file: str, timeout: int) -> dict:
    options = {
        # A directory that does not answer fails the login in seconds, not minutes.
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        ldap.OPT_REFERRALS: 0,  # Active Directory's referrals would be followed anonymously
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    if ca_file:
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    # Last: the TLS options above take effect in a new TLS context.
    options[ldap.OPT_X_TLS_NEWCTX] = 0
    return options


def directory_settings(
    *,
    server_uri: str,
    start_tls: bool = False,
    ca_file: str = "",
    bind_dn: str = "",
    bind_password: str = "",
    user_search_base: str = "",
    user_filter: str = "(mail=%(user)s)",
    group_search_base: str = "",
    group_type: str = "groupOfNames",
    group_filter: str = "",
    attr_display_name: str = "displayName",
    attr_email: str = "mail",
    attr_time_zone: str = "",
    group_roles: dict | None = None,
    disabled_filter: str = "",
    disabled_group: str = "",
    timeout: int = 5,
) -> dict:
    """The settings of a help desk that signs people in with this directory; without a
    ``server_uri``, of one that does not (only local accounts)."""
    if not server_uri:
        return {"AUTHENTICATION_BACKENDS": [MODEL_BACKEND], "LDAP_ENABLED": False}
    check_server_uri(server_uri, start_tls=start_tls)
    if not user_search_base:
        raise ImproperlyConfigured("LDAP_USER_SEARCH_BASE is required with LDAP_SERVER_URI.")
    if "%(user)s" not in user_filter:
        raise ImproperlyConfigured("LDAP_USER_FILTER must contain %(user)s, the login typed.")
    if group_type not in GROUP_TYPES:
        raise ImproperlyConfigured(
            f"LDAP_GROUP_TYPE {group_type!r} is not one of {', '.join(GROUP_TYPES)}."
        )
    roles = _group_roles(group_roles or {})
    if (roles or disabled_group) and not group_search_base:
        raise ImproperlyConfigured(
            "LDAP_GROUP_SEARCH_BASE is required with LDAP_GROUP_ROLES or LDAP_DISABLED_GROUP."
        )
    type_class, default_group_filter = GROUP_TYPES[group_type]
    found = {
        "AUTHENTICATION_BACKENDS": [DIRECTORY_BACKEND, MODEL_BACKEND],
        "LDAP_ENABLED": True,
        "AUTH_LDAP_SERVER_URI": server_uri,
        "AUTH_LDAP_START_TLS": start_tls,
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": bind_password,
        # %(user)s is escaped by django-auth-ldap (ldap.filter.escape_filter_chars). Only the
        # attributes we use are read.
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            user_search_base,
            ldap.SCOPE_SUBTREE,
            user_filter,
            attrlist=_user_attributes(
                attr_display_name, attr_email, attr_time_zone, group_type=group_type
            ),
        ),
        "AUTH_LDAP_USER_ATTRLIST": _user_attributes(
            attr_display_name, attr_email, attr_time_zone, group_type=group_type
        ),
        "AUTH_LDAP_CONNECTION_OPTIONS": _connection_options(ca_file=ca_file, timeout=timeout),
        # The backend writes people and roles through accounts.services itself.
        "AUTH_LDAP_ALWAYS_UPDATE_USER": False,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,
        "LDAP_ATTRIBUTES": {
            "display_name": attr_display_name,
            "email": attr_email,
            "time_zone": attr_time_zone,
        },
        "LDAP_GROUP_ROLES": roles,
        "LDAP_DISABLED_FILTER": disabled_filter,
        "LDAP_DISABLED_GROUP": normalize_dn(disabled_group) if disabled_group else "",
        "AUTH_LDAP_GROUP_SEARCH": None,
        "AUTH_LDAP_GROUP_TYPE": None,
    }
    if group_search_base:
        found["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            group_search_base, ldap.SCOPE_SUBTREE, group_filter or default_group_filter
        )
        found["AUTH_LDAP_GROUP_TYPE"] = type_class()
    return found
