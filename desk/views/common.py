"""What every view of the agent workspace shares: who may enter, and how htmx asks."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from tickets import access


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def agent_required(view):
    """Active agents and superusers only: others are sent to log in, or refused (403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if is_htmx(request):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
                return response
            return redirect_to_login(request.get_full_path())
        if not access.is_agent(request.user):
            raise PermissionDenied("The agent workspace is for agents.")
        return view(request, *args, **kwargs)

    return wrapper


def form_errors(form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)
