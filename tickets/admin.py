"""Admin for help topics and canned responses, and a read-only view of tickets.

Tickets are never written through the admin: every change goes through tickets.services
so that it is validated against the action table and leaves its TicketEvent. The admin
only shows them.
"""

import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat, pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html

from accounts.admin import AuditedAdminMixin
from accounts.models import Agent
from sla.admin import BusinessCalendarAdmin, SLAPlanAdmin, format_minutes
from sla.models import BusinessCalendar, SLAPlan
from tickets.clocks import deadlines_recompute_request
from tickets.errors import InvalidInput, TicketError
from tickets.events import event_values
from tickets.models import (
    Attachment,
    CannedResponse,
    CustomField,
    DeadlineRecomputation,
    FieldChoice,
    HelpTopic,
    HelpTopicField,
    MailSuppression,
    Notification,
    SatisfactionSurvey,
    SLAClock,
    SLAState,
    Tag,
    Task,
    TaskStatus,
    ThreadEntry,
    Ticket,
    TicketEvent,
    TimeEntry,
    sla_state_q,
)
from tickets.outbox import render_notification
from tickets.services import (
    mail_suppression_clear,
    tag_clean_name,
    tag_rename,
    tags_delete,
    tags_merge,
)
from tickets.services.tags import TAG_NAME_TAKEN, tag_find

TICKET_NUMBER_RE = re.compile(r"^#?(\d{1,18})$")


def _or_ticket_number(results, queryset, search_term: str, lookup: str):
    """`results` and the ticket whose number `search_term` is: people quote ticket numbers,
    with or without the "#"; matched exactly, on the unique index, rather than as text."""
    match = TICKET_NUMBER_RE.match(search_term.strip())
    if match:
        results |= queryset.filter(**{lookup: int(match.group(1))})
    return results


class HelpTopicFieldInline(admin.TabularInline):
    """The custom fields the topic asks, in order (docs/custom-fields.md)."""

    model = HelpTopicField
    extra = 1
    autocomplete_fields = ("field",)
    verbose_name = "custom field"
    verbose_name_plural = "custom fields, in the order the form asks them"

    def get_queryset(self, request):
        # Each row's title names its field and topic (HelpTopicField.__str__).
        return super().get_queryset(request).select_related("field", "help_topic")


@admin.register(HelpTopic)
class HelpTopicAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "department", "sla_plan", "default_priority", "is_active")
    list_filter = ("is_active", "department", "sla_plan", "default_priority")
    list_select_related = ("department", "sla_plan")
    search_fields = ("name", "department__name")
    autocomplete_fields = ("department", "sla_plan")
    inlines = (HelpTopicFieldInline,)


class FieldChoiceInline(admin.TabularInline):
    """A choice field's options. Rename one and every ticket that has it shows the new
    name; switch one off to stop offering it while tickets keep it."""

    model = FieldChoice
    extra = 3
    fields = ("label", "position", "is_active")


class FieldTopicInline(admin.TabularInline):
    model = HelpTopicField
    extra = 0
    autocomplete_fields = ("help_topic",)
    verbose_name = "help topic"
    verbose_name_plural = "help topics that ask this field"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("field", "help_topic")


@admin.register(CustomField)
class CustomFieldAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "label",
        "name",
        "kind",
        "audience",
        "required_at_intake",
        "required_to_resolve",
        "is_active",
    )
    list_filter = ("kind", "audience", "required_at_intake", "required_to_resolve", "is_active")
    search_fields = ("label", "name")
    inlines = (FieldChoiceInline, FieldTopicInline)
    fieldsets = (
        (None, {"fields": ("label", "name", "kind", "help_text")}),
        (
            "Who and when",
            {"fields": ("audience", "required_at_intake", "required_to_resolve", "is_active")},
        ),
    )

    def get_inline_instances(self, request, obj=None):
        # Choices only for the kinds that have them; a new field shows them until saved.
        inlines = super().get_inline_instances(request, obj)
        if obj is not None and not obj.has_choices:
            inlines = [i for i in inlines if not isinstance(i, FieldChoiceInline)]
        return inlines


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "department", "is_active")
    list_filter = ("is_active", "department")
    list_select_related = ("department",)
    search_fields = ("title", "body")
    autocomplete_fields = ("department",)


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self):
        try:
            name = tag_clean_name(self.cleaned_data["name"])
        except InvalidInput as error:
            raise ValidationError(error.message) from None
        other = tag_find(name)
        if other is not None and other.pk != self.instance.pk:
            raise ValidationError(TAG_NAME_TAKEN.format(name=other.name))
        return name


