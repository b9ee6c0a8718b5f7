"""Forms of the agent workspace: they validate input; the views call one service each."""

import json

from django import forms
from django.db.models import Q

from accounts.models import Agent, Department, User
from accounts.services import guest_user_get_or_create
from reports.figures import (
    CUSTOM,
    DEFAULT_PRESET,
    NONE,
    PRESETS,
    Period,
    PeriodError,
    ReportFilters,
    ReportOptions,
    period_of,
)
from sla.models import SLAPlan
from tickets.models import (
    TIME_ENTRY_MAX_MINUTES,
    TIME_NOTE_MAX_LENGTH,
    CannedResponse,
    ClockKind,
    Priority,
    SLAState,
    Source,
    Status,
)
from tickets.selectors import (
    ALL_TICKETS,
    DEFAULT_VIEW,
    SORTS,
    VIEWS,
    Measure,
    QueueFilters,
    QueueOptions,
    TicketSet,
)
from tickets.services import (
    BODY_MAX_LENGTH,
    BULK_ACTIONS,
    LINK_CHOICES,
    LINK_LABELS,
    MAX_TICKETS,
    MINUTES_INVALID,
)
from web.custom_fields import add_fields, bound_custom_fields, clean_custom_fields
from web.uploads import MultipleFileField, attachments_help_text

# What the queue says of a report link it cannot read (a hand-edited or truncated URL).
BAD_REPORT_LINK = "This link from the reports is incomplete or damaged, so it was not applied"


