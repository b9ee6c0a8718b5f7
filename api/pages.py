"""The desk's "API keys" page, for agents allowed to manage keys (api.keys.may_manage_api_keys):
the keys listed, a new one made and shown once, one revoked. Served under /agent/api-keys/
in the desk's layout; the views live here, beside the services they call, because the desk
and the API are siblings that never import each other (decision 0027).

Thin: a form checks, one service in api.keys acts (and writes the audit log), the view
answers. The whole key appears only in the response to the POST that made it: never
stored, never in the session or a message, and that response is never cached.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from api.forms import ApiKeyCreateForm
from api.keys import (
    InvalidKeySetting,
    api_key_create,
    api_key_revoke,
    may_manage_api_keys,
)
from api.models import OSTICKET_SCOPES
from api.selectors import api_key_get, api_key_list
from tickets.errors import NotPermitted

NOT_ALLOWED = "Managing API keys needs the permission to manage them; an admin can give it."
REVOKED = "API key “{name}” is revoked: requests with it are refused from now on."
ALREADY_REVOKED = "API key “{name}” was revoked already."


def key_manager_required(view):
    """Signed in (else to the login page) and allowed to manage keys (else 403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_manage_api_keys(request.user):
            raise PermissionDenied(NOT_ALLOWED)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@key_manager_required
def key_list(request):
    return render(request, "desk/api_keys/list.html", {"keys": api_key_list()})


@never_cache  # its answer to a POST carries the whole key
@require_http_methods(["GET", "POST"])
@key_manager_required
def key_new(request):
    form = ApiKeyCreateForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_create(
                user=form.cleaned_data["user"], by=request.user, request=request, **form.settings()
            )
        except InvalidKeySetting as error:  # e.g. the same name saved a moment before
            form.show_setting_error(error)
        except NotPermitted as error:
            form.add_error(None, error.message)
        else:
            return _show_once(request, issued)
    return render(request, "desk/api_keys/new.html", {"form": form})


def _show_once(request, issued):
    key = issued.key
    return render(
        request,
        "desk/api_keys/created.html",
        {
            "key": key,
            "plaintext": issued.plaintext,
            "me_url": request.build_absolute_uri(reverse("api:me")),
            "warn_any_address": key.allow_any_address and bool(OSTICKET_SCOPES & set(key.scopes)),
        },
    )


@require_http_methods(["GET", "POST"])
@key_manager_required
def key_revoke(request, pk: int):
    """GET asks to confirm; POST revokes."""
    key = api_key_get(pk=pk)
    if request.method == "GET":
        return render(request, "desk/api_keys/revoke.html", {"key": key})
    if key.is_revoked:
        messages.info(request, ALREADY_REVOKED.format(name=key.name))
    else:
        api_key_revoke(key=key, by=request.user, request=request)
        messages.success(request, REVOKED.format(name=key.name))
    return redirect("api_keys:list")
