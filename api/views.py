"""The REST API's views: thin, as the pages are. Each names the scope a key needs for it;
what the acting person may see and do is decided where the pages decide it."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department
from api.idempotency import Replay, idempotency_claim, idempotency_record
from api.models import ApiKey, Scope
from api.requests import PRIORITIES, TicketDetailQuery, TicketListQuery
from api.serializers import TicketDetailSerializer, TicketSerializer
from api.throttling import rate_limit_headers
from tickets import access
from tickets.selectors import (
    ALL_TICKETS,
    QueueFilters,
    ticket_detail_for_agent,
    ticket_list_for_agent,
)
from web.files import attachment_response

# A scope value that any valid key satisfies (what the key itself may see: who it is).
ANY_KEY = "*"


class ApiMixin:
    """What every API view shares: Idempotency-Key on POST (api/idempotency.py), and the
    rate-limit headers on every answer."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated, permitted, throttled
        request._idempotency_row = idempotency_claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response()
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        row = getattr(request, "_idempotency_row", None)
        if row is not None:
            idempotency_record(row, response)
        rate_limit_headers(request, response)
        return response


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    departments = serializers.ListField(child=serializers.IntegerField())
    key = serializers.DictField(allow_null=True)


class MeView(ApiMixin, APIView):
    """Who the request acts as: the person, their departments, and the key if one was used."""

    scopes = {"read": ANY_KEY}
    serializer_class = MeSerializer

    def get(self, request):
        user, key = request.user, request.auth
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "name": str(user),
                "departments": sorted(access.agent_department_ids(user))
                if access.is_agent(user)
                else [],
                "key": {
                    "name": key.name,
                    "scopes": key.scopes,
                    "expires_at": key.expires_at,
                }
                if isinstance(key, ApiKey)
                else None,
            }
        )


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        # auto_assignment: "off", "round_robin" or "least_open" (docs/auto-assignment.md).
        fields = ["id", "name", "email", "auto_assignment"]


class DepartmentList(ApiMixin, generics.ListAPIView):
    """The departments, by name."""

    scopes = {"read": Scope.DEPARTMENTS_READ}
    serializer_class = DepartmentSerializer
    queryset = Department.objects.only("id", "name", "email", "auto_assignment").order_by(
        "name", "id"
    )


# Tickets ---------------------------------------------------------------------------------


def query_of(serializer_class, request):
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


class TicketList(ApiMixin, APIView):
    """The tickets of the departments the key's agent (or the signed-in agent) works, newest
    change first unless sorted otherwise; a cursor walks the pages (`next`, `previous`).

    `q` searches as the desk's search box does (numbers, an email address, words as
    prefixes over subject and thread, part of the subject) and narrows the list like any
    other filter, combined with them: the order stays the list's own (`sort`, then the
    id), not a ranking, so a cursor resumes exactly after the last ticket of its page, and
    `count` counts every match."""

    scopes = {"read": Scope.TICKETS_READ}

    # A ranked order would need the whole ranking to resume from a cursor (the desk's
    # search ranks its best 2,000 and pages by number); a filter keeps the keyset pages
    # of tickets.selectors.queue, whose cost does not grow with the page's depth.
    @extend_schema(
        operation_id="tickets_list",
        description=__doc__,
        parameters=[TicketListQuery],
        responses=inline_serializer(
            "TicketPage",
            {
                "results": TicketSerializer(many=True),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "count": serializers.IntegerField(required=False),
            },
        ),
    )
    def get(self, request):
        query = query_of(TicketListQuery, request)
        if not access.is_agent(request.user):
            raise PermissionDenied("Only agents list tickets here; requesters use /api/v1/me/.")
        page = ticket_list_for_agent(
            user=request.user,
            view=ALL_TICKETS,
            filters=QueueFilters(
                department=query.get("department"),
                status=query.get("status"),
                priority=PRIORITIES.get(query.get("priority")),
                assignee=query.get("assignee"),
                help_topic=query.get("help_topic"),
                sla_state=query.get("sla_state"),
                requester=query.get("requester"),
                organization=query.get("organization"),
                updated_since=query.get("updated_since"),
                text=query.get("q"),
                tag=query.get("tag"),
            ),
            sort=query.get("sort"),
            after=query.get("cursor"),
            before=query.get("before"),
            page_size=query["page_size"],
            with_count=query["count"],
        )
        context = {"now": timezone.now()}
        body = {
            "results": TicketSerializer(page.tickets, many=True, context=context).data,
            "next": _page_url(request, cursor=page.next_cursor),
            "previous": _page_url(request, before=page.prev_cursor),
        }
        if page.count is not None:
            body["count"] = page.count
        return Response(body)


def _page_url(request, **cursor) -> str | None:
    ((name, value),) = cursor.items()
    if value is None:
        return None
    params = request.query_params.copy()
    params.pop("cursor", None)
    params.pop("before", None)
    params[name] = value
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class TicketDetailView(ApiMixin, APIView):
    """One ticket of the agent's departments (404 for any other, as for a missing one)."""

    scopes = {"read": Scope.TICKETS_READ}

    @extend_schema(
        operation_id="tickets_retrieve",
        parameters=[TicketDetailQuery],
        responses=TicketDetailSerializer,
    )
    def get(self, request, number):
        query = query_of(TicketDetailQuery, request)
        return ticket_detail_response(request, number, include=query.get("include", set()))


def ticket_detail_response(request, number, *, include=frozenset(), status=200) -> Response:
    detail = ticket_detail_for_agent(user=request.user, number=number, include=include)
    return detail_response(detail, status=status)


def detail_response(detail, *, status=200) -> Response:
    context = {"now": timezone.now(), "detail": detail}
    return Response(TicketDetailSerializer(detail.ticket, context=context).data, status=status)


# Files -----------------------------------------------------------------------------------


class AnyAccept(BaseContentNegotiation):
    """A download answers with the file whatever the client accepts (curl says */*, a
    browser or a script may name the file's type): DRF would refuse a type its renderers
    do not make with a 406. Errors are still problem documents, in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class AttachmentDownload(ApiMixin, APIView):
    """A file of a ticket of the agent's departments (a note's too: agents see them): the
    `url` of an attachment in the thread or in a reply's answer. Sent as the desk sends it:
    `Content-Disposition: attachment`, the type detected from the file's content,
    `X-Content-Type-Options: nosniff`, a sandboxing Content-Security-Policy and
    `Cache-Control: private`. A file of another ticket or department is a 404, as a missing
    one is. Requesters download their files from the portal."""

    # web/files.py answers for the desk and the portal too: one place for those headers.

    scopes = {"read": Scope.TICKETS_READ}
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="tickets_attachment_download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file's bytes, as an attachment; its Content-Type is the "
                "type detected from its content (image/png, application/pdf, text/plain...).",
            )
        },
    )
    def get(self, request, number, pk):
        attachment = access.attachment_get_for_agent(user=request.user, pk=pk, number=number)
        return attachment_response(attachment)
