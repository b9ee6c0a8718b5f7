"""The requester's portal: home, the new-ticket form, their tickets, one ticket's page.

Views are thin: a form validates, one service runs, the view redirects. Every ticket and
file is found through tickets.access (the signed-in requester's own, one they were copied
on as a collaborator, or one this session opened with the ticket's private link) and every
list through tickets.selectors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.ratelimit import public_form_allowed
from accounts.services import user_set_satisfaction_surveys
from kb.selectors import category_tree_for_portal
from kb.services import views_link_ticket, visitor_key
from portal.forms import ReplyForm, SurveyForm, TicketForm
from tickets.access import (
    access_key_fingerprint,
    attachment_get_for_requester,
    is_collaborator,
    is_participant,
    is_requester,
    merge_destination,
    ticket_get_for_requester,
    ticket_get_with_access_key,
)
from tickets.errors import FieldErrors, InvalidInput, TicketError
from tickets.models import SatisfactionRating, SatisfactionSurvey, Status
from tickets.selectors import (
    help_topic_list_for_portal,
    intake_fields_for_portal,
    ticket_fields_for_requester,
    ticket_list_for_requester,
    ticket_surveys,
    ticket_timeline_for_requester,
)
from tickets.services import (
    satisfaction_rate,
    ticket_add_message,
    ticket_resolve,
    ticket_submit,
)
from tickets.surveys import survey_from_token, survey_token
from tickets.transitions import can_transition
from web.custom_fields import add_field_errors
from web.files import attachment_response

GUEST_GRANTS = "guest_tickets"
SUBMITTED_SALT = "tickets.portal.submitted"  # as before the move: old links still open
SUBMITTED_MAX_AGE = 60 * 60
SUBJECT_PREFILL = 120
TOO_MANY = "We received many requests from you in a short time. Please try again later."
LOOKS_AUTOMATED = "We could not accept this submission. Please try again."


@require_GET
def home(request):
    return render(
        request,
        "portal/home.html",
        {"topics": help_topic_list_for_portal(), "categories": category_tree_for_portal()},
    )


def _topic_id(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _ticket_form(request) -> TicketForm:
    """The new-ticket form with the chosen topic's questions (the posted topic, or one a
    link chose: `?help_topic=3`)."""
    source = request.POST if request.method == "POST" else request.GET
    topic_id = _topic_id(source.get("help_topic"))
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        custom_fields=intake_fields_for_portal(help_topic=topic_id),
        fields_topic=topic_id,
    )
    if not form.is_bound and topic_id is not None:
        form.initial["help_topic"] = topic_id
    if not form.is_bound and source.get("subject"):
        # "Still need help?" in the help centre carries the words searched for.
        form.initial["subject"] = " ".join(source["subject"].split())[:SUBJECT_PREFILL]
    return form


@require_GET
def ticket_new_fields(request):
    """htmx: the questions of the topic just chosen, swapped in under the topic."""
    return render(request, "portal/_topic_fields.html", {"form": _ticket_form(request)})


@require_http_methods(["GET", "POST"])
def ticket_new(request):
    form = _ticket_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        email = request.user.email if request.user.is_authenticated else data["email"]
        if form.is_spam:
            form.add_error(None, LOOKS_AUTOMATED)
        elif not public_form_allowed(request, scope="intake", email=email):
            form.add_error(None, TOO_MANY)
        else:
            try:
                ticket = ticket_submit(
                    user=request.user,
                    name=data.get("name", ""),
                    email=email,
                    help_topic=data["help_topic"],
                    subject=data["subject"],
                    body=data["body"],
                    attachments=data["attachments"],
                    intake_token=data["intake_token"],
                    fields=form.custom_values,
                )
            except FieldErrors as errors:
                add_field_errors(form, errors)
            except TicketError as error:
                form.add_error(None, error.message)
            else:
                if request.session.session_key:
                    # Articles read before this ticket did not answer it (decision 0032).
                    views_link_ticket(
                        visitor=visitor_key(request.session.session_key), ticket=ticket
                    )
                token = signing.dumps(
                    {"n": ticket.number, "e": ticket.requester.email}, salt=SUBMITTED_SALT
                )
                return redirect("portal:ticket_submitted", token=token)
    return render(request, "portal/ticket_new.html", {"form": form})


@require_GET
def ticket_submitted(request, token: str):
    """The confirmation page; the signed token proves this browser just sent the ticket."""
    try:
        data = signing.loads(token, salt=SUBMITTED_SALT, max_age=SUBMITTED_MAX_AGE)
    except signing.BadSignature:
        raise Http404("No such submission.") from None
    return render(
        request,
        "portal/ticket_submitted.html",
        {"number": data["n"], "email": data["e"], "signed_in": request.user.is_authenticated},
    )


@login_required
@require_GET
def ticket_list(request):
    page = Paginator(ticket_list_for_requester(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/ticket_list.html", {"page": page})


def _portal_ticket(request, number):
    return ticket_get_for_requester(
        user=request.user, number=number, guest_grants=request.session.get(GUEST_GRANTS, {})
    )


def _writer(request, ticket):
    """Who writes from this page: a signed-in requester or collaborator as themselves; a
    private link's holder as the requester it was sent to."""
    if is_requester(request.user, ticket) or is_collaborator(request.user, ticket):
        return request.user
    return ticket.requester


