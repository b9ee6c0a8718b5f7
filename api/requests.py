"""What the API accepts, checked: query parameters and bodies. Every parameter or field it
does not know is a 400 that names it, so a typo never silently means "no filter"."""

import copy
from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import (
    TIME_ENTRY_MAX_MINUTES,
    TIME_NOTE_MAX_LENGTH,
    Priority,
    SLAState,
    Status,
)
from tickets.selectors import SEARCH_QUERY_MAX_LENGTH, SORTS

BIGINT = 2**63 - 1  # ids beyond PostgreSQL's bigint are not ids: a 400, not a crash
PRIORITIES = {p.name.lower(): p.value for p in Priority}
MAX_PAGE_SIZE = 100


class StrictSerializer(serializers.Serializer):
    """Refuses what it does not know, naming it."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: this endpoint does not take it."] for name in unknown}
                )
        return super().to_internal_value(data)


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=BIGINT, required=False, **kwargs)


class TicketListQuery(StrictSerializer):
    status = serializers.ChoiceField(Status.values, required=False)
    department = _id()
    priority = serializers.ChoiceField(sorted(PRIORITIES), required=False)
    assignee = serializers.CharField(
        required=False, help_text="An agent's id, or `none` for unassigned tickets."
    )
    help_topic = _id()
    requester = _id()
    organization = _id(help_text="The requesters' organization: tickets of its members.")
    sla_state = serializers.ChoiceField(SLAState.values, required=False)
    updated_since = serializers.DateTimeField(required=False)
    q = serializers.CharField(
        required=False,
        max_length=SEARCH_QUERY_MAX_LENGTH,
        help_text="Search, as the desk's search box: a ticket number (`1042`, `#1042`), a "
        "requester's email address, words (each may be the start of a word; every one must "
        "be in the subject or the thread, internal notes included) or part of the subject. "
        "Narrows the list; the order stays `sort`'s, not a ranking.",
    )
    tag = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Tickets with this tag, by name in any case (`vpn` finds `VPN`).",
    )
    sort = serializers.ChoiceField(sorted(SORTS), required=False)
    cursor = serializers.CharField(required=False, max_length=1000, help_text="From `next`.")
    before = serializers.CharField(required=False, max_length=1000, help_text="From `previous`.")
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=25)
    count = serializers.BooleanField(
        default=False, help_text="Also count the matching tickets (up to 1,000, then 1000+)."
    )

    def validate_assignee(self, value: str) -> str:
        if value == "none":
            return value
        if not value.isdigit() or not 1 <= int(value) <= BIGINT:
            raise serializers.ValidationError("An agent's id, or `none`.")
        return value


class TicketDetailQuery(StrictSerializer):
    include = serializers.CharField(
        required=False, help_text="Comma-separated: `thread`, `events`."
    )

    def validate_include(self, value: str) -> set[str]:
        wanted = {part.strip() for part in value.split(",") if part.strip()}
        unknown = wanted - {"thread", "events"}
        if unknown:
            raise serializers.ValidationError(
                f"Unknown: {', '.join(sorted(unknown))}; say thread and/or events."
            )
        return wanted


class RequesterInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)


FIELDS_HELP = (
    'The help topic\'s custom fields, by name (`{"asset_tag": "DM-0042"}`): text as '
    "strings, a number, a date as YYYY-MM-DD, a choice as its id, a multiple choice as a "
    "list of ids, a checkbox as true/false, a user as an email address or an id. Checked "
    "as the portal's form checks them; each field refused is named under `errors.fields`."
)


class TicketCreateInput(StrictSerializer):
    requester = RequesterInput(help_text="Who the ticket is for: found by email, or a new guest.")
    subject = serializers.CharField(max_length=10000)
    body = serializers.CharField(max_length=1_000_000)
    help_topic = _id()
    department = _id()
    priority = serializers.ChoiceField(sorted(PRIORITIES), required=False)
    fields = serializers.DictField(required=False, help_text=FIELDS_HELP)


class TicketFieldsInput(StrictSerializer):
    fields = serializers.DictField(
        help_text=FIELDS_HELP + " Only the fields named change; null or an empty value clears one."
    )


def _minutes(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=TIME_ENTRY_MAX_MINUTES, **kwargs)


class TextInput(StrictSerializer):
    body = serializers.CharField(max_length=1_000_000)
    minutes = _minutes(
        required=False, help_text="Minutes spent on it, logged with it as time spent."
    )


class ReplyInput(TextInput):
    articles = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT),
        required=False,
        max_length=20,
        help_text="Ids of the published knowledge-base articles this reply sends (at most "
        "20; in multipart, one `articles` part each). Each must be an article the key's "
        "agent may read, and published; otherwise a 400 naming it, and nothing is sent. "
        "Articles whose help-centre address is in the body are recorded as sent too.",
    )


class TimeEntryInput(StrictSerializer):
    minutes = _minutes(help_text="Minutes spent on the ticket (1 to 1,440).")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=TIME_NOTE_MAX_LENGTH, default=""
    )


class TagInput(StrictSerializer):
    tag = serializers.CharField(
        max_length=200,
        trim_whitespace=False,
        help_text="A tag's name: made if new; one tag whatever the case.",
    )


class AssignInput(StrictSerializer):
    agent = serializers.IntegerField(
        min_value=1, max_value=BIGINT, allow_null=True, help_text="null unassigns."
    )


class TransferInput(StrictSerializer):
    department = serializers.IntegerField(min_value=1, max_value=BIGINT)


class PriorityInput(StrictSerializer):
    priority = serializers.ChoiceField(sorted(PRIORITIES))


class PlanInput(StrictSerializer):
    sla_plan = serializers.IntegerField(min_value=1, max_value=BIGINT, allow_null=True)


class NoInput(StrictSerializer):
    pass


class ResolveInput(StrictSerializer):
    confirm_open_tasks = serializers.BooleanField(
        default=False,
        help_text="Resolve even though the ticket has open tasks (without it: a 409 listing "
        "them in `open_tasks`).",
    )


class MergeInput(StrictSerializer):
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT),
        min_length=1,
        max_length=50,
        help_text="The numbers of the tickets merged into this one.",
    )


class LinkInput(StrictSerializer):
    ticket = serializers.IntegerField(
        min_value=1, max_value=BIGINT, help_text="The other ticket's number."
    )
    kind = serializers.ChoiceField(
        ["related", "duplicate_of", "duplicated_by", "parent_of", "child_of"],
        help_text="As this ticket reads it: this ticket is `kind` `ticket`.",
    )


class UnlinkInput(StrictSerializer):
    ticket = serializers.IntegerField(
        min_value=1, max_value=BIGINT, help_text="The other ticket's number."
    )


class AfterQuery(StrictSerializer):
    after = serializers.IntegerField(min_value=0, max_value=BIGINT, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=100)


class PeopleQuery(AfterQuery):
    email = serializers.CharField(required=False, max_length=254)


class UserCreateInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part: its bytes (drf-spectacular writes a FileField as a URL otherwise)."""


def multipart_form(serializer_class, name: str) -> serializers.Serializer:
    """The multipart/form-data form of a body, for the schema: an object field's fields as
    `outer.inner` (api.writes.form_fields gathers them again), and the files as
    `attachments`, repeated once per file. Built from the JSON body's own fields, so the
    two cannot drift apart."""
    fields = {}
    for field_name, field in serializer_class().fields.items():
        if isinstance(field, serializers.Serializer):
            for inner_name, inner in field.fields.items():
                inner = copy.deepcopy(inner)
                inner.required = inner.required and field.required
                fields[f"{field_name}.{inner_name}"] = inner
        else:
            fields[field_name] = copy.deepcopy(field)
    fields["attachments"] = serializers.ListField(
        child=UploadField(),
        required=False,
        help_text="Files, one `attachments` part each; checked by their content (images, "
        "PDF, plain text, office documents). A file refused is a 400 naming it, and "
        "nothing is created.",
    )
    return type(name, (serializers.Serializer,), fields)()
