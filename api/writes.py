"""The API's changes: opening tickets, replies, notes and the actions of the action table.
Each validates its input strictly, calls one service as the request's agent (inside
acting_via, so the history says "via API key <name>"), and answers with what changed."""

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Agent, Department
from accounts.services import guest_user_get_or_create
from api.models import ApiKey, Scope
from api.requests import (
    PRIORITIES,
    AssignInput,
    LinkInput,
    MergeInput,
    NoInput,
    PlanInput,
    PriorityInput,
    ReplyInput,
    ResolveInput,
    TagInput,
    TextInput,
    TicketCreateInput,
    TicketFieldsInput,
    TimeEntryInput,
    TransferInput,
    UnlinkInput,
    multipart_form,
)
from api.serializers import (
    EntrySerializer,
    ReplySerializer,
    TicketDetailSerializer,
    TimeEntrySerializer,
)
from api.views import (
    ApiMixin,
    TicketDetailView,
    TicketList,
    detail_response,
    ticket_detail_response,
)
from kb.services import KBError, sent_articles_check, ticket_record_sent_articles
from sla.models import SLAPlan
from tickets import access, services
from tickets.events import acting_via
from tickets.models import HelpTopic, Source
from tickets.selectors import ticket_detail_of, time_entries_for_ticket
from tickets.transitions import ACTIONS as TICKET_ACTIONS

MAX_FILES_FIELD = "attachments"


def via(request) -> str | None:
    key = request.auth
    return f"API key {key.name}" if isinstance(key, ApiKey) else None


def checked(serializer_class, request) -> tuple[dict, list]:
    """The body's fields, checked, and its uploaded files (multipart `attachments`)."""
    files = request.FILES.getlist(MAX_FILES_FIELD) if request.FILES else []
    other_files = sorted(set(request.FILES or ()) - {MAX_FILES_FIELD})
    if other_files:
        raise ValidationError(
            {name: ["Unknown file field: send files as `attachments`."] for name in other_files}
        )
    data = request.data
    if hasattr(data, "dict"):  # a form post: plain values (a list's repeated), files apart
        lists = {
            name
            for name, field in serializer_class().fields.items()
            if isinstance(field, serializers.ListField)
        }
        data = form_fields(
            {
                k: data.getlist(k) if k in lists else v
                for k, v in data.dict().items()
                if k != MAX_FILES_FIELD
            }
        )
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data, files


def form_fields(values: dict) -> dict:
    """A form post's fields, `outer.inner` ones gathered into the object `outer`: a
    multipart body cannot nest, so `requester.email` and `requester.name` stand for JSON's
    `"requester": {"email": ..., "name": ...}`."""
    fields = {name: value for name, value in values.items() if "." not in name}
    for name, value in values.items():
        outer, dot, inner = name.partition(".")
        if not dot:
            continue
        if outer in fields and not isinstance(fields[outer], dict):
            raise ValidationError(
                {outer: [f"Send {outer} either as one value or as {outer}.<field>, not both."]}
            )
        fields.setdefault(outer, {})[inner] = value
    return fields


def _get(model, pk, field: str):
    obj = model.objects.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise ValidationError({field: [f"No {model._meta.verbose_name} with id {pk}."]})
    return obj


class TicketCreate(ApiMixin, APIView):
    """Open a ticket for a requester (found by email, or made a guest), as the key's agent,
    in a department they work. JSON, or multipart/form-data to attach files: there the
    requester is the fields `requester.email` and `requester.name`, and each file one
    `attachments` part. A file the help desk does not take (its kind, its size, too many)
    is a 400 naming it, and nothing is created: no ticket, no requester."""

    scopes = {"write": Scope.TICKETS_WRITE}

    @extend_schema(
        operation_id="tickets_create",
        description=__doc__,
        request={
            "application/json": TicketCreateInput,
            "multipart/form-data": multipart_form(TicketCreateInput, "TicketCreateForm"),
        },
        responses={201: TicketDetailSerializer},
    )
    def post(self, request):
        data, files = checked(TicketCreateInput, request)
        help_topic = _get(HelpTopic, data.get("help_topic"), "help_topic")
        department = _get(Department, data.get("department"), "department")
        requester_data = data["requester"]
        # One transaction: a ticket the service refuses (a file it does not take, a
        # department this agent does not work) leaves no new requester behind either.
        with transaction.atomic(), acting_via(via(request)):
            requester = guest_user_get_or_create(
                email=requester_data["email"], display_name=requester_data.get("name", "")[:150]
            )
            ticket = services.ticket_create(
                requester=requester,
                by=request.user,
                subject=data["subject"],
                body=data["body"],
                help_topic=help_topic,
                department=department,
                priority=PRIORITIES.get(data.get("priority")),
                source=Source.API,
                attachments=files,
                fields=data.get("fields", {}),
            )
        # The ticket as created, not read back: the service checked this agent may open
        # it here, and it holds what the answer shows: three queries fewer (bench/api.py).
        return detail_response(ticket_detail_of(ticket=ticket), status=status.HTTP_201_CREATED)


