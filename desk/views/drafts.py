"""Drafts: the reply and note boxes save themselves as the agent types (htmx, debounced).

Each save answers with the line under the box ("Draft saved at 14:02"); discarding
answers with the emptied box.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from desk.forms import DraftForm
from desk.views.common import agent_required, form_errors, is_htmx
from desk.views.ticket import page_context, ticket_url
from tickets import access, selectors, services
from tickets.errors import TicketError
from tickets.models import Draft

BOX_TEMPLATES = {
    Draft.Box.REPLY: "desk/partials/reply_box.html",
    Draft.Box.NOTE: "desk/partials/note_box.html",
}
NOT_SAVED = "The draft could not be saved: {}. What you typed is still in the box."


def _box(box: str) -> str:
    if box not in Draft.Box.values:
        raise Http404("No such box.")
    return box


@require_POST
@agent_required
def draft_save(request, number, box):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = DraftForm(request.POST, box=_box(box), ticket=ticket)
    context = {"ticket": ticket, "box": box, "draft": None, "error": ""}
    if not form.is_valid():
        context["error"] = NOT_SAVED.format(form_errors(form))
    else:
        try:
            context["draft"] = services.draft_save(ticket=ticket, by=request.user, **form.saved())
        except TicketError as error:
            context["error"] = error.message
    return render(request, "desk/partials/draft_status.html", context)


@require_POST
@agent_required
def draft_discard(request, number, box):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    services.draft_discard(ticket=ticket, by=request.user, box=_box(box))
    if not is_htmx(request):
        return redirect(ticket_url(ticket.number))
    page = selectors.ticket_page_for_agent(user=request.user, number=number)
    return render(request, BOX_TEMPLATES[box], page_context(request, page))
