"""The navbar's "Available for new tickets" switch (auto-assignment passes over an agent
who is not available: tickets/services/auto_assign.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.services import agent_set_availability
from desk.forms import AvailabilityForm
from desk.views.common import agent_required, is_htmx
from tickets import access

NO_AGENT_PROFILE = "Only agents have an availability: this account has no agent profile."
BAD_AVAILABILITY = "Choose whether you are available for new tickets."
PARTIAL = "desk/partials/availability.html"


def _back(request) -> str:
    """Where the switch was: a page of the agent workspace, else the queue."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}) and back.startswith("/agent/"):
        return back
    return reverse("agent:queue")


@require_POST
@agent_required
def availability(request):
    agent = access.agent_of(request.user)
    if agent is None:  # a superuser without an agent profile
        raise PermissionDenied(NO_AGENT_PROFILE)
    form = AvailabilityForm(request.POST)
    back = _back(request)
    if not form.is_valid():
        if is_htmx(request):
            return HttpResponse(BAD_AVAILABILITY, status=400, content_type="text/plain")
        messages.error(request, BAD_AVAILABILITY)
        return redirect(back)
    agent = agent_set_availability(
        agent=agent, available=form.cleaned_data["available"], by=request.user
    )
    if is_htmx(request):
        return render(request, PARTIAL, {"agent": agent, "next": back})
    return redirect(back)
