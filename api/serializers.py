"""What the API says about tickets and the people on them. Output only: input is read by
the request serializers in api/requests.py, which reject fields they do not know."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.fieldvalues import field_value_json
from tickets.models import MERGE_UNDO_WINDOW, Priority

URL_PLACEHOLDER = 987654321987654321  # 18 digits: no ticket number of a real path


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return str(user)


class AgentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, agent) -> str:
        return str(agent.user)


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RequesterSerializer(PersonSerializer):
    """A ticket's requester, with their organization and unit (decision 0039)."""

    organization = NamedSerializer(allow_null=True)
    unit = NamedSerializer(allow_null=True)


def _requester(user) -> dict:
    # The ids first: a requester in no organization costs no look-up, and the selectors
    # load the organization and unit with the ticket (tickets.access.TICKET_RELATED).
    organization = user.organization if user.organization_id else None
    unit = user.unit if user.unit_id else None
    return {
        "id": user.id,
        "email": user.email,
        "name": str(user),
        "organization": {"id": organization.id, "name": organization.name}
        if organization
        else None,
        "unit": {"id": unit.id, "name": unit.name} if unit else None,
    }


def _datetime(value):
    """A datetime as DRF's DateTimeField writes it (ISO 8601, `Z` for UTC, in the current
    time zone), or None."""
    return None if value is None else _DATETIME.to_representation(value)


_DATETIME = serializers.DateTimeField()


class TicketSerializer(serializers.Serializer):
    """A ticket as lists show it: what the queue's columns show, and links."""

    number = serializers.IntegerField()
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.SerializerMethodField()
    source = serializers.CharField()
    department = NamedSerializer()
    help_topic = NamedSerializer(allow_null=True)
    requester = RequesterSerializer()
    assignee = AgentSerializer(allow_null=True)
    sla_plan_id = serializers.IntegerField(allow_null=True)
    sla_state = serializers.SerializerMethodField()
    next_due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def to_representation(self, ticket) -> dict:
        """The fields above, written out: DRF's field-by-field walk (nested serializers,
        attribute lookups per field) was half of a 100-ticket page's time (bench/api.py).
        The declared fields stay the schema; a test holds the two to the same output."""
        department, topic = ticket.department, ticket.help_topic
        requester, assignee = ticket.requester, ticket.assignee
        return {
            "number": int(ticket.number),
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": self.get_priority(ticket),
            "source": ticket.source,
            "department": {"id": department.id, "name": department.name},
            "help_topic": {"id": topic.id, "name": topic.name} if topic else None,
            "requester": _requester(requester),
            "assignee": {"id": assignee.id, "name": str(assignee.user)} if assignee else None,
            "sla_plan_id": ticket.sla_plan_id,
            "sla_state": self.get_sla_state(ticket),
            "next_due_at": _datetime(ticket.next_due_at),
            "created_at": _datetime(ticket.created_at),
            "updated_at": _datetime(ticket.updated_at),
            "resolved_at": _datetime(ticket.resolved_at),
            "closed_at": _datetime(ticket.closed_at),
            "url": self.get_url(ticket),
        }

    def get_priority(self, ticket) -> str:
        return Priority(ticket.priority).name.lower()

    def get_sla_state(self, ticket) -> str:
        return ticket.sla_state_at(self.context["now"]).value

    def get_url(self, ticket) -> str:
        """The agent's page of the ticket."""
        # reverse() once per serializer, not per ticket: it was a fifth of a list page's
        # time (bench/api.py). The number is the only part that varies (str() of it).
        pattern = self.__dict__.get("_url_pattern")
        if pattern is None:
            path = reverse("agent:ticket", args=[URL_PLACEHOLDER])
            pattern = self._url_pattern = f"{settings.SITE_URL}{path}"
        return pattern.replace(str(URL_PLACEHOLDER), str(ticket.number), 1)


class ClockSerializer(serializers.Serializer):
    kind = serializers.CharField()
    target_minutes = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    paused = serializers.SerializerMethodField()
    met_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    business_minutes_taken = serializers.FloatField(allow_null=True)

    def get_paused(self, clock) -> bool:
        return clock.paused_at is not None


class AttachmentSerializer(serializers.Serializer):
    """A file of a thread entry; GET its `url` (scope tickets:read) for the file itself."""

    # The ticket's number comes as context["ticket_number"]: the selectors load the files
    # without their ticket, and one query per file would be the price of asking them.

    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment) -> str:
        path = reverse("api:attachment", args=[self.context["ticket_number"], attachment.pk])
        return f"{settings.SITE_URL}{path}"


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    author = PersonSerializer(allow_null=True)
    body = serializers.CharField()
    source = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True, source="attachments.all")


class ReplySerializer(EntrySerializer):
    articles = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The knowledge-base articles recorded as sent in this reply (decision 0032).",
    )


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = PersonSerializer(allow_null=True)
    data = serializers.JSONField()
    created_at = serializers.DateTimeField()


class LinkSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        ["related", "duplicate_of", "duplicated_by", "parent_of", "child_of"],
        help_text="As this ticket reads it: this ticket is `kind` `ticket`.",
    )
    ticket = serializers.IntegerField()


class MergedTicketSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    merged_at = serializers.DateTimeField()
    undo_until = serializers.DateTimeField()


class TimeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    minutes = serializers.IntegerField()
    note = serializers.CharField()
    agent = PersonSerializer()
    entry_id = serializers.IntegerField(
        allow_null=True, help_text="The reply or note the time was spent on, if any."
    )
    created_at = serializers.DateTimeField()