class EntryCreate(ApiMixin, APIView):
    """A reply (emailed to the requester) or an internal note."""

    service = None  # set by as_view(): ticket_reply or ticket_add_note
    body = TextInput
    serializer = EntrySerializer

    def post(self, request, number):
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        data, files = checked(type(self).body, request)
        entry = self.create(request, ticket, data, files)
        context = {"ticket_number": ticket.number}
        return Response(
            self.serializer(entry, context=context).data, status=status.HTTP_201_CREATED
        )

    def create(self, request, ticket, data, files):
        with acting_via(via(request)):
            return type(self).service(
                ticket=ticket,
                body=data["body"],
                by=request.user,
                attachments=files,
                source=Source.API,
                minutes=data.get("minutes"),
            )


TEXT_BODIES = {
    "application/json": TextInput,
    "multipart/form-data": multipart_form(TextInput, "TextForm"),
}
REPLY_BODIES = {
    "application/json": ReplyInput,
    "multipart/form-data": multipart_form(ReplyInput, "ReplyForm"),
}


class ReplyCreate(EntryCreate):
    """A reply, emailed to the requester. `articles` records the knowledge-base articles
    it sends, as the desk's reply box does (kb.services.ticket_record_sent_articles)."""

    scopes = {"write": Scope.REPLIES_WRITE}
    service = staticmethod(services.ticket_reply)
    body = ReplyInput
    serializer = ReplySerializer

    @extend_schema(
        operation_id="tickets_reply",
        description=__doc__,
        request=REPLY_BODIES,
        responses={201: ReplySerializer},
    )
    def post(self, request, number):
        return super().post(request, number)

    def create(self, request, ticket, data, files):
        # Checked before anything is written: a bad id sends no reply.
        try:
            article_ids = sent_articles_check(
                by=request.user, article_ids=data.get("articles", [])
            )
        except KBError as error:
            raise ValidationError({"articles": [error.message]}) from error
        with transaction.atomic():
            entry = super().create(request, ticket, data, files)
            sent = ticket_record_sent_articles(
                ticket=ticket, entry=entry, by=request.user, article_ids=article_ids
            )
        entry.articles = sorted(row.article_id for row in sent)
        return entry


class NoteCreate(EntryCreate):
    scopes = {"write": Scope.NOTES_WRITE}
    service = staticmethod(services.ticket_add_note)

    @extend_schema(
        operation_id="tickets_note", request=TEXT_BODIES, responses={201: EntrySerializer}
    )
    def post(self, request, number):
        return super().post(request, number)


def _assign(ticket, by, data):
    agent = None
    if data["agent"] is not None:
        agent = access.assignable_agents(ticket.department).filter(pk=data["agent"]).first()
        if agent is None:
            raise ValidationError({"agent": ["No agent of this ticket's department has that id."]})
        agent = Agent.objects.select_related("user").get(pk=agent.pk)
    return services.ticket_assign(ticket=ticket, agent=agent, by=by)


def _other(by, number: int, field: str):
    """Another ticket of the action, by number, if the agent works it: a 400 naming the
    field otherwise (the ticket in the path is the 404)."""
    try:
        return access.ticket_get_for_agent(user=by, number=number)
    except Http404:
        raise ValidationError({field: [f"No ticket #{number} in your departments."]}) from None


def _merge(ticket, by, data):
    sources = [_other(by, number, "sources") for number in dict.fromkeys(data["sources"])]
    return services.ticket_merge(sources=sources, target=ticket, by=by)


