"""The API's reference reads (help topics, SLA plans, agents, people), the event feed an
integration syncs from, and a requester's own tickets."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import guest_user_get_or_create
from api.models import Scope
from api.requests import AfterQuery, PeopleQuery, UserCreateInput
from api.serializers import (
    AgentDetailSerializer,
    FeedEventSerializer,
    HelpTopicSerializer,
    OwnTicketSerializer,
    SLAPlanSerializer,
    UserSerializer,
)
from api.views import ApiMixin, query_of
from api.writes import checked
from tickets import access, selectors


def _agents_only(request) -> None:
    if not access.is_agent(request.user):
        raise PermissionDenied("Only agents read this.")


def _page(items, serializer, *, cursor_of) -> dict:
    return {
        "results": serializer(items, many=True).data,
        "next_after": cursor_of(items[-1]) if items else None,
    }


class HelpTopicList(ApiMixin, APIView):
    scopes = {"read": Scope.DEPARTMENTS_READ}

    @extend_schema(operation_id="help_topics_list", responses=HelpTopicSerializer(many=True))
    def get(self, request):
        return Response(HelpTopicSerializer(selectors.help_topic_list(), many=True).data)


class SLAPlanList(ApiMixin, APIView):
    scopes = {"read": Scope.SLA_READ}

    @extend_schema(operation_id="sla_plans_list", responses=SLAPlanSerializer(many=True))
    def get(self, request):
        return Response(SLAPlanSerializer(selectors.sla_plan_list(), many=True).data)


class AgentList(ApiMixin, APIView):
    """The agents of the reader's departments, with their role in each."""

    scopes = {"read": Scope.USERS_READ}

    @extend_schema(operation_id="agents_list", responses=AgentDetailSerializer(many=True))
    def get(self, request):
        _agents_only(request)
        agents = selectors.agent_list_for_agent(user=request.user)
        return Response(AgentDetailSerializer(agents, many=True).data)


PEOPLE_PAGE = inline_serializer(
    "PeoplePage",
    {
        "results": UserSerializer(many=True),
        "next_after": serializers.IntegerField(allow_null=True),
    },
)


class UserCollection(ApiMixin, APIView):
    """People (requesters and agents) by id: `?after=` the last page's `next_after`;
    `?email=` finds one. POST adds a requester (a guest until they sign up)."""

    scopes = {"read": Scope.USERS_READ, "write": Scope.USERS_WRITE}

    @extend_schema(operation_id="users_list", parameters=[PeopleQuery], responses=PEOPLE_PAGE)
    def get(self, request):
        _agents_only(request)
        query = query_of(PeopleQuery, request)
        people = selectors.people_list(
            email=query.get("email"), after_id=query["after"], limit=query["limit"]
        )
        return Response(_page(people, UserSerializer, cursor_of=lambda u: u.pk))

    @extend_schema(operation_id="users_create", request=UserCreateInput, responses=UserSerializer)
    def post(self, request):
        _agents_only(request)
        data, _files = checked(UserCreateInput, request)
        user = guest_user_get_or_create(email=data["email"], display_name=data.get("name", ""))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetail(ApiMixin, APIView):
    scopes = {"read": Scope.USERS_READ}

    @extend_schema(operation_id="users_retrieve", responses=UserSerializer)
    def get(self, request, pk):
        _agents_only(request)
        person = selectors.person_get(pk=pk)
        if person is None:
            raise Http404("No such person.")
        return Response(UserSerializer(person).data)


class EventFeed(ApiMixin, APIView):
    """Every event of the tickets of the reader's departments, oldest first, after `after`
    (an event id): poll with the last page's `next_after` to follow every change once."""

    scopes = {"read": Scope.TICKETS_READ}

    @extend_schema(
        operation_id="events_list",
        parameters=[AfterQuery],
        responses=inline_serializer(
            "EventPage",
            {
                "results": FeedEventSerializer(many=True),
                "next_after": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        _agents_only(request)
        query = query_of(AfterQuery, request)
        events = selectors.event_feed_for_agent(
            user=request.user, after_id=query["after"], limit=query["limit"]
        )
        return Response(_page(events, FeedEventSerializer, cursor_of=lambda e: e.pk))


class MyTickets(ApiMixin, APIView):
    """The signed-in person's own tickets (and those they were copied on), as the portal
    shows them: never internal fields or notes."""

    scopes = {"read": Scope.TICKETS_READ}

    @extend_schema(operation_id="me_tickets_list", responses=OwnTicketSerializer(many=True))
    def get(self, request):
        tickets = selectors.ticket_list_for_participant(user=request.user)
        return Response(OwnTicketSerializer(tickets, many=True).data)