@admin.register(Tag)
class TagAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Tags agents made on the fly (docs/decisions/0043): renamed, deleted and merged here,
    through tickets.services, so each ticket's history and search document follow."""

    form = TagAdminForm
    list_display = ("name", "ticket_count", "created_by", "created_at")
    list_filter = ("created_at",)
    search_fields = ("name",)
    readonly_fields = ("created_by", "created_at")
    actions = ["merge_tags", "delete_tags"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(tickets=Count("ticket_tags"))
            .order_by(Lower("name"), "id")
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # delete_tags records each ticket's change
        return actions

    @admin.display(description="Tickets", ordering="tickets")
    def ticket_count(self, obj: Tag) -> int:
        return obj.tickets

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            return
        tag_rename(tag=obj, name=form.cleaned_data["name"], by=request.user)

    def delete_model(self, request, obj):
        tags_delete(tags=[obj], by=request.user)

    def delete_queryset(self, request, queryset):
        tags_delete(tags=list(queryset), by=request.user)

    @admin.action(description="Delete the selected tags", permissions=["delete"])
    def delete_tags(self, request, queryset):
        tags = list(queryset)
        self.log_deletions(request, tags)
        changed = tags_delete(tags=tags, by=request.user)
        self.message_user(
            request, f"Deleted {len(tags)} tag{pluralize(len(tags))}; {changed} ticket(s) changed."
        )

    @admin.action(
        description="Merge the selected tags into one…", permissions=["change", "delete"]
    )
    def merge_tags(self, request, queryset):
        tags = list(queryset)
        if len(tags) < 2:
            self.message_user(request, "Select at least two tags to merge.", messages.WARNING)
            return None
        target_id = request.POST.get("target", "")
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": "Merge tags",
                "opts": self.model._meta,
                "tags": tags,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/tickets/tag/merge.html", context)
        target = next((tag for tag in tags if str(tag.pk) == target_id), None)
        if target is None:
            self.message_user(request, "Choose the tag to keep.", messages.ERROR)
            return None
        try:
            changed = tags_merge(target=target, sources=tags, by=request.user)
        except TicketError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        self.message_user(
            request,
            f"Merged {len(tags) - 1} tag{pluralize(len(tags) - 1)} into {target.name}; "
            f"{changed} ticket(s) changed.",
        )
        return None


class ReadOnlyMixin:
    """Shown, never written through the admin: see the module docstring.

    Viewing stays allowed (superusers, and staff with the "view" permission).
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyMixin):
    extra = 0
    can_delete = False
    show_change_link = False


class ThreadEntryInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = ThreadEntry
    fk_name = "ticket"
    fields = ("kind", "author", "created_at", "body")
    readonly_fields = fields

    def get_queryset(self, request):
        # The ticket too: each row's heading is str(entry), which names the ticket.
        return super().get_queryset(request).select_related("author", "ticket")


class AttachmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Attachment
    # The file itself is left out: media is never served by URL, only through a view
    # that checks access.
    fields = ("filename", "content_type", "file_size", "sha256", "entry", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entry__ticket")

    @admin.display(description="Size")
    def file_size(self, obj: Attachment) -> str:
        return filesizeformat(obj.size)


class TicketEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "by", "old_value", "new_value")
    readonly_fields = fields
    verbose_name = "event"
    verbose_name_plural = "events"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "ticket")

    @admin.display(description="By")
    def by(self, obj: TicketEvent) -> str:
        return str(obj.actor) if obj.actor else "System"

    # Before and after, read from the event's structured data.
    @admin.display(description="Old value")
    def old_value(self, obj: TicketEvent) -> str:
        return event_values(obj.kind, obj.data)[0]

    @admin.display(description="New value")
    def new_value(self, obj: TicketEvent) -> str:
        return event_values(obj.kind, obj.data)[1]


def _short_time(value: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(value), "M j, H:i") if value else "-"


def _business_minutes(value: float | None) -> str:
    return format_minutes(round(value)) if value is not None else "-"


class SLAClockInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Each target being measured; stopped clocks stay, as the history of plan changes."""

    model = SLAClock
    fields = (
        "kind",
        "target",
        "started",
        "warn",
        "due",
        "met",
        "taken",
        "paused",
        "warned",
        "breached",
        "stopped",
    )
    readonly_fields = fields
    verbose_name = "SLA clock"
    verbose_name_plural = "SLA clocks"

    @admin.display(description="Target")
    def target(self, obj: SLAClock) -> str:
        return format_minutes(obj.target_minutes)

    @admin.display(description="Started")
    def started(self, obj: SLAClock) -> str:
        return _short_time(obj.started_at)

    @admin.display(description="Warn at")
    def warn(self, obj: SLAClock) -> str:
        return _short_time(obj.warn_at)

    @admin.display(description="Due")
    def due(self, obj: SLAClock) -> str:
        return _short_time(obj.due_at)

    @admin.display(description="Met")
    def met(self, obj: SLAClock) -> str:
        return _short_time(obj.met_at)

    @admin.display(description="Business time taken")
    def taken(self, obj: SLAClock) -> str:
        return _business_minutes(obj.business_minutes_taken)

    @admin.display(description="Paused")
    def paused(self, obj: SLAClock) -> str:
        parts = []
        if obj.paused_at:
            parts.append(f"since {_short_time(obj.paused_at)}")
        if obj.paused_minutes:
            parts.append(f"{_business_minutes(obj.paused_minutes)} in all")
        return ", ".join(parts) or "-"

    @admin.display(description="Warned")
    def warned(self, obj: SLAClock) -> str:
        return _short_time(obj.warned_at)

    @admin.display(description="Breached")
    def breached(self, obj: SLAClock) -> str:
        return _short_time(obj.breached_at)

    @admin.display(description="Stopped")
    def stopped(self, obj: SLAClock) -> str:
        return _short_time(obj.stopped_at)


class AgentListFilter(admin.RelatedFieldListFilter):
    """Agents are named after their users; fetch both in one query."""

    def field_choices(self, field, request, model_admin):
        agents = Agent.objects.select_related("user")
        return [(agent.pk, str(agent)) for agent in agents]


class SLAStateListFilter(admin.SimpleListFilter):
    """On track, at risk, overdue: worked out from the deadlines and the time now."""

    title = "SLA state"
    parameter_name = "sla_state"

    def lookups(self, request, model_admin):
        return SLAState.choices

    def queryset(self, request, queryset):
        if self.value() in SLAState.values:
            return queryset.filter(sla_state_q(self.value(), timezone.now()))
        return queryset


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "subject",
        "requester",
        "department",
        "priority",
        "status",
        "assignee",
        "sla_plan",
        "sla",
        "updated_at",
    )
    list_display_links = ("number", "subject")
    list_filter = (
        "status",
        SLAStateListFilter,
        "priority",
        "department",
        ("assignee", AgentListFilter),
        "sla_plan",
        "help_topic",
        "source",
        "created_at",
    )
    list_select_related = ("requester", "department", "help_topic", "assignee__user", "sla_plan")
    search_fields = ("subject", "requester__email", "requester__display_name")
    search_help_text = "Ticket number (1001 or #1001), subject, requester's email or name."
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("number", "subject", "requester", "source")}),
        (
            "Routing",
            {"fields": ("department", "help_topic", "assignee", "priority", "status", "sla_plan")},
        ),
        ("SLA", {"fields": ("sla_state", "next_warn_at", "next_due_at")}),
        ("Times", {"fields": ("created_at", "updated_at", "resolved_at", "closed_at")}),
    )
    readonly_fields = (
        "number",
        "subject",
        "requester",
        "source",
        "department",
        "help_topic",
        "assignee",
        "priority",
        "status",
        "sla_plan",
        "sla_state",
        "next_warn_at",
        "next_due_at",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
    )
    inlines = (ThreadEntryInline, AttachmentInline, TicketEventInline, SLAClockInline)

    def get_queryset(self, request):
        # The change page shows the same relations as the list.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="SLA", ordering="next_due_at")
    def sla(self, obj: Ticket) -> str:
        if obj.sla_state == SLAState.NONE:
            return "-"
        if obj.next_due_at is None:
            return obj.get_sla_state_display()
        return f"{obj.get_sla_state_display()}, due {_short_time(obj.next_due_at)}"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return _or_ticket_number(results, queryset, search_term, "number"), may_have_duplicates


