"""Signing in with the company directory (LDAP / Active Directory), through django-auth-ldap.

``DirectoryBackend`` comes first in AUTHENTICATION_BACKENDS when LDAP_SERVER_URI is set
(accounts/ldap_config.py builds the settings); Django's ModelBackend follows, so local
accounts still sign in. Its path, ``accounts.ldap.DirectoryBackend``, is what the session
records as the way someone signed in ("ldap").

django-auth-ldap finds the person (the service account binds and searches with the escaped
login), checks their password by binding as them, and then asks this backend for the
Django user (``get_or_build_user``). Here, and only here, the directory's answer becomes
ours: a disabled account is refused; otherwise
``accounts.services.user_sign_in_from_directory`` writes the user (email, name, time zone)
and mirrors their roles from the groups of LDAP_GROUP_ROLES, every login. django-auth-ldap
itself saves nothing (AUTH_LDAP_ALWAYS_UPDATE_USER is off, and every user handed back
already exists).

When the directory cannot be reached, the login fails over to the local accounts, and the
login form says why (``refusal``); a 500 never.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import ldap
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django_auth_ldap.backend import LDAPBackend

from accounts.ldap_config import normalize_dn
from accounts.models import Department, DepartmentMembership, User
from accounts.services import user_sign_in_from_directory

logger = logging.getLogger(__name__)

DIRECTORY_UNREACHABLE = (
    "The company directory cannot be reached; try again, or use a local account."
)
DIRECTORY_ACCOUNT_DISABLED = (
    "Your company directory account is disabled. Ask your IT department if this is a mistake."
)
# Set on the request by the backend, read by the login form.
_REFUSAL = "_directory_refusal"
_RANK = {DepartmentMembership.Role.AGENT: 1, DepartmentMembership.Role.MANAGER: 2}


def refusal(request) -> tuple[str, str] | None:
    """Why the directory refused this request's login, if it was not the password: (code,
    message), the code "directory_unreachable" or "directory_disabled"."""
    return getattr(request, _REFUSAL, None) if request is not None else None


@dataclass(frozen=True)
class DirectoryProfile:
    email: str
    display_name: str
    time_zone: str


def _first(attrs, name: str) -> str:
    if not name or attrs is None:
        return ""
    values = attrs.get(name) or attrs.get(name.lower()) or []
    return str(values[0]).strip() if values else ""


def directory_profile(ldap_user, login: str) -> DirectoryProfile:
    """Who the directory says this is. Without an email attribute, a login that is an
    email address (as with ``(mail=%(user)s)``) is the email."""
    attributes = settings.LDAP_ATTRIBUTES
    attrs = ldap_user.attrs
    email = _first(attrs, attributes["email"]) or (login if "@" in login else "")
    return DirectoryProfile(
        email=email,
        display_name=_first(attrs, attributes["display_name"]),
        time_zone=_first(attrs, attributes["time_zone"]),
    )


def directory_roles(group_dns) -> tuple[dict[Department, str], list[Department]]:
    """The roles the user's groups give (the higher one where two groups name one
    department), and every department the mapping manages."""
    mapping: dict[str, list[tuple[str, str]]] = settings.LDAP_GROUP_ROLES
    names = {name for grants in mapping.values() for name, _role in grants}
    departments = {d.name: d for d in Department.objects.filter(name__in=names)}
    for name in sorted(names - departments.keys()):
        logger.warning("LDAP_GROUP_ROLES names the department %r, which does not exist", name)
    roles: dict[Department, str] = {}
    for dn in group_dns:
        for name, role in mapping.get(normalize_dn(dn), ()):
            department = departments.get(name)
            if department is not None and _RANK[role] > _RANK.get(roles.get(department), 0):
                roles[department] = role
    return roles, list(departments.values())


def _is_disabled(ldap_user) -> bool:
    """The directory's own word: a filter the user's entry matches (Active Directory's
    userAccountControl flag, say), or membership of a group."""
    disabled_filter = settings.LDAP_DISABLED_FILTER
    if disabled_filter:
        found = ldap_user.connection.search_s(
            ldap_user.dn, ldap.SCOPE_BASE, disabled_filter, ["1.1"]
        )
        if found:
            return True
    disabled_group = settings.LDAP_DISABLED_GROUP
    return bool(
        disabled_group and disabled_group in {normalize_dn(dn) for dn in ldap_user.group_dns}
    )


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend, with people and roles written through our services.

    Django makes a new backend for every authentication, so the request can be kept on it.
    """

    _request = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        self._request = request
        return super().authenticate(request, username=username, password=password, **kwargs)

    def _refuse(self, code: str, message: str) -> None:
        if self._request is not None:
            setattr(self._request, _REFUSAL, (code, message))

    def authenticate_ldap_user(self, ldap_user, password):
        # Bind as the service account first: a directory that cannot be reached (or refuses
        # that account) is told apart from a wrong password, and the login falls through to
        # the local accounts. django-auth-ldap reuses this bound connection.
        try:
            ldap_user.connection  # noqa: B018 (the property binds)
        except ldap.LDAPError as error:
            logger.warning("The company directory cannot be reached: %r", error)
            self._refuse("directory_unreachable", DIRECTORY_UNREACHABLE)
            return None
        return super().authenticate_ldap_user(ldap_user, password)

    def get_or_build_user(self, username: str, ldap_user) -> tuple[User, bool]:
        # Called once the password is right (django-auth-ldap bound as the person).
        if _is_disabled(ldap_user):
            logger.info("Refused a disabled directory account: %s", ldap_user.dn)
            self._refuse("directory_disabled", DIRECTORY_ACCOUNT_DISABLED)
            # PermissionDenied stops Django from asking the next backend: a local password
            # for the same address does not bring a disabled account back in.
            raise PermissionDenied(DIRECTORY_ACCOUNT_DISABLED)
        profile = directory_profile(ldap_user, username)
        if not profile.email:
            raise ldap_user.AuthenticationFailed(
                f"the directory entry {ldap_user.dn} has no email address "
                f"({settings.LDAP_ATTRIBUTES['email']})"
            )
        if settings.LDAP_GROUP_ROLES:
            roles, managed = directory_roles(ldap_user.group_dns)
        else:
            roles, managed = {}, []
        user = user_sign_in_from_directory(
            email=profile.email,
            display_name=profile.display_name,
            time_zone=profile.time_zone,
            roles=roles,
            managed=managed,
        )
        return user, False