# name -> (input, call): the action table's rows, as the desk's ticket page offers them.
ACTION_CALLS = {
    "claim": (NoInput, lambda t, by, d: services.ticket_claim(ticket=t, by=by)),
    "merge": (MergeInput, _merge),
    "undo-merge": (NoInput, lambda t, by, d: services.ticket_merge_undo(ticket=t, by=by)),
    "link": (
        LinkInput,
        lambda t, by, d: services.ticket_link(
            ticket=t, other=_other(by, d["ticket"], "ticket"), kind=d["kind"], by=by
        ),
    ),
    "unlink": (
        UnlinkInput,
        lambda t, by, d: services.ticket_unlink(
            ticket=t, other=_other(by, d["ticket"], "ticket"), by=by
        ),
    ),
    "resolve-children": (
        NoInput,
        lambda t, by, d: services.ticket_resolve_children(ticket=t, by=by),
    ),
    "assign": (AssignInput, _assign),
    "transfer": (
        TransferInput,
        lambda t, by, d: services.ticket_transfer(
            ticket=t, department=_get(Department, d["department"], "department"), by=by
        ),
    ),
    "priority": (
        PriorityInput,
        lambda t, by, d: services.ticket_set_priority(
            ticket=t, priority=PRIORITIES[d["priority"]], by=by
        ),
    ),
    "plan": (
        PlanInput,
        lambda t, by, d: services.ticket_set_plan(
            ticket=t, plan=_get(SLAPlan, d["sla_plan"], "sla_plan"), by=by
        ),
    ),
    "add-tag": (
        TagInput,
        lambda t, by, d: services.ticket_add_tag(ticket=t, name=d["tag"], by=by),
    ),
    "remove-tag": (
        TagInput,
        lambda t, by, d: services.ticket_remove_tag(ticket=t, name=d["tag"], by=by),
    ),
    **{
        action.name: (
            NoInput,
            lambda t, by, d, name=action.name: services.ticket_change_status(
                ticket=t, action=name, by=by
            ),
        )
        for action in TICKET_ACTIONS.values()
        if action.target is not None
    },
    "resolve": (
        ResolveInput,
        lambda t, by, d: services.ticket_resolve(
            ticket=t, by=by, confirm_open_tasks=d["confirm_open_tasks"]
        ),
    ),
}


class TicketAction(ApiMixin, APIView):
    """One action of the action table: claim, assign, transfer, priority, plan, the
    status moves (pending, resolve, close, reopen...), and merging and links: `merge`
    (`{"sources": [numbers]}` merged into this ticket), `undo-merge` (on a merged ticket,
    within 7 days), `link` (`{"ticket": number, "kind": "child_of"}`), `unlink`
    (`{"ticket": number}`) and `resolve-children` (of a resolved parent). A move the
    ticket's status does not allow is a 409 with the message the ticket page shows.
    Resolving a ticket with open tasks is a 409 listing them (`open_tasks`) unless the
    body says `{"confirm_open_tasks": true}`."""

    scopes = {"write": Scope.TICKETS_WRITE}

    @extend_schema(operation_id="tickets_action", request=None, responses=TicketDetailSerializer)
    def post(self, request, number, name):
        if name not in ACTION_CALLS:
            raise Http404(f"No action {name!r}; the actions are {', '.join(ACTION_CALLS)}.")
        make_input, call = ACTION_CALLS[name]
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        data, _files = checked(make_input, request)
        with acting_via(via(request)):
            call(ticket, request.user, data)
        return ticket_detail_response(request, ticket.number)


class TicketCollection(TicketCreate, TicketList):
    """/api/v1/tickets/: GET lists (tickets:read), POST opens one (tickets:write)."""

    scopes = {"read": Scope.TICKETS_READ, "write": Scope.TICKETS_WRITE}


class TicketFieldsUpdate(ApiMixin, APIView):
    """Change some of the ticket's custom fields (`{"fields": {"asset_tag": "DM-0042"}}`),
    as the agent page does: checked the same way (a 400 names each field refused), one
    `fields_changed` event for what changed. Answers with the ticket."""

    scopes = {"write": Scope.TICKETS_WRITE}

    @extend_schema(
        operation_id="tickets_fields_update",
        request=TicketFieldsInput,
        responses=TicketDetailSerializer,
    )
    def patch(self, request, number):
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        data, _files = checked(TicketFieldsInput, request)
        with acting_via(via(request)):
            services.ticket_set_fields(ticket=ticket, values=data["fields"], by=request.user)
        return ticket_detail_response(request, ticket.number)


class TicketResource(TicketFieldsUpdate, TicketDetailView):
    """/api/v1/tickets/<number>/: GET reads (tickets:read), PATCH changes its custom
    fields (tickets:write)."""

    scopes = {"read": Scope.TICKETS_READ, "write": Scope.TICKETS_WRITE}


class TimeEntryCollection(ApiMixin, APIView):
    """/api/v1/tickets/<number>/time-entries/: the time spent on the ticket, oldest first
    (GET, tickets:read), and minutes logged on their own as the key's agent (POST,
    tickets:write; `{"minutes": 25, "note": "Called the vendor"}`). Replies and notes log
    theirs with their own `minutes`."""

    scopes = {"read": Scope.TICKETS_READ, "write": Scope.TICKETS_WRITE}

    @extend_schema(operation_id="tickets_time_entries", responses=TimeEntrySerializer(many=True))
    def get(self, request, number):
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        entries = time_entries_for_ticket(ticket=ticket)
        return Response(TimeEntrySerializer(entries, many=True).data)

    @extend_schema(
        operation_id="tickets_time_entry_create",
        request=TimeEntryInput,
        responses={201: TimeEntrySerializer},
    )
    def post(self, request, number):
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        data, _files = checked(TimeEntryInput, request)
        with acting_via(via(request)):
            entry = services.ticket_log_time(
                ticket=ticket, minutes=data["minutes"], note=data["note"], by=request.user
            )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
