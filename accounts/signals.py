"""Django's sign-in signals, turned into audit entries and session records.

Django's own event API for sign-ins: every login (our form, the admin's, a directory or
single sign-on backend) sends `user_logged_in`, every failed `authenticate()` sends
`user_login_failed` (with the password already masked by Django; we keep only the email),
and every logout `user_logged_out`. The receivers only hand over to the services.
"""

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from accounts.audit import AuditKind, audit_record, login_method
from accounts.sessions import session_touch


@receiver(user_logged_in, dispatch_uid="accounts.audit.logged_in")
def record_login(sender, request, user, **kwargs):
    backend = getattr(user, "backend", "") or request.session.get(BACKEND_SESSION_KEY, "")
    audit_record(
        kind=AuditKind.LOGIN_SUCCEEDED,
        actor=user,
        request=request,
        target=user,
        data={"method": login_method(backend)},
    )
    session_touch(request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts.audit.login_failed")
def record_login_failure(sender, credentials, request=None, **kwargs):
    # Every configured backend was tried; the method says which kinds of sign-in those are.
    # (Single sign-on never fails here: its failures are the callback's, with their own
    # message; a password form does not try it.)
    methods = sorted({login_method(path) for path in settings.AUTHENTICATION_BACKENDS} - {"oidc"})
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit_record(
        kind=AuditKind.LOGIN_FAILED,
        actor=None,
        request=request,
        data={"email": email, "method": "+".join(methods)},
    )


@receiver(user_logged_out, dispatch_uid="accounts.audit.logged_out")
def record_logout(sender, request, user, **kwargs):
    if user is None:  # a logout without a login: nothing happened
        return
    audit_record(kind=AuditKind.LOGOUT, actor=user, request=request, target=user)