def _render_ticket(request, ticket, reply_form, *, status=200):
    collaborating = is_collaborator(request.user, ticket)
    continues_in = merge_destination(ticket) if ticket.merged_into_id is not None else None
    context = {
        # A merged-away request: where it continues, a link only for its participants.
        "continues_in": continues_in,
        "may_open_continuation": continues_in is not None
        and is_participant(request.user, continues_in),
        "ticket": ticket,
        "timeline": ticket_timeline_for_requester(ticket=ticket),
        "custom_fields": ticket_fields_for_requester(ticket=ticket),
        "reply_form": reply_form,
        "can_reply": ticket.status != Status.CLOSED,
        # The requester decides that their request is done, not the people they copied.
        "can_mark_solved": not collaborating and can_transition(ticket.status, Status.RESOLVED),
        "collaborating": collaborating,
        "as_guest": not (is_requester(request.user, ticket) or collaborating),
        "survey": None if collaborating else _latest_survey(ticket),
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


def _latest_survey(ticket) -> dict | None:
    """The requester's latest survey of this ticket and, while it is open, its link."""
    surveys = ticket_surveys(ticket=ticket)
    if not surveys:
        return None
    latest = surveys[0]
    url = reverse("portal:survey", kwargs={"token": survey_token(latest)})
    return {"survey": latest, "url": url if latest.is_open() else ""}


@never_cache
@require_GET
def ticket_detail(request, number):
    ticket = _portal_ticket(request, number)
    return _render_ticket(request, ticket, ReplyForm())


@require_POST
def ticket_reply(request, number):
    ticket = _portal_ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        was_resolved = ticket.status == Status.RESOLVED
        try:
            ticket_add_message(
                ticket=ticket,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                by=_writer(request, ticket),
            )
        except TicketError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                "Your reply was added and the ticket is open again."
                if was_resolved
                else "Your reply was added.",
            )
            return redirect(reverse("portal:ticket", kwargs={"number": number}) + "#latest")
    return _render_ticket(request, ticket, form)


@require_POST
def ticket_mark_solved(request, number):
    ticket = _portal_ticket(request, number)
    try:
        ticket_resolve(ticket=ticket, by=_writer(request, ticket))
    except TicketError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Thanks! The ticket is marked as solved.")
    return redirect("portal:ticket", number=number)


@never_cache
@require_GET
def ticket_access(request, number, key: str):
    """A private link from an email: remember it in this session, then drop the key from
    the address bar (and so from history, screenshots and Referer headers)."""
    ticket = ticket_get_with_access_key(number=number, key=key)
    grants = dict(request.session.get(GUEST_GRANTS, {}))
    grants[str(ticket.number)] = access_key_fingerprint(ticket)
    request.session[GUEST_GRANTS] = grants
    response = redirect("portal:ticket", number=ticket.number)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def attachment_download(request, number, token: str):
    ticket = _portal_ticket(request, number)
    return attachment_response(attachment_get_for_requester(ticket=ticket, token=token))


@never_cache
@require_GET
def attachment_inline(request, number, token: str):
    """An email's inline image, shown in place of its `cid:` reference."""
    ticket = _portal_ticket(request, number)
    attachment = attachment_get_for_requester(ticket=ticket, token=token)
    return attachment_response(attachment, inline=True)


SURVEY_THANKS = "Thank you! Your rating is saved."
SURVEYS_STOPPED = (
    "We will not ask you how we did again. You can turn surveys back on in your profile."
)


def _survey_page(request, survey: SatisfactionSurvey | None, form=None, *, status=200):
    if survey is None:
        return render(request, "portal/survey.html", {"invalid": True}, status=404)
    if not survey.is_open():
        return render(
            request, "portal/survey.html", {"survey": survey, "closed": True}, status=410
        )
    if form is None:
        chosen = request.GET.get("rating")
        initial = {"comment": survey.comment}
        if chosen in SatisfactionRating.values:
            initial["rating"] = chosen
        elif survey.rating:
            initial["rating"] = survey.rating
        form = SurveyForm(initial=initial)
    context = {
        "survey": survey,
        "form": form,
        "ticket": survey.ticket,
        "token": survey_token(survey),
    }
    return render(request, "portal/survey.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey(request, token: str):
    """The page the survey email's Good and Bad links open: no sign-in, the signed token
    names the survey (tickets.surveys). A GET only shows the choice; the POST records it,
    so a mail scanner following the links never rates anything."""
    found = survey_from_token(token)
    if request.method != "POST" or found is None or not found.is_open():
        return _survey_page(request, found)
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            satisfaction_rate(
                survey=found,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                by=found.requester,
            )
        except InvalidInput as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, SURVEY_THANKS)
            return redirect("portal:survey", token=token)
    return _survey_page(request, found, form, status=400)


@require_POST
def survey_stop(request, token: str):
    """ "Stop asking me", from the survey page: a guest has no profile to say it in."""
    found = survey_from_token(token)
    if found is None:
        return _survey_page(request, None)
    user_set_satisfaction_surveys(user=found.requester, enabled=False)
    messages.success(request, SURVEYS_STOPPED)
    return redirect("portal:survey", token=token)
