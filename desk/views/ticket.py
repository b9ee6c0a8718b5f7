"""The ticket page and what is done on it: replies, notes, actions, presence, files.

A plain form post gets a redirect (303) back to the page, with a flash message. An htmx
request gets, instead, only the regions of the page that the change touched (header,
timeline, actions panel, messages), swapped out of band: never a reply or note box that
the request did not submit, so nothing half-typed is ever lost (docs/decisions/0015).
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sessions import session_background
from desk import presence
from desk.forms import (
    AssignForm,
    CollaboratorForm,
    LinkForm,
    MergeForm,
    NoteForm,
    PersonForm,
    PlanForm,
    PriorityForm,
    ReplyForm,
    TagForm,
    TicketFieldsForm,
    TicketNumberForm,
    TimeForm,
    TransferForm,
)
from desk.task_forms import ResolveForm
from desk.views.common import agent_required, form_errors, is_htmx
from kb.selectors import sent_articles_for_ticket
from kb.services import ticket_record_sent_articles
from mail.selectors import inbound_for_entry, inbound_headers
from tickets import access, selectors, services
from tickets.errors import FieldErrors, InvalidInput, NewMessageArrived, OpenTasks, TicketError
from tickets.models import Draft, Priority, Source, Status, ThreadEntry
from tickets.transitions import ACTIONS as TICKET_ACTIONS
from web.custom_fields import add_field_errors
from web.files import attachment_response

REPLY, NOTE = Draft.Box.REPLY, Draft.Box.NOTE


def ticket_url(number) -> str:
    return reverse("agent:ticket", args=[number])


def _reply_form(request, page) -> ReplyForm:
    """A reply box as the agent left it: their draft, else a canned response asked for."""
    initial = {"last_seen_entry": page.last_entry_id}
    draft = page.drafts.get(REPLY)
    canned_id = request.GET.get("canned", "")
    if draft is not None:
        initial["body"] = draft.body
    elif canned_id.isdigit():
        canned = next((c for c in page.canned_responses if c.pk == int(canned_id)), None)
        if canned is not None:
            initial["body"] = canned.body
    return ReplyForm(initial=initial)


def _note_form(page) -> NoteForm:
    draft = page.drafts.get(NOTE)
    return NoteForm(initial={"body": draft.body} if draft is not None else None)


def page_context(request, page, *, reply_form=None, note_form=None, fields_form=None) -> dict:
    return {
        "fields_form": fields_form or TicketFieldsForm(values=page.custom_fields),
        "tp": page,
        "ticket": page.ticket,
        "reply_form": reply_form or _reply_form(request, page),
        "note_form": note_form or _note_form(page),
        "reply_draft": page.drafts.get(REPLY),
        "note_draft": page.drafts.get(NOTE),
        "others": presence.presence_others(ticket_id=page.ticket.pk, user=request.user),
        "heartbeat_seconds": presence.HEARTBEAT_SECONDS,
        "priorities": Priority.choices,
        "link_kinds": [(key, services.LINK_LABELS[key]) for key in services.LINK_CHOICES],
        "sent_articles": sent_articles_for_ticket(ticket=page.ticket),
    }


def _render_ticket(
    request, number, *, reply_form=None, note_form=None, fields_form=None, boxes=(), status=200
):
    """The page, or for htmx its changed regions plus the compose `boxes` the request sent.

    The reply box also goes when the ticket closes: nothing can be replied to any more
    (the draft stays on the server).
    """
    page = selectors.ticket_page_for_agent(user=request.user, number=number)
    if page.ticket.merged_into_id is not None:
        return _to_merge_target(request, page.ticket)
    presence.presence_touch(ticket_id=page.ticket.pk, user=request.user)
    context = page_context(
        request, page, reply_form=reply_form, note_form=note_form, fields_form=fields_form
    )
    if not is_htmx(request):
        return render(request, "desk/ticket.html", context, status=status)
    context["with_reply"] = REPLY in boxes or page.ticket.status == Status.CLOSED
    context["with_note"] = NOTE in boxes
    return render(request, "desk/partials/ticket_updates.html", context, status=status)


MERGED_AWAY = "Ticket #{number} was merged into #{into}: its thread continues here."


def _to_merge_target(request, ticket):
    """A merged-away ticket's page leads to where its story continues (the chain resolved);
    its merge is undone from there."""
    into = access.merge_destination(ticket)
    messages.info(request, MERGED_AWAY.format(number=ticket.number, into=into.number))
    url = ticket_url(into.number)
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url, permanent=False)


def _done(request, number, *, boxes=()):
    """After a change that worked: the page again (plain post) or its updates (htmx)."""
    if is_htmx(request):
        return _render_ticket(request, number, boxes=boxes)
    return redirect(ticket_url(number), permanent=False)


@require_GET
@agent_required
def ticket(request, number):
    return _render_ticket(request, number)


@require_POST
@agent_required
def reply(request, number):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = ReplyForm(request.POST, request.FILES)
    status = 200 if is_htmx(request) else 400
    if form.is_valid():
        files = form.cleaned_data["attachments"]
        try:
            entry = services.ticket_reply(
                ticket=ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                last_seen_entry_id=form.cleaned_data["last_seen_entry"],
                attachments=files,
                minutes=form.cleaned_data["minutes"],
            )
        except NewMessageArrived as error:
            return _held_back(request, number, form, error, files)
        except InvalidInput as error:
            # A refused file (the message names it) or text: shown in the reply box, with
            # the reply kept. Nothing was stored: every file is checked before any is written.
            form.add_error(None, error.message)
        except TicketError as error:
            # Shown above the page (the reply box is gone from a closed ticket); the text
            # stays in the form.
            messages.error(request, error.message)
        else:
            # Help-centre articles linked in the reply are recorded as sent (decision 0032).
            ticket_record_sent_articles(ticket=ticket, entry=entry, by=request.user)
            presence.presence_touch(ticket_id=ticket.pk, user=request.user, writing=False)
            sent = "Reply sent to the requester"
            if files:
                sent += f" with {len(files)} attachment{'s' if len(files) != 1 else ''}"
            messages.success(request, sent + ".")
            return _done(request, ticket.number, boxes=(REPLY,))
    return _render_ticket(request, number, reply_form=form, boxes=(REPLY,), status=status)


def _held_back(request, number, form, error, files):
    """Keep what the agent wrote (and its draft), show the new message, let them send again.

    Browsers cannot refill a file input, so chosen files must be chosen again.
    """
    warning = error.message + (" Attach your files again." if files else "")
    messages.warning(request, warning)
    page = selectors.ticket_page_for_agent(user=request.user, number=number)
    held = ReplyForm(
        initial={"body": form.cleaned_data["body"], "last_seen_entry": page.last_entry_id}
    )
    status = 200 if is_htmx(request) else 409
    return _render_ticket(request, number, reply_form=held, boxes=(REPLY,), status=status)


@require_POST
@agent_required
def note(request, number):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_add_note(
                ticket=ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                minutes=form.cleaned_data["minutes"],
            )
        except TicketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Internal note added. The requester does not see it.")
            return _done(request, ticket.number, boxes=(NOTE,))
    status = 200 if is_htmx(request) else 400
    return _render_ticket(request, number, note_form=form, boxes=(NOTE,), status=status)


@require_POST
@agent_required
def fields(request, number):
    """The ticket's custom fields: what the agent changed is saved, with its event. Errors
    come back under each field with what was typed (htmx: in the page's side panel)."""
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = TicketFieldsForm(request.POST, values=selectors.ticket_fields_for_agent(ticket=ticket))
    if form.is_valid():
        try:
            services.ticket_set_fields(ticket=ticket, values=form.changed_values, by=request.user)
        except FieldErrors as errors:
            add_field_errors(form, errors)
        except TicketError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, TICKET_ACTIONS["fields"].done)
            return _done(request, ticket.number)
    status = 200 if is_htmx(request) else 400
    return _render_ticket(request, number, fields_form=form, status=status)