class SentListFilter(admin.SimpleListFilter):
    title = "sent"
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", "Sent"), ("no", "Not sent yet"), ("failing", "Failed at least once")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failing":
            return queryset.exclude(last_error="")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The email outbox, for seeing what was sent and what is stuck; written by services."""

    list_display = ("created_at", "kind", "ticket", "recipient", "attempts", "sent_at")
    list_filter = (SentListFilter, "kind", "created_at")
    list_select_related = ("ticket", "recipient")
    search_fields = ("recipient__email", "recipient__display_name", "ticket__subject")
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "ticket",
        "recipient",
        "event",
        "created_at",
        "claimed_until",
        "attempts",
        "sent_at",
        "last_error",
        "email",
    )
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket", "recipient", "event__ticket")

    def get_urls(self):
        preview = path(
            "<int:pk>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="tickets_notification_preview",
        )
        return [preview, *super().get_urls()]

    @admin.display(description="Email (as it renders now)")
    def email(self, obj: Notification):
        message = render_notification(obj)
        url = reverse("admin:tickets_notification_preview", args=[obj.pk])
        # The HTML part in a sandboxed frame with a policy of its own (preview_view): email
        # HTML is styled inline, which this page's Content-Security-Policy refuses.
        return format_html(
            '<p class="email-subject"><strong>{}</strong></p>'
            '<iframe class="email-preview" sandbox src="{}" title="The email\'s HTML part">'
            '</iframe><details><summary>Text part</summary><pre class="email-text">{}</pre>'
            "</details>",
            escape(message.subject),
            url,
            # escape(), not format_html's own escaping: the text part comes from a template
            # rendered with autoescape off, as a SafeString that format_html would trust.
            escape(message.body),
        )

    def preview_view(self, request, pk):
        notification = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, notification):
            raise PermissionDenied
        return email_preview_response(render_notification(notification))

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return _or_ticket_number(
            results, queryset, search_term, "ticket__number"
        ), may_have_duplicates


# The preview frame's own policy: the email's inline styles, our images, nothing else; the
# sandbox runs no script and navigates nowhere. Only the admin's own pages may frame it.
EMAIL_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; sandbox"
)


def email_preview_response(message) -> HttpResponse:
    """An email's HTML part as a page for the preview frame."""
    html = next(
        (content for content, mimetype in message.alternatives if mimetype == "text/html"), ""
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response


class StoppedListFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("stopped", "Stopped"), ("cleared", "Cleared"))

    def queryset(self, request, queryset):
        if self.value() == "stopped":
            return queryset.filter(cleared_at__isnull=True)
        if self.value() == "cleared":
            return queryset.filter(cleared_at__isnull=False)
        return queryset


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The "How did we do?" of each resolution (decision 0041): written by the services,
    rated by the requester through the survey's page."""

    list_display = ("created_at", "ticket", "requester", "state", "due_at", "sent_at", "rating")
    list_filter = ("state", "rating", "created_at")
    list_select_related = ("ticket", "requester")
    search_fields = ("requester__email", "ticket__subject", "comment")
    date_hierarchy = "created_at"
    fields = (
        "ticket",
        "requester",
        "resolution",
        "department",
        "agent",
        "help_topic",
        "state",
        "due_at",
        "sent_at",
        "rating",
        "comment",
        "rated_at",
        "created_at",
    )
    readonly_fields = fields


