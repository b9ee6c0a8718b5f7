"""The agent workspace at /agent/: the queue, search, the ticket page and its actions.

Views are thin: a form validates, one service is called, the view redirects (303), and the
flash message says what happened. htmx requests get the same answers: htmx follows the
redirect with its HX-Request header, and the GET views then render only the part of the
page that changes, so every page also works as a plain full-page form post.

Every view requires an active agent (or a superuser); tickets are fetched through
tickets.access, which answers 404 for a ticket outside the agent's departments.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from desk import presence
from desk.forms import (
    AssignForm,
    BulkForm,
    NoteForm,
    PlanForm,
    PriorityForm,
    QueueForm,
    ReplyForm,
    TransferForm,
)
from tickets import access, selectors, services
from tickets.errors import InvalidInput, NewMessageArrived, TicketError
from tickets.models import Priority
from tickets.transitions import ACTIONS as TICKET_ACTIONS


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def agent_required(view):
    """Active agents and superusers only: others are sent to log in, or refused (403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if _is_htmx(request):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
                return response
            return redirect_to_login(request.get_full_path())
        if not access.is_agent(request.user):
            raise PermissionDenied("The agent workspace is for agents.")
        return view(request, *args, **kwargs)

    return wrapper


QUEUE_FILTER_FIELDS = (
    "department",
    "status",
    "priority",
    "assignee",
    "help_topic",
    "sla_state",
    "sort",
)


def _ticket_url(number) -> str:
    return reverse("agent:ticket", args=[number])


# The queue ----------------------------------------------------------------------------


@require_GET
@agent_required
def queue(request):
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
    )
    # The query string without the cursor: for page links, bulk redirects and refreshes.
    base_query = {
        k: v
        for k, v in request.GET.items()
        if k not in ("after", "before") and v and k in form.fields
    }
    context = {
        "form": form,
        "filter_fields": [form[name] for name in QUEUE_FILTER_FIELDS],
        "page": page,
        "partial": _is_htmx(request),
        "options": options,
        "views": selectors.VIEWS,
        "counts": selectors.queue_view_counts(user=request.user),
        "base_query": urlencode(base_query),
        "current_url": request.get_full_path(),
        "bulk_form": BulkForm(None, options=options),
    }
    template = "desk/partials/queue_results.html" if _is_htmx(request) else "desk/queue.html"
    return render(request, template, context)


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
        messages.error(request, "Select tickets and a complete action: " + _errors(form))
        return redirect(back, permanent=False)
    data = form.cleaned_data
    try:
        outcome = services.ticket_bulk_apply(
            numbers=data["tickets"],
            action=data["action"],
            by=request.user,
            agent=data["agent"],
            status=data["status"] or None,
            priority=data["priority"],
            department=data["department"],
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


def _errors(form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


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


# The ticket page ----------------------------------------------------------------------


def _render_ticket(request, number, *, reply_form=None, note_form=None, status=200):
    page = selectors.ticket_page_for_agent(user=request.user, number=number)
    presence.presence_touch(ticket_id=page.ticket.pk, user=request.user)
    if reply_form is None:
        initial = {"last_seen_entry": page.last_entry_id}
        canned_id = request.GET.get("canned")
        if canned_id and canned_id.isdigit():
            canned = next((c for c in page.canned_responses if c.pk == int(canned_id)), None)
            if canned is not None:
                initial["body"] = canned.body
        reply_form = ReplyForm(initial=initial)
    context = {
        "tp": page,
        "ticket": page.ticket,
        "reply_form": reply_form,
        "note_form": note_form or NoteForm(),
        "others": presence.presence_others(ticket_id=page.ticket.pk, user=request.user),
        "heartbeat_seconds": presence.HEARTBEAT_SECONDS,
        "priorities": Priority.choices,
        "partial": _is_htmx(request),
    }
    template = "desk/partials/ticket_body.html" if _is_htmx(request) else "desk/ticket.html"
    return render(request, template, context, status=status)


@require_GET
@agent_required
def ticket(request, number):
    return _render_ticket(request, number)


@require_POST
@agent_required
def reply(request, number):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        files = form.cleaned_data["attachments"]
        try:
            services.ticket_reply(
                ticket=ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                last_seen_entry_id=form.cleaned_data["last_seen_entry"],
                attachments=files,
            )
        except NewMessageArrived as error:
            # Keep what the agent wrote, show the new message, and let them send again.
            # Browsers cannot refill a file input, so chosen files must be chosen again.
            warning = error.message
            if files:
                warning += " Attach your files again."
            messages.warning(request, warning)
            page_entry = selectors.ticket_page_for_agent(user=request.user, number=number)
            held = ReplyForm(
                initial={
                    "body": form.cleaned_data["body"],
                    "last_seen_entry": page_entry.last_entry_id,
                }
            )
            return _render_ticket(
                request, number, reply_form=held, status=409 if not _is_htmx(request) else 200
            )
        except InvalidInput as error:
            # A refused file (the message names it) or text: shown in the reply box, with
            # the reply kept. Nothing was stored: every file is checked before any is written.
            form.add_error(None, error.message)
        except TicketError as error:
            # Shown above the page (the reply box is gone from a closed ticket); the text
            # stays in the form.
            messages.error(request, error.message)
        else:
            presence.presence_touch(ticket_id=ticket.pk, user=request.user, writing=False)
            sent = "Reply sent to the requester"
            if files:
                sent += f" with {len(files)} attachment{'s' if len(files) != 1 else ''}"
            messages.success(request, sent + ".")
            return redirect(_ticket_url(ticket.number), permanent=False)
    return _render_ticket(
        request, number, reply_form=form, status=400 if not _is_htmx(request) else 200
    )


@require_POST
@agent_required
def note(request, number):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_add_note(
                ticket=ticket, body=form.cleaned_data["body"], by=request.user
            )
        except TicketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Internal note added. The requester does not see it.")
            return redirect(_ticket_url(ticket.number))
    return _render_ticket(
        request, number, note_form=form, status=400 if not _is_htmx(request) else 200
    )


# Actions: each is a row of the action table (its label, who may, from which statuses,
# what the page says when done), a form (or none) and one service call.


def _no_form(request, ticket):
    return None


def _assign_form(request, ticket):
    return AssignForm(request.POST, agents=access.assignable_agents(ticket.department))


ACTION_CALLS = {
    "claim": (_no_form, lambda t, by, d: services.ticket_claim(ticket=t, by=by)),
    "assign": (
        _assign_form,
        lambda t, by, d: services.ticket_assign(ticket=t, agent=d["agent"], by=by),
    ),
    "transfer": (
        lambda r, t: TransferForm(r.POST),
        lambda t, by, d: services.ticket_transfer(ticket=t, department=d["department"], by=by),
    ),
    "priority": (
        lambda r, t: PriorityForm(r.POST),
        lambda t, by, d: services.ticket_set_priority(ticket=t, priority=d["priority"], by=by),
    ),
    "plan": (
        lambda r, t: PlanForm(r.POST),
        lambda t, by, d: services.ticket_set_plan(ticket=t, plan=d["plan"], by=by),
    ),
    "revoke-link": (
        _no_form,
        lambda t, by, d: services.ticket_revoke_access_link(ticket=t, by=by),
    ),
    **{
        action.name: (
            _no_form,
            lambda t, by, d, name=action.name: services.ticket_change_status(
                ticket=t, action=name, by=by
            ),
        )
        for action in TICKET_ACTIONS.values()
        if action.target is not None
    },
}


@require_POST
@agent_required
def action(request, number, name):
    if name not in ACTION_CALLS:
        raise Http404("No such action.")
    make_form, call = ACTION_CALLS[name]
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = make_form(request, ticket)
    if form is not None and not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_ticket_url(ticket.number))
    try:
        call(ticket, request.user, form.cleaned_data if form is not None else {})
    except TicketError as error:
        messages.error(request, error.message)
    else:
        selectors.queue_counts_forget(user=request.user)
        messages.success(request, TICKET_ACTIONS[name].done)
    return redirect(_ticket_url(ticket.number))


# Collisions ----------------------------------------------------------------------------


@require_POST
@agent_required
def heartbeat(request, number):
    """Presence: the agent has the page open (and is writing); answers who else is there."""
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    presence.presence_touch(
        ticket_id=ticket.pk, user=request.user, writing=request.POST.get("writing") == "1"
    )
    try:
        seen = int(request.POST.get("seen", ""))
    except ValueError:
        seen = None
    new_messages = (
        selectors.new_messages_since(ticket=ticket, entry_id=seen) if seen is not None else 0
    )
    return render(
        request,
        "desk/partials/viewers.html",
        {
            "ticket": ticket,
            "others": presence.presence_others(ticket_id=ticket.pk, user=request.user),
            "new_messages": new_messages,
        },
    )


# Attachments ---------------------------------------------------------------------------


@require_GET
@agent_required
def attachment(request, pk):
    item = access.attachment_get_for_agent(user=request.user, pk=pk)
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.filename,
        content_type="application/octet-stream",
    )
