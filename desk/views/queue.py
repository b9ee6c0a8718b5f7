"""The queue, its bulk actions, and search."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.sessions import session_background
from desk.forms import BulkForm, QueueForm
from desk.views.common import agent_required, form_errors, is_htmx
from tickets import selectors, services
from tickets.errors import TicketError

QUEUE_FILTER_FIELDS = (
    "department",
    "status",
    "priority",
    "assignee",
    "help_topic",
    "source",
    "sla_state",
    "field_choice",
    "organization",
    "tag",
    "sort",
)
# Filters offered only when there is something to choose from.
_OFFERED_IF = {
    "field_choice": lambda options: options.choice_fields,
    "organization": lambda options: options.organizations,
    "tag": lambda options: options.tags,
}
# The set of tickets behind a report figure, kept through filter changes and pages.
REPORT_SET_FIELDS = ("measure", "clock", "start", "end")


# The id of the element whose every-30-seconds poll refreshes the list
# (templates/desk/partials/queue_results.html); htmx names it in HX-Trigger.
QUEUE_REFRESH_TRIGGER = "queue-results"


def _ticket_url(number) -> str:
    return reverse("agent:ticket", args=[number])


# The queue ----------------------------------------------------------------------------


@require_GET
@agent_required
def queue(request):
    if request.headers.get("HX-Trigger") == QUEUE_REFRESH_TRIGGER:
        session_background(request)  # the list's own refresh, not the agent's activity
    options = selectors.queue_options_for_agent(user=request.user)
    form = QueueForm(request.GET, options=options)
    data = form.cleaned()
    page = selectors.ticket_list_for_agent(
        user=request.user,
        view=data["view"],
        filters=data["filters"],
        sort=data["sort"] or None,
        after=data["after"] or None,
        before=data["before"] or None,
        with_tags=True,  # the Tags column
    )
    # The query string without the cursor: for page links, bulk redirects and refreshes.
    base_query = {
        k: v
        for k, v in request.GET.items()
        if k not in ("after", "before") and v and k in form.fields
    }
    context = {
        "form": form,
        "filter_fields": [
            form[name]
            for name in QUEUE_FILTER_FIELDS
            if name not in _OFFERED_IF or _OFFERED_IF[name](options)
        ],
        "page": page,
        "partial": is_htmx(request),
        "options": options,
        "views": selectors.VIEWS,
        "counts": selectors.queue_view_counts(user=request.user),
        "base_query": urlencode(base_query),
        "current_url": request.get_full_path(),
        "bulk_form": BulkForm(None, options=options),
        "report_set": data["filters"].ticket_set,
        "report_set_fields": {k: request.GET[k] for k in REPORT_SET_FIELDS if request.GET.get(k)},
        "report_link_error": form.report_link_error,
        # "Export CSV / XLSX" of this list: the same query (desk/views/exports.py).
        "export_label": "Export these tickets:",
        "export_query": urlencode(base_query),
        "export_fields": base_query,
    }
    template = "desk/partials/queue_results.html" if is_htmx(request) else "desk/queue.html"
    # A damaged report link is the client's mistake: said on the page, and in the status.
    return render(request, template, context, status=400 if form.report_link_error else 200)


@require_POST
@agent_required
def bulk(request):
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}) or not back.startswith(
        "/agent/"
    ):
        back = reverse("agent:queue")
    if not form.is_valid():
        messages.error(request, "Select tickets and a complete action: " + form_errors(form))
        return redirect(back, permanent=False)
    data = form.cleaned_data
    if data["action"] == "merge":
        return _merge_confirm(request, data, back)
    try:
        outcome = services.ticket_bulk_apply(
            numbers=data["tickets"],
            action=data["action"],
            by=request.user,
            agent=data["agent"],
            status=data["status"] or None,
            priority=data["priority"],
            department=data["department"],
            tag=data["tag"] or None,
        )
    except TicketError as error:
        messages.error(request, error.message)
        return redirect(back)
    selectors.queue_counts_forget(user=request.user)
    if outcome.done:
        messages.success(
            request,
            f"{len(outcome.done)} ticket{'s' if len(outcome.done) != 1 else ''} updated: "
            + ", ".join(f"#{n}" for n in outcome.done)
            + ".",
        )
    for number, reason in outcome.failed:
        messages.warning(request, f"#{number} not changed: {reason}")
    return redirect(back)


def _merge_confirm(request, data, back):
    """A merge is confirmed on its own page first (what moves, what closes)."""
    if not data.get("target"):
        messages.error(request, "Choose the ticket to merge them into, by number.")
        return redirect(back)
    query = urlencode({"sources": data["tickets"], "into": data["target"]}, doseq=True)
    url = f"{reverse('agent:merge')}?{query}"
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_GET
@agent_required
def search(request):
    query = request.GET.get("q", "")
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    results = selectors.ticket_search_for_agent(user=request.user, query=query, page=page)
    return render(
        request,
        "desk/search.html",
        {
            "results": results,
            "query": query,
            "counts": selectors.queue_view_counts(user=request.user),
            "views": selectors.VIEWS,
        },
    )
