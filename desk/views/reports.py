"""The reports dashboard: SLA achievement, response and resolution times, the flow of
tickets, for the agent's departments; every number links to the queue of its tickets."""

import datetime
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from desk.charts import dashboard_charts
from desk.forms import ReportForm
from desk.report_links import queue_query
from desk.views.common import agent_required
from reports.figures import (
    BREAKDOWNS,
    PRESETS,
    report_dashboard,
    report_help_centre,
    report_options,
    report_satisfaction,
)
from reports.figures.periods import LAST_7, LAST_30, LAST_90
from tickets.models import ClockKind
from tickets.selectors import Measure, measures


@require_GET
@agent_required
def reports(request):
    """The figures for the period and filters of the query string (the last 30 days of all
    the agent's departments without one). Dates or filters that make no sense are a 400
    with the form's errors, not a guess."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    form = ReportForm(
        request.GET,
        options=report_options(user=request.user),
        zone=zone,
        today=now.astimezone(zone).date(),
    )
    # The filters alone, for the period links, which keep them.
    kept = {name: request.GET[name] for name in ReportForm.FILTERS if request.GET.get(name)}
    context = {
        "form": form,
        "presets": PRESETS,
        "zone": zone,
        "filters_query": urlencode(kept),
        "clock_kinds": ClockKind.choices,
        "breakdowns": BREAKDOWNS,
    }
    if not form.is_valid():
        return render(request, "desk/reports.html", context, status=400)
    dashboard = report_dashboard(
        user=request.user, period=form.the_period(), filters=form.filters(), now=now
    )
    total = dashboard.total
    context["dashboard"] = dashboard
    # Exports: each table's CSV (this page's query and the table), and the tickets created
    # in the period (the "Created" number's queue) as CSV or a spreadsheet.
    context["table_query"] = urlencode([(k, v) for k, v in request.GET.items() if k != "table"])
    created = queue_query(dashboard.sets.of(Measure.CREATED), dashboard.filters)
    context["export_label"] = "Export the tickets created in this period:"
    context["export_fields"] = created
    context["export_query"] = urlencode(created)
    context["charts"] = dashboard_charts(dashboard)
    context.update(_kb_and_csat_cards(request.user, dashboard, now))
    context["scope_label"] = _scope_label(form)
    context["due_soon_until"] = now + datetime.timedelta(minutes=measures.DUE_SOON_MINUTES)
    # (title, figures, the set behind them, what is measured)
    context["times_cards"] = [
        ("First response", total.first_response, Measure.FIRST_REPLY, "by the time of the reply"),
        (
            "Resolution",
            total.resolution,
            Measure.LATEST_RESOLVED,
            "to the latest resolution, by its time",
        ),
        (
            "First resolution",
            total.first_resolution,
            Measure.FIRST_RESOLVED,
            "to the first resolution (reopened tickets too), by its time",
        ),
    ]
    return render(request, "desk/reports.html", context)


# The satisfaction and knowledge-base pages take a number of days, not a period: the
# dashboard's presets that are one link there; others link to their default (30 days).
DAYS_OF_PRESET = {LAST_7: "7", LAST_30: "30", LAST_90: "90"}


def _kb_and_csat_cards(user, dashboard, now) -> dict:
    """CSAT of the period and filters, and the help centre's funnel (one query each),
    with links to the pages that list the ratings and the articles' figures."""
    period = dashboard.period
    days = DAYS_OF_PRESET.get(period.preset)
    query = f"?{urlencode({'days': days})}" if days else ""
    return {
        "csat": report_satisfaction(user=user, period=period, filters=dashboard.filters),
        "csat_url": reverse("agent:satisfaction") + query,
        "help_centre": report_help_centre(period=period, now=now),
        "help_centre_url": reverse("agent:kb_figures") + query,
    }


def _scope_label(form: ReportForm) -> str:
    """The filters in words, for the charts' descriptions: "IT · High", or the default."""
    chosen = []
    for name in ReportForm.FILTERS:
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        labels = {str(key): label for key, label in form.fields[name].choices}
        chosen.append(
            f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: "
            f"{labels.get(str(value), value)}"
        )
    return " · ".join(chosen) or "All my departments"
