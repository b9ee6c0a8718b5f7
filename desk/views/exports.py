"""Downloads of the reports: CSV of a breakdown table, CSV of the tickets behind a number
(the queue's own filters, so exactly the tickets its link lists), and spreadsheets built
in the background, downloaded by the agent who asked for them only."""

from django.contrib import messages
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from desk.forms import QueueForm, ReportForm
from desk.views.common import agent_required
from reports import selectors as report_selectors
from reports import services as report_services
from reports.exports import TABLES, UNKNOWN_TABLE, report_table_csv, ticket_rows_csv
from reports.figures import report_dashboard, report_options
from tickets import selectors

NOTHING_TO_EXPORT = "These tickets cannot be exported"
XLSX_QUEUED = "The spreadsheet is being built. It appears here when it is ready."


def _csv(chunks, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


@require_GET
@agent_required
def report_export(request):
    """One table of the dashboard as CSV: the page's own query string, plus `table`."""
    table = request.GET.get("table", "")
    if table not in TABLES:
        return _bad_request(UNKNOWN_TABLE)
    zone, now = timezone.get_current_timezone(), timezone.now()
    form = ReportForm(
        request.GET,
        options=report_options(user=request.user),
        zone=zone,
        today=now.astimezone(zone).date(),
    )
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _bad_request(f"These figures cannot be exported: {errors}")
    dashboard = report_dashboard(
        user=request.user, period=form.the_period(), filters=form.filters(), now=now
    )
    period = dashboard.period
    filename = f"report-{table}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    return _csv(report_table_csv(dashboard=dashboard, table=table), filename)


def _queue_selection(request, data):
    """The queue view and filters of a query (a number's link, or the queue's own), or an
    error message for a damaged one."""
    form = QueueForm(data, options=selectors.queue_options_for_agent(user=request.user))
    cleaned = form.cleaned()
    if form.report_link_error:
        return None, None, form.report_link_error
    view = cleaned["view"]
    view = view if isinstance(view, selectors.QueueView) else selectors.VIEWS[view]
    return view, cleaned["filters"], ""


@require_GET
@agent_required
def tickets_export(request):
    """The tickets a queue link lists, as CSV streamed from a server-side cursor."""
    view, filters, error = _queue_selection(request, request.GET)
    if error:
        return _bad_request(f"{NOTHING_TO_EXPORT}: {error}")
    chunks = ticket_rows_csv(
        user=request.user,
        view=view,
        filters=filters,
        zone=timezone.get_current_timezone(),
        now=timezone.now(),
    )
    return _csv(chunks, f"tickets-{_stamp()}.csv")


def _title(view, filters) -> str:
    ticket_set = filters.ticket_set
    if ticket_set is None:
        return f"Queue: {view.label}"

    def local(moment) -> str:
        return timezone.localtime(moment).strftime("%-d %b %Y %H:%M")

    if ticket_set.start is not None:
        return f"{ticket_set.label}, from {local(ticket_set.start)} until {local(ticket_set.end)}"
    if ticket_set.end is not None:
        return f"{ticket_set.label}, at {local(ticket_set.end)}"
    return ticket_set.label


@require_POST
@agent_required
def tickets_export_xlsx(request):
    """Ask for a spreadsheet of the same tickets, built by a worker."""
    view, filters, error = _queue_selection(request, request.POST)
    if error:
        return _bad_request(f"{NOTHING_TO_EXPORT}: {error}")
    report_services.report_export_request(
        by=request.user,
        view=view,
        filters=filters,
        title=_title(view, filters),
        zone=timezone.get_current_timezone(),
    )
    messages.success(request, XLSX_QUEUED)
    return redirect("agent:report_exports")


@require_GET
@agent_required
def report_exports(request):
    """The agent's spreadsheets: queued, being built, ready (with a download link) or
    failed. Reload to see progress; htmx refreshes the list while one is on its way."""
    exports = list(report_selectors.report_exports_for_user(user=request.user))
    context = {
        "exports": exports,
        "working": any(e.status in ("queued", "running") for e in exports),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "desk/partials/report_exports_list.html", context)
    return render(request, "desk/report_exports.html", context)


@require_GET
@agent_required
def report_export_download(request, pk: int):
    export = report_selectors.report_export_get_for_user(user=request.user, pk=pk)
    if export.status != export.Status.DONE or not export.file:
        return _bad_request("This spreadsheet is not ready.")
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"tickets-{export.created_at:%Y%m%d-%H%M}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