class QueueForm(forms.Form):
    """The queue's view, sort, filters and cursor, from the query string.

    A link from the reports adds the set of tickets behind a number (measure, clock, start,
    end: desk/report_links.py) and asks for every status (view "all").
    """

    view = forms.ChoiceField(
        choices=[(k, v.label) for k, v in VIEWS.items()] + [(ALL_TICKETS.key, ALL_TICKETS.label)],
        required=False,
    )
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("", "Default")] + [(k, s.label) for k, s in SORTS.items()],
        required=False,
    )
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    priority = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "Any priority"), *[(v, label) for v, label in Priority.choices]],
    )
    assignee = forms.ChoiceField(required=False)
    help_topic = forms.ChoiceField(required=False)
    source = forms.ChoiceField(
        label="Channel", choices=[("", "Any channel"), *Source.choices], required=False
    )
    sla_state = forms.ChoiceField(
        label="SLA", choices=[("", "Any SLA state"), *SLAState.choices], required=False
    )
    # A custom choice field's value, as "<field id>:<choice id>" (docs/custom-fields.md).
    field_choice = forms.ChoiceField(label="Custom field", required=False)
    # The requesters' organization (decision 0039); the ticket page's "see all" links here.
    organization = forms.TypedChoiceField(
        label="Organization", coerce=int, required=False, empty_value=None
    )
    tag = forms.TypedChoiceField(label="Tag", coerce=int, required=False, empty_value=None)
    after = forms.CharField(required=False, max_length=400)
    before = forms.CharField(required=False, max_length=400)
    # The set of tickets behind a report figure.
    measure = forms.ChoiceField(choices=[("", ""), *Measure.choices], required=False)
    clock = forms.ChoiceField(choices=[("", ""), *ClockKind.choices], required=False)
    start = forms.DateTimeField(required=False)
    end = forms.DateTimeField(required=False)

    def __init__(self, data, *, options: QueueOptions):
        super().__init__(data)
        self.fields["department"].choices = [("", "All my departments")] + [
            (d.pk, d.name) for d in options.departments
        ]
        self.fields["assignee"].choices = [("", "Anyone"), ("none", "Nobody")] + [
            (str(a.pk), str(a)) for a in options.agents
        ]
        self.fields["help_topic"].choices = [("", "Any help topic"), ("none", "No help topic")] + [
            (str(t.pk), t.name) for t in options.help_topics
        ]
        self.fields["field_choice"].choices = [("", "Any value")] + [
            (f"{f.pk}:{c.pk}", f"{f.label}: {c.label}")
            for f in options.choice_fields
            for c in f.choice_list
        ]
        self.fields["organization"].choices = [("", "Any organization")] + [
            (o.pk, o.name) for o in options.organizations
        ]
        self.fields["tag"].choices = [("", "Any tag")] + [
            (str(t.pk), t.name) for t in options.tags
        ]
        self.fields["sort"].choices = [
            *self.fields["sort"].choices,
            *((f"field:{f.pk}", f.label) for f in options.choice_fields),
        ]
        self.report_link_error = ""

    def cleaned(self) -> dict:
        """Valid values; an invalid one is dropped rather than failing the whole page (a
        report link that cannot be read is named in `report_link_error`)."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        for name in self.errors:
            data[name] = None
        data["view"] = ALL_TICKETS if data["view"] == ALL_TICKETS.key else data["view"]
        data["view"] = data["view"] or DEFAULT_VIEW
        topic = data["help_topic"]
        data["filters"] = QueueFilters(
            department=data["department"],
            status=data["status"] or None,
            priority=data["priority"],
            assignee=data["assignee"] or None,
            help_topic=(topic if topic == "none" else int(topic)) if topic else None,
            sla_state=data["sla_state"] or None,
            source=data["source"] or None,
            ticket_set=self._ticket_set(data),
            field_choice=_field_choice(data["field_choice"]),
            organization=data["organization"],
            tag=data["tag"],
        )
        return data

    def _ticket_set(self, data) -> TicketSet | None:
        if not self.data.get("measure"):
            return None
        if any(name in self.errors for name in ("measure", "clock", "start", "end")):
            self.report_link_error = f"{BAD_REPORT_LINK}."
            return None
        try:
            return TicketSet(data["measure"], data["start"], data["end"], data["clock"] or None)
        except ValueError as error:
            self.report_link_error = f"{BAD_REPORT_LINK}: {error}"
            return None


def _field_choice(value: str | None) -> tuple[int, int] | None:
    """ "3:12" -> (3, 12); the form offered only real pairs, so nothing else gets here."""
    if not value:
        return None
    field_id, _, choice_id = value.partition(":")
    return int(field_id), int(choice_id)


def _minutes_field(*, required: bool) -> forms.IntegerField:
    return forms.IntegerField(
        label="Time spent (minutes)",
        required=required,
        min_value=1,
        max_value=TIME_ENTRY_MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": MINUTES_INVALID,
            "min_value": MINUTES_INVALID,
            "max_value": MINUTES_INVALID,
            "required": MINUTES_INVALID,
        },
    )


class ReplyForm(forms.Form):
    prefix = "reply"  # the reply and the note box share a page: distinct field ids
    body = forms.CharField(
        label="Reply to the requester",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=BODY_MAX_LENGTH,
    )
    # Checked by content in the service (tickets/attachments.py), whose InvalidInput the
    # view shows as this field's error.
    attachments = MultipleFileField(label="Attach files", required=False)
    # The newest thread entry on screen when the agent started writing.
    last_seen_entry = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    minutes = _minutes_field(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help_text()


class NoteForm(forms.Form):
    prefix = "note"
    body = forms.CharField(
        label="Internal note",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=BODY_MAX_LENGTH,
    )
    minutes = _minutes_field(required=False)


class TagForm(forms.Form):
    """A tag to add or remove, as typed (the service checks it and says why not)."""

    # Longer than a tag may be: the service's message says how long, not the form's.
    tag = forms.CharField(max_length=200, strip=False)


class TimeForm(forms.Form):
    """Minutes spent on the ticket, on their own, with an optional note."""

    minutes = _minutes_field(required=True)
    note = forms.CharField(
        label="What on (optional)", required=False, max_length=TIME_NOTE_MAX_LENGTH
    )


class DraftForm(forms.Form):
    """What the autosave sends: the box's text as typed, the canned response chosen, and the
    names of the files chosen (browsers cannot refill a file input; the draft names them)."""

    # Kept exactly as typed, whitespace and all; the service checks its length.
    body = forms.CharField(required=False, strip=False)
    canned = forms.ModelChoiceField(queryset=CannedResponse.objects.none(), required=False)
    attachment_names = forms.CharField(required=False, max_length=20_000)

    def __init__(self, data, *, box: str, ticket):
        # The reply and note boxes prefix their fields; the draft reads the box's own.
        data = data.copy()
        data.setdefault("body", data.get(f"{box}-body", ""))
        super().__init__(data)
        self.box = box
        self.fields["canned"].queryset = CannedResponse.objects.filter(is_active=True).filter(
            Q(department__isnull=True) | Q(department_id=ticket.department_id)
        )

    def clean_attachment_names(self) -> list[str]:
        raw = self.cleaned_data["attachment_names"]
        try:
            names = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []

    def saved(self) -> dict:
        """The keyword arguments of draft_save."""
        data = self.cleaned_data
        return {
            "box": self.box,
            "body": data["body"],
            "canned_response": data["canned"] if self.box == "reply" else None,
            "attachment_names": data["attachment_names"] if self.box == "reply" else [],
        }


class CollaboratorForm(forms.Form):
    """Someone to copy on the ticket: an address (a guest is made for a new one), or a
    user already known (the sender of a message from outside the ticket)."""

    email = forms.EmailField(required=False, max_length=254)
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("user"):
            raise forms.ValidationError("Enter the address of the person to copy.")
        return data

    def person(self) -> User:
        data = self.cleaned_data
        return data["user"] or guest_user_get_or_create(email=data["email"])


TICKET_NUMBER = {"min_value": 1, "max_value": 2**63 - 1}


class TicketNumberForm(forms.Form):
    """Another ticket, by the number people quote (the service checks the agent works it)."""

    ticket = forms.IntegerField(label="Ticket number", **TICKET_NUMBER)


class LinkForm(TicketNumberForm):
    kind = forms.ChoiceField(
        label="Link as", choices=[(key, LINK_LABELS[key]) for key in LINK_CHOICES]
    )


class MergeForm(forms.Form):
    """The merge to confirm: the tickets merged away, and the one they continue in."""

    sources = forms.TypedMultipleChoiceField(coerce=int)
    into = forms.IntegerField(label="Merge into ticket", **TICKET_NUMBER)

    def __init__(self, data):
        super().__init__(data)
        numbers = data.getlist("sources") if hasattr(data, "getlist") else []
        self.fields["sources"].choices = [(n, n) for n in numbers[: MAX_TICKETS + 1]]


class PersonForm(forms.Form):
    """Someone on the ticket, by id (the service checks they are on it)."""

    user = forms.ModelChoiceField(queryset=User.objects.all())


class AssignForm(forms.Form):
    agent = forms.ModelChoiceField(
        queryset=Agent.objects.none(), required=False, empty_label="Nobody (unassign)"
    )

    def __init__(self, data, *, agents):
        super().__init__(data)
        self.fields["agent"].queryset = agents


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.filter(is_active=True))


class AvailabilityForm(forms.Form):
    """The navbar's "Available for new tickets" switch: the state it is set to."""

    available = forms.TypedChoiceField(
        choices=[("1", "Available"), ("0", "Not available")], coerce=lambda value: value == "1"
    )


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(coerce=int, choices=Priority.choices)


class PlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=SLAPlan.objects.filter(is_active=True), required=False, empty_label="No plan"
    )


class BulkForm(forms.Form):
    """The queue's bulk bar: one action, with what it needs, for the selected tickets.

    Its choices come from the action table (tickets.services.BULK_ACTIONS), and the queue
    renders its selects from these fields, with the options the queue already loaded.
    """

    tickets = forms.TypedMultipleChoiceField(coerce=int)
    action = forms.ChoiceField(label="With selected", choices=list(BULK_ACTIONS.items()))
    agent = forms.ModelChoiceField(
        queryset=Agent.objects.filter(is_active=True), required=False, empty_label="—"
    )
    status = forms.ChoiceField(choices=[("", "—"), *Status.choices], required=False)
    priority = forms.TypedChoiceField(
        coerce=int,
        # Most urgent first, as people pick them.
        choices=[("", "—"), *reversed(Priority.choices)],
        required=False,
        empty_value=None,
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True), required=False, empty_label="—"
    )
    target = forms.IntegerField(label="Into ticket #", required=False, **TICKET_NUMBER)
    # For "Add tag…" and "Remove tag…": as typed (the service checks it).
    tag = forms.CharField(
        label="Tag to add or remove", required=False, max_length=200, strip=False
    )

    def __init__(self, data, *, options: QueueOptions | None = None):
        super().__init__(data, auto_id="bulk-%s")
        # Any number is accepted here; the service checks each against the agent's access.
        numbers = data.getlist("tickets") if hasattr(data, "getlist") else []
        self.fields["tickets"].choices = [(n, n) for n in numbers[: MAX_TICKETS + 1]]
        for name in ("action", "agent", "status", "priority", "department"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["target"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["tag"].widget.attrs.update(
            {"class": "form-control form-control-sm", "autocomplete": "off"}
        )
        if options is not None:
            self._offer(options)

    def _offer(self, options: QueueOptions) -> None:
        """Show what this agent may use, from rows the queue already fetched."""
        if not options.can_assign:
            del self.fields["agent"]
            self.fields["action"].choices = [
                choice for choice in self.fields["action"].choices if choice[0] != "assign"
            ]
        else:
            self.fields["agent"].choices = [("", "—"), *((a.pk, str(a)) for a in options.agents)]
        self.fields["department"].choices = [
            ("", "—"),
            *((d.pk, d.name) for d in options.transfer_departments),
        ]


class ReportForm(forms.Form):
    """The dashboard's period and filters, from the query string (GET, so a view of the
    figures is a link one can share). Invalid input is an error on the page, never a guess."""

    period = forms.ChoiceField(choices=list(PRESETS.items()), required=False)
    start = forms.DateField(label="From", required=False)
    end = forms.DateField(label="To", required=False)
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    help_topic = forms.ChoiceField(label="Help topic", required=False)
    priority = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "Any priority"), *reversed(Priority.choices)],
    )
    agent = forms.ChoiceField(label="Agent", required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Source.choices], required=False)

    FILTERS = ("department", "help_topic", "priority", "agent", "channel")

    def __init__(self, data, *, options: ReportOptions, zone, today):
        super().__init__(data)
        self.zone, self.today = zone, today
        self.fields["department"].choices = [("", "All my departments")] + [
            (d.pk, d.name) for d in options.departments
        ]
        self.fields["help_topic"].choices = [("", "Any help topic"), (NONE, "No help topic")] + [
            (str(t.pk), t.name) for t in options.help_topics
        ]
        self.fields["agent"].choices = [("", "Anyone"), (NONE, "Unassigned")] + [
            (str(a.pk), str(a)) for a in options.agents
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["the_period"] = period_of(
                preset=data.get("period")
                or (CUSTOM if data.get("start") or data.get("end") else DEFAULT_PRESET),
                zone=self.zone,
                today=self.today,
                first_day=data.get("start"),
                last_day=data.get("end"),
            )
        except PeriodError as error:
            raise forms.ValidationError(error.message) from error
        return data

    def the_period(self) -> Period:
        return self.cleaned_data["the_period"]

    def filters(self) -> ReportFilters:
        data = self.cleaned_data

        def id_or_none(value):
            return value if value in ("", NONE) else int(value)

        return ReportFilters(
            department=data["department"],
            help_topic=id_or_none(data["help_topic"]) or None,
            priority=data["priority"],
            agent=id_or_none(data["agent"]) or None,
            channel=data["channel"] or None,
        )


class TicketFieldsForm(forms.Form):
    """The ticket's custom fields on the agent page (tickets.selectors.
    ticket_fields_for_agent); only what the agent changed is sent to the service."""

    def __init__(self, data=None, *, values):
        super().__init__(data)
        add_fields(self, [value.field for value in values], values=values)
        self.changed_values: dict = {}

    def clean(self):
        data = super().clean()
        self.changed_values = clean_custom_fields(self, only_changed=True)
        return data

    @property
    def custom(self) -> list:
        return bound_custom_fields(self)