class AgentTimeSerializer(serializers.Serializer):
    agent = PersonSerializer()
    minutes = serializers.IntegerField()


class TimeSpentSerializer(serializers.Serializer):
    total_minutes = serializers.IntegerField(source="total")
    by_agent = AgentTimeSerializer(many=True)


class SurveySerializer(serializers.Serializer):
    """A satisfaction survey sent to the requester, and their answer (null: none yet)."""

    id = serializers.IntegerField()
    sent_at = serializers.DateTimeField()
    rating = serializers.SerializerMethodField()
    comment = serializers.CharField()
    rated_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=["good", "bad"], allow_null=True))
    def get_rating(self, survey):
        return survey.rating or None


class TicketDetailSerializer(TicketSerializer):
    """One ticket: its fields, its SLA clocks, and its thread and events when asked for
    (`?include=thread,events`). Serialises a tickets.selectors.TicketDetail's ticket, the
    detail itself given as context["detail"]."""

    clocks = serializers.SerializerMethodField()
    # Not get_fields: that is the serializer's own method.
    fields = serializers.SerializerMethodField(
        method_name="custom_fields_of",
        help_text="The custom fields of its help topic, by name (null: empty).",
    )
    tags = serializers.SerializerMethodField(help_text="Its tags' names, by name.")
    time_spent = serializers.SerializerMethodField()
    thread = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField(
        help_text="While merged away: the number of the ticket it continues in."
    )
    links = serializers.SerializerMethodField()
    merged_tickets = serializers.SerializerMethodField(
        help_text="Tickets merged into this one (and not undone), with until when the "
        "merge may be undone (the `undo-merge` action on the merged ticket)."
    )

    def get_merged_into(self, ticket) -> int | None:
        return self.context["detail"].merged_into

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, ticket):
        return [{"kind": kind, "ticket": number} for kind, number in self.context["detail"].links]

    @extend_schema_field(MergedTicketSerializer(many=True))
    def get_merged_tickets(self, ticket):
        return [
            {
                "ticket": merge.source.number,
                "merged_at": serializers.DateTimeField().to_representation(merge.merged_at),
                "undo_until": serializers.DateTimeField().to_representation(
                    merge.merged_at + MERGE_UNDO_WINDOW
                ),
            }
            for merge in self.context["detail"].merges_in
        ]

    def get_tags(self, ticket) -> list[str]:
        return [tag.name for tag in self.context["detail"].tags]

    @extend_schema_field(TimeSpentSerializer)
    def get_time_spent(self, ticket):
        return TimeSpentSerializer(self.context["detail"].time_spent).data

    satisfaction = serializers.SerializerMethodField()

    @extend_schema_field(SurveySerializer(many=True))
    def get_satisfaction(self, ticket):
        return SurveySerializer(self.context["detail"].surveys, many=True).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def custom_fields_of(self, ticket) -> dict:
        return {
            value.field.name: field_value_json(value)
            for value in self.context["detail"].custom_fields
        }

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, ticket):
        return ClockSerializer(self.context["detail"].clocks, many=True).data

    @extend_schema_field(EntrySerializer(many=True))
    def get_thread(self, ticket):
        entries = self.context["detail"].entries
        if entries is None:
            return None
        context = {"ticket_number": ticket.number}
        return EntrySerializer(entries, many=True, context=context).data

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, ticket):
        events = self.context["detail"].events
        return None if events is None else EventSerializer(events, many=True).data

    def to_representation(self, ticket):
        data = super().to_representation(ticket)  # the list's fields, written out
        data["clocks"] = self.get_clocks(ticket)
        data["fields"] = self.custom_fields_of(ticket)
        data["merged_into"] = self.get_merged_into(ticket)
        data["links"] = self.get_links(ticket)
        data["merged_tickets"] = self.get_merged_tickets(ticket)
        data["tags"] = self.get_tags(ticket)
        data["time_spent"] = self.get_time_spent(ticket)
        data["satisfaction"] = self.get_satisfaction(ticket)
        for name, value in (
            ("thread", self.get_thread(ticket)),
            ("events", self.get_events(ticket)),
        ):
            if value is not None:
                data[name] = value
        return data


class HelpTopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    department = NamedSerializer()
    sla_plan_id = serializers.IntegerField(allow_null=True)
    default_priority = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()

    def get_default_priority(self, topic) -> str:
        return Priority(topic.default_priority).name.lower()


class SLAPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    first_response_minutes = serializers.IntegerField(allow_null=True)
    next_response_minutes = serializers.IntegerField(allow_null=True)
    resolution_minutes = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()


class AgentDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = PersonSerializer()
    departments = serializers.SerializerMethodField()

    def get_departments(self, agent) -> list[dict]:
        return [{"department": m.department_id, "role": m.role} for m in agent.memberships.all()]


class UserSerializer(PersonSerializer):
    time_zone = serializers.CharField()
    date_joined = serializers.DateTimeField()
    is_guest = serializers.SerializerMethodField()

    def get_is_guest(self, user) -> bool:
        return not user.has_usable_password()


class FeedEventSerializer(EventSerializer):
    ticket = serializers.IntegerField(source="ticket.number")


class OwnTicketSerializer(serializers.Serializer):
    """A ticket as its requester sees it: no internal fields."""

    number = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    department = NamedSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
