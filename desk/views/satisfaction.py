"""Satisfaction (CSAT): good / (good + bad) of the ratings given in the last days, per
department, agent and help topic, with the latest comments; of the agent's departments."""

import datetime

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from desk.views.common import agent_required
from tickets.selectors import satisfaction_figures

PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last year"}
DEFAULT_PERIOD = "30"
PERIOD_INVALID = "Choose a period: the last 7, 30, 90 or 365 days."


@require_GET
@agent_required
def satisfaction(request):
    days = request.GET.get("days") or DEFAULT_PERIOD
    context = {"periods": PERIODS, "days": days}
    if days not in PERIODS:
        context["error"] = PERIOD_INVALID
        return render(request, "desk/satisfaction.html", context, status=400)
    since = timezone.now() - datetime.timedelta(days=int(days))
    context["figures"] = satisfaction_figures(user=request.user, since=since)
    context["period_label"] = PERIODS[days]
    return render(request, "desk/satisfaction.html", context)
