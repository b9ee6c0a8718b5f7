"""Automation rules in the admin: a rule with its conditions and actions inline, each
checked as it is saved (automation.conditions, automation.actions); the rule's dry run
(the tickets it would match now) linked from its page; the runs and emails, read-only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import AuditedAdminMixin
from automation.actions import ACTION_KINDS, PLACEHOLDERS, action_missing
from automation.conditions import condition_clean
from automation.models import Action, Condition, Rule, RuleEmail, RuleRun
from automation.selectors import DRY_RUN_LIMIT, rule_dry_run

CONDITION_HELP = (
    "Department and help topic: choose them in their columns. Priority: low, normal, high, "
    "urgent. Status: open, pending, resolved, closed. Source: web, email, phone, api, "
    "agent. Requester's email: an address; domain: dundermifflin.com. Subject and "
    "messages: words separated by commas, any case (“printer, toner”). Assignee: none "
    "or some. SLA state: none, ok, warning, breached. Hours since...: a number of hours "
    "(72, 1.5), in business hours (the ticket's SLA plan calendar) or calendar hours. "
    "Time conditions must all hold; “match” joins the others."
)


class ConditionForm(forms.ModelForm):
    class Meta:
        model = Condition
        fields = ["field", "operator", "value", "department", "help_topic"]

    def clean(self):
        data = super().clean()
        if self.errors or not data.get("field"):
            return data
        probe = Condition(
            field=data["field"],
            operator=data.get("operator") or "",
            value=data.get("value") or "",
            department=data.get("department"),
            help_topic=data.get("help_topic"),
        )
        condition_clean(probe)  # a ValidationError by field, shown beside it
        data["value"] = probe.value
        return data


class ConditionInline(admin.TabularInline):
    model = Condition
    form = ConditionForm
    extra = 1
    verbose_name_plural = "Conditions"


KIND_CHOICES = [("", "---------")] + [(name, kind.label) for name, kind in ACTION_KINDS.items()]


class ActionForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=KIND_CHOICES)

    class Meta:
        model = Action
        fields = [
            "order",
            "kind",
            "priority",
            "sla_plan",
            "department",
            "agent",
            "status",
            "canned_response",
            "text",
            "email",
            "webhook_endpoint",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def clean(self):
        data = super().clean()
        if self.errors or not data.get("kind"):
            return data
        probe = Action(**{k: v for k, v in data.items() if k in self.Meta.fields})
        missing = action_missing(probe)
        if missing:
            label = ACTION_KINDS[data["kind"]].label
            raise ValidationError(
                {
                    name: f"“{label}” needs this"
                    + (" (or a canned response)" if name == "canned_response" else "")
                    + "."
                    for name in missing
                }
            )
        return data


class ActionInline(admin.StackedInline):
    model = Action
    form = ActionForm
    extra = 1
    verbose_name_plural = "Actions (run in order; each needs only the fields its kind names)"
    fields = [
        ("kind", "order"),
        ("priority", "status"),
        ("department", "agent", "sla_plan"),
        ("canned_response", "webhook_endpoint"),
        "text",
        "email",
    ]


@admin.register(Rule)
class RuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "trigger", "department_label", "order", "is_active", "dry_run"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "trigger", "department"]
    search_fields = ["name", "description"]
    inlines = [ConditionInline, ActionInline]
    readonly_fields = ["dry_run", "writing_help"]
    fieldsets = [
        (None, {"fields": ["name", "description", "is_active", "order", "department"]}),
        ("When", {"fields": ["trigger", "match", "writing_help", "dry_run"]}),
    ]

    @admin.display(description="Department")
    def department_label(self, obj):
        return obj.department or "Every department"

    @admin.display(description="Dry run")
    def dry_run(self, obj):
        if obj is None or obj.pk is None:
            return "Save the rule first."
        url = reverse("admin:automation_rule_dry_run", args=[obj.pk])
        return format_html('<a href="{}">Tickets it would match now</a>', url)

    @admin.display(description="Writing conditions")
    def writing_help(self, obj):
        placeholders = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        return format_html(
            "{}<br>Texts of notes, replies and emails may use {}.", CONDITION_HELP, placeholders
        )

    def get_urls(self):
        return [
            path(
                "<int:rule_id>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="automation_rule_dry_run",
            ),
            *super().get_urls(),
        ]

    def dry_run_view(self, request, rule_id: int):
        rule = get_object_or_404(Rule, pk=rule_id)
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/automation/rule/dry_run.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Dry run of “{rule.name}”",
                "opts": self.model._meta,
                "original": rule,
                "run": rule_dry_run(rule=rule),
                "limit": DRY_RUN_LIMIT,
            },
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "rule", "ticket", "period_start", "event_key", "failed", "error"]
    list_filter = ["failed", "rule"]
    list_select_related = ["rule", "ticket"]
    search_fields = ["rule__name", "error", "event_key"]
    date_hierarchy = "created_at"


@admin.register(RuleEmail)
class RuleEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "subject", "rule", "sent_at", "attempts", "last_error"]
    list_filter = ["rule", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["rule"]
    search_fields = ["to", "subject"]