# Actions: each is a row of the action table (its label, who may, from which statuses,
# what the page says when done), a form (or none) and one service call.


def _no_form(request, ticket):
    return None


def _assign_form(request, ticket):
    return AssignForm(request.POST, agents=access.assignable_agents(ticket.department))


def _other(by, data) -> object:
    """The other ticket of a link, by number, if the agent works it."""
    try:
        return access.ticket_get_for_agent(user=by, number=data["ticket"])
    except Http404:
        raise InvalidInput(f"No ticket #{data['ticket']} in your departments.") from None


def _resolve_children(ticket, by, data):
    outcome = services.ticket_resolve_children(ticket=ticket, by=by)
    if not outcome.done and not outcome.failed:
        raise InvalidInput("No open child tickets to resolve.")
    return outcome


ACTION_CALLS = {
    "undo-merge": (_no_form, lambda t, by, d: services.ticket_merge_undo(ticket=t, by=by)),
    "link": (
        lambda r, t: LinkForm(r.POST),
        lambda t, by, d: services.ticket_link(
            ticket=t, other=_other(by, d), kind=d["kind"], by=by
        ),
    ),
    "unlink": (
        lambda r, t: TicketNumberForm(r.POST),
        lambda t, by, d: services.ticket_unlink(ticket=t, other=_other(by, d), by=by),
    ),
    "resolve-children": (_no_form, _resolve_children),
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
    "resume-mail": (
        lambda r, t: PersonForm(r.POST),
        lambda t, by, d: services.ticket_resume_mail(ticket=t, user=d["user"], by=by),
    ),
    "revoke-link": (
        _no_form,
        lambda t, by, d: services.ticket_revoke_access_link(ticket=t, by=by),
    ),
    "add-collaborator": (
        lambda r, t: CollaboratorForm(r.POST),
        lambda t, by, d: services.ticket_add_collaborator(ticket=t, user=d["person"], by=by),
    ),
    "remove-collaborator": (
        lambda r, t: CollaboratorForm(r.POST),
        lambda t, by, d: services.ticket_remove_collaborator(ticket=t, user=d["person"], by=by),
    ),
    # Tags and time spent (docs/decisions/0043).
    "add-tag": (
        lambda r, t: TagForm(r.POST),
        lambda t, by, d: services.ticket_add_tag(ticket=t, name=d["tag"], by=by),
    ),
    "remove-tag": (
        lambda r, t: TagForm(r.POST),
        lambda t, by, d: services.ticket_remove_tag(ticket=t, name=d["tag"], by=by),
    ),
    "log-time": (
        lambda r, t: TimeForm(r.POST),
        lambda t, by, d: services.ticket_log_time(
            ticket=t, minutes=d["minutes"], note=d["note"], by=by
        ),
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
    # With open tasks, resolving asks first (desk/views/tasks.py's confirmation page).
    "resolve": (
        lambda r, t: ResolveForm(r.POST),
        lambda t, by, d: services.ticket_resolve(
            ticket=t, by=by, confirm_open_tasks=d["confirm_open_tasks"]
        ),
    ),
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
        messages.error(request, form_errors(form))
        return _done(request, ticket.number)
    data = form.cleaned_data if form is not None else {}
    if isinstance(form, CollaboratorForm):
        data = {**data, "person": form.person()}
    try:
        result = call(ticket, request.user, data)
    except OpenTasks:
        return _resolve_confirm_redirect(request, ticket.number)
    except TicketError as error:
        messages.error(request, error.message)
    else:
        selectors.queue_counts_forget(user=request.user)
        messages.success(request, TICKET_ACTIONS[name].done)
        for failed, reason in getattr(result, "failed", ()):
            messages.warning(request, f"#{failed} not changed: {reason}")
    return _done(request, ticket.number)


def _resolve_confirm_redirect(request, number) -> HttpResponse:
    """Where resolving leads while tasks are open: the page that lists them and asks to
    confirm (htmx follows HX-Redirect; a plain post gets the redirect)."""
    url = reverse("agent:resolve_confirm", args=[number])
    if is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# Merging ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_required
def merge(request):
    """Merge tickets into another: GET shows what will happen (from the ticket page's
    "Merge into" and the queue's bulk bar), POST does it and leads to the target."""
    form = MergeForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, "Choose the tickets to merge and the ticket to merge them into.")
        back = form.data.get("sources") if hasattr(form.data, "get") else None
        return redirect(ticket_url(back) if str(back).isdigit() else reverse("agent:queue"))
    sources, into = form.cleaned_data["sources"], form.cleaned_data["into"]
    try:
        preview = selectors.merge_preview_for_agent(user=request.user, sources=sources, into=into)
    except LookupError as error:
        messages.error(request, str(error))
        return redirect(ticket_url(sources[0]) if len(sources) == 1 else reverse("agent:queue"))
    if request.method == "POST" and not preview.problems:
        try:
            services.ticket_merge(sources=preview.sources, target=preview.target, by=request.user)
        except TicketError as error:
            preview.problems.append(error.message)
        else:
            selectors.queue_counts_forget(user=request.user)
            numbers = ", ".join(f"#{t.number}" for t in preview.sources)
            messages.success(
                request,
                f"Merged {numbers} into #{preview.target.number}. "
                f"You can undo this for {services.UNDO_DAYS} days, from this page.",
            )
            return redirect(ticket_url(preview.target.number))
    status = 400 if preview.problems and request.method == "POST" else 200
    return render(
        request,
        "desk/merge_confirm.html",
        {"preview": preview, "undo_days": services.UNDO_DAYS},
        status=status,
    )


# Collisions ----------------------------------------------------------------------------


@require_POST
@agent_required
def heartbeat(request, number):
    """Presence: the agent has the page open (and is writing); answers who else is there."""
    session_background(request)  # the page's heartbeat, not the agent's activity
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


# Mail ------------------------------------------------------------------------------------


@require_GET
@agent_required
def entry_headers(request, number, entry_id):
    """The original headers of a message that came by email (for agents: where it came
    from, what it answered, what the mail servers said about it)."""
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    entry = ThreadEntry.objects.filter(ticket=ticket, pk=entry_id).first()
    if entry is None or entry.source != Source.EMAIL:
        raise Http404("No email behind this entry.")
    # An entry marked "by email" may have no message in our ledger: history imported from
    # osTicket arrived before the switch. The page says so rather than answering 404.
    inbound = inbound_for_entry(entry=entry)
    return render(
        request,
        "desk/entry_headers.html",
        {
            "ticket": ticket,
            "entry": entry,
            "inbound": inbound,
            "headers": inbound_headers(inbound) if inbound is not None else [],
        },
    )


# Attachments ---------------------------------------------------------------------------


@require_GET
@agent_required
def attachment(request, pk):
    return attachment_response(access.attachment_get_for_agent(user=request.user, pk=pk))


@require_GET
@agent_required
def attachment_inline(request, pk):
    """An email's inline image, shown in place of its `cid:` reference."""
    item = access.attachment_get_for_agent(user=request.user, pk=pk)
    return attachment_response(item, inline=True)