@admin.register(MailSuppression)
class MailSuppressionAdmin(admin.ModelAdmin):
    """Addresses our mail bounced from for good. Written by the mail channel; the one change
    made here is clearing a stop (the service records it), and rows are never deleted."""

    list_display = ("address", "status", "ticket", "created_at", "cleared_at", "cleared_by")
    list_filter = (StoppedListFilter, "created_at")
    list_select_related = ("ticket", "cleared_by")
    search_fields = ("address",)
    date_hierarchy = "created_at"
    fields = ("address", "status", "reason", "ticket", "created_at", "cleared_at", "cleared_by")
    readonly_fields = fields
    actions = ("send_mail_again",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send mail again to the selected addresses", permissions=["change"])
    def send_mail_again(self, request, queryset):
        cleared = sum(
            mail_suppression_clear(suppression=s, by=request.user)
            for s in queryset.filter(cleared_at__isnull=True)
        )
        self.message_user(
            request, f"Mail is sent again to {cleared} address{pluralize(cleared, 'es')}."
        )


# Policy edits recompute deadlines ----------------------------------------------------------
# The sla app knows nothing of tickets, so the ticket-side consequence of editing a plan
# or a calendar is wired here, by extending sla's admin classes.

# Fields whose change moves deadlines; editing a plan's name or escalation leaves them be.
DEADLINE_FIELDS = {
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "calendar",
    "warning_percent",
    "pause_when_pending",
    "time_zone",
}


class RecomputeDeadlinesMixin:
    """After a change that moves deadlines, queue a background recomputation and say so."""

    recompute_for = ""  # "plan" or "calendar"

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "deadline_recomputation")

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append(("Open tickets' deadlines", {"fields": ("deadline_recomputation",)}))
        return fieldsets

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        moved = DEADLINE_FIELDS.intersection(form.changed_data) or any(
            formset.has_changed() for formset in formsets
        )
        if change and moved:
            job = deadlines_recompute_request(
                **{self.recompute_for: form.instance}, by=request.user
            )
            self.message_user(
                request,
                f"The deadlines of {job.total} open ticket{pluralize(job.total)} are being "
                "recomputed in the background; this page shows the progress.",
            )

    @admin.display(description="Recomputation")
    def deadline_recomputation(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        job = (
            DeadlineRecomputation.objects.filter(**{self.recompute_for: obj})
            .order_by("-requested_at", "-id")
            .first()
        )
        if job is None:
            return "Never needed: the deadlines follow this policy as it is."
        when = date_format(timezone.localtime(job.requested_at), "DATETIME_FORMAT")
        if job.status == "done":
            return f"Done: {job.done} of {job.total} open tickets recomputed (requested {when})."
        if job.status == "running":
            return f"In progress: {job.done} of {job.total} open tickets (requested {when})."
        return f"Queued: {job.total} open tickets waiting for a worker (requested {when})."


admin.site.unregister(SLAPlan)
admin.site.unregister(BusinessCalendar)


@admin.register(SLAPlan)
class SLAPlanWithDeadlinesAdmin(RecomputeDeadlinesMixin, SLAPlanAdmin):
    recompute_for = "plan"


@admin.register(BusinessCalendar)
class BusinessCalendarWithDeadlinesAdmin(RecomputeDeadlinesMixin, BusinessCalendarAdmin):
    recompute_for = "calendar"


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Time spent, as agents logged it (on the ticket page, with a reply or note, or by
    the API): shown here, written only through tickets.services."""

    list_display = ("created_at", "ticket_number", "agent", "department", "minutes", "note")
    list_filter = ("created_at", "department", ("agent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("ticket", "agent", "department")
    search_fields = ("note", "agent__email", "agent__display_name")
    date_hierarchy = "created_at"

    @admin.display(description="Ticket", ordering="ticket__number")
    def ticket_number(self, obj: TimeEntry) -> str:
        return f"#{obj.ticket.number}"


class TaskDueListFilter(admin.SimpleListFilter):
    """Overdue (open and past due), due in the next 7 days, or with no due time."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("week", "Due in the next 7 days"),
            ("none", "No due time"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(status=TaskStatus.OPEN, due_at__lt=now)
        if self.value() == "week":
            return queryset.filter(due_at__gte=now, due_at__lt=now + datetime.timedelta(days=7))
        if self.value() == "none":
            return queryset.filter(due_at__isnull=True)
        return queryset


@admin.register(Task)
class TaskAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Tickets' tasks (decision 0040), to find and read them: added, assigned, completed
    and reopened only through tickets.services (the ticket page, the API, automation), so
    that each change leaves its task_* event and its email."""

    list_display = (
        "title",
        "ticket_number",
        "department",
        "assignee",
        "status",
        "due_at",
        "completed_at",
        "created_at",
    )
    list_display_links = ("title",)
    list_filter = (
        "status",
        TaskDueListFilter,
        "department",
        ("assignee", AgentListFilter),
        "due_at",
        "created_at",
    )
    list_select_related = ("ticket", "department", "assignee__user")
    search_fields = ("title", "ticket__subject", "assignee__user__display_name")
    search_help_text = "Title, the ticket's number (1001 or #1001) or subject, the assignee."
    date_hierarchy = "created_at"
    fields = (
        "title",
        "ticket",
        "description",
        "department",
        "assignee",
        "status",
        "due_at",
        "created_by",
        "created_at",
        "updated_at",
        "completed_by",
        "completed_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # The change page shows the same relations as the list, and who made and finished it.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related, "created_by", "completed_by")
        )

    @admin.display(description="Ticket", ordering="ticket__number")
    def ticket_number(self, obj: Task) -> str:
        return f"#{obj.ticket.number}"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return _or_ticket_number(
            results, queryset, search_term, "ticket__number"
        ), may_have_duplicates
