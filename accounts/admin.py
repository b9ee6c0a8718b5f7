"""Admin for people and organisation: users, departments, agents and their roles."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import AuditKind, audit_csv_rows, audit_record
from accounts.forms import TimeZoneFormField
from accounts.models import (
    UNIT_OF_ANOTHER_ORGANIZATION,
    Agent,
    AuditEntry,
    Department,
    DepartmentMembership,
    Organization,
    OrganizationDomain,
    Unit,
    User,
)
from accounts.services import (
    membership_record,
    organization_id_for_email,
    organization_match_users,
    user_password_changed,
    users_set_organization,
)
from accounts.two_factor import two_factor_reset

# Form fields whose values are secrets: named in the audit log only when they really
# changed (a kept value echoed back is no change), and their values never.
SECRET_FIELDS = {"password", "password1", "password2", "usable_password", "imap_password"}


class AuditedAdminMixin:
    """Adds, changes and deletions made in this admin go to the security audit log, with
    the names of the fields that changed (never a value) and what changed in the inlines."""

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        request._audit_changed = {
            "fields": _changed_field_names(form),
            "related": [part for part in message if "name" in next(iter(part.values()))],
        }
        return message

    def log_addition(self, request, obj, message):
        self._audit(request, AuditKind.ADMIN_ADDED, obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, AuditKind.ADMIN_CHANGED, obj)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, AuditKind.ADMIN_DELETED, obj)
        return super().log_deletions(request, queryset)

    def _audit(self, request, kind, obj):
        changed = getattr(request, "_audit_changed", None) or {}
        audit_record(
            kind=kind,
            request=request,
            target=obj,
            data={"model": obj._meta.label_lower, **changed},
        )


def _changed_field_names(form) -> list[str]:
    names = []
    for name in form.changed_data:
        if name in SECRET_FIELDS:
            before = form.initial.get(name)
            after = getattr(form, "cleaned_data", {}).get(name)
            if not after or after == before:
                continue
            name = "password" if name.startswith("password") else name
        if name not in names:
            names.append(name)
    return names


class MembershipAuditMixin:
    """Department memberships added, re-roled or removed through an inline are recorded as
    the services record them (accounts.services.membership_record)."""

    def save_formset(self, request, form, formset, change):
        previous = {f.instance.pk: f.initial.get("role") for f in formset.initial_forms}
        super().save_formset(request, form, formset, change)
        if formset.model is not DepartmentMembership:
            return
        for membership in formset.new_objects:
            membership_record(
                kind=AuditKind.MEMBERSHIP_ADDED, membership=membership, request=request
            )
        for membership, fields in formset.changed_objects:
            if "role" in fields or "kb_editor" in fields:
                membership_record(
                    kind=AuditKind.MEMBERSHIP_ROLE_CHANGED,
                    membership=membership,
                    request=request,
                    previous_role=previous.get(membership.pk),
                )
        for membership in formset.deleted_objects:
            membership_record(
                kind=AuditKind.MEMBERSHIP_REMOVED, membership=membership, request=request
            )


class UserCreationForm(AdminUserCreationForm):
    """Email and password; the email is the login, so no username."""

    class Meta:
        model = User
        fields = ("email", "display_name")

    def clean_email(self):
        # Django's own form checks usernames case-insensitively; the database constraint
        # on lower(email) says the same, this says it early and next to the field.
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise self.instance.unique_error_message(User, ["email"])
        return email


class UserChangeForm(DjangoUserChangeForm):
    time_zone = TimeZoneFormField(help_text="Times are shown to this user in this zone.")

    class Meta:
        model = User
        fields = "__all__"


class IsAgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "is_agent"

    def lookups(self, request, model_admin):
        return [("yes", "Agents"), ("no", "Not agents")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(agent__isnull=False)
        if self.value() == "no":
            return queryset.filter(agent__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "time_zone")}),
        (_("Organization"), {"fields": ("organization", "unit")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "display_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = (
        "email",
        "display_name",
        "organization",
        "is_agent",
        "has_two_factor",
        "is_staff",
        "is_superuser",
        "is_active",
    )
    list_filter = (
        IsAgentFilter,
        ("organization", admin.RelatedOnlyFieldListFilter),
        "is_staff",
        "is_superuser",
        "is_active",
        "groups",
    )
    actions = ("reset_two_factor", "assign_organization")
    list_select_related = ("agent", "organization")
    autocomplete_fields = ("organization",)
    search_fields = ("email", "display_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(two_factor_on=Exists(confirmed))

    @admin.display(boolean=True, description="Agent", ordering="agent")
    def is_agent(self, obj: User) -> bool:
        return hasattr(obj, "agent")

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # Saved: the user's other sessions end (all of them, unless it is the admin's
            # own password), as after any password change.
            user = self.get_object(request, unquote(id))
            user_password_changed(user=user, by=request.user, request=request)
        return response

    @admin.display(boolean=True, description="Two-factor", ordering="two_factor_on")
    def has_two_factor(self, obj: User) -> bool:
        return obj.two_factor_on

    def save_model(self, request, obj, form, change):
        if not change and obj.organization_id is None:
            # A user added here joins by domain as every other new user does
            # (accounts.services.user_create); the change page moves them after.
            obj.organization_id = organization_id_for_email(obj.email)
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            # A unit's label names its organization.
            kwargs["queryset"] = Unit.objects.select_related("organization")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description="Assign to an organization", permissions=["change"])
    def assign_organization(self, request, queryset):
        """Bulk assignment: a page asks for the organization (and unit), then sets it."""
        form = AssignOrganizationForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            organization, unit = form.cleaned_data["organization"], form.cleaned_data["unit"]
            count = users_set_organization(
                user_ids=list(queryset.values_list("pk", flat=True)),
                organization=organization,
                unit=unit,
            )
            where = (
                f"{unit}" if unit else (organization.name if organization else "no organization")
            )
            self.message_user(request, f"{count} user{'s' if count != 1 else ''} now in {where}.")
            return None
        return TemplateResponse(
            request,
            "admin/accounts/user/assign_organization.html",
            {
                **self.admin_site.each_context(request),
                "title": "Assign to an organization",
                "form": form,
                "users": queryset.order_by("email")[:50],
                "count": queryset.count(),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                # "Select all N users": kept, so the second step acts on the same users.
                "select_across": request.POST.get("select_across", "0"),
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Reset two-factor", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """A lost phone: the user's app and recovery codes stop working, and so do the
        browsers they trusted; staff set up a new second factor at their next page."""
        reset = [
            user
            for user in queryset
            if two_factor_reset(user=user, by=request.user, request=request)
        ]
        if reset:
            names = ", ".join(user.email for user in reset)
            self.message_user(request, f"Two-factor reset for {names}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of them had two-factor set up.", messages.INFO)


class AssignOrganizationForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label="No organization",
    )
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.select_related("organization").order_by(
            "organization__name", "name"
        ),
        required=False,
        empty_label="No unit",
    )

    def clean(self):
        data = super().clean()
        unit, organization = data.get("unit"), data.get("organization")
        if unit is not None and (organization is None or unit.organization_id != organization.pk):
            raise ValidationError({"unit": UNIT_OF_ANOTHER_ORGANIZATION})
        return data


admin.site.unregister(Group)
# Devices are managed through the two_factor_* services (the reset action above), never
# edited by hand: their admin pages would show each person's secret and recovery codes.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, DjangoGroupAdmin):
    # "Which groups may touch SLA plans?": filter by the models their permissions cover.
    list_filter = ("permissions__content_type",)


class MembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 0


class DepartmentMembershipInline(MembershipInline):
    """The department's agents, on the department page."""

    fields = ("agent", "role", "kb_editor")
    autocomplete_fields = ("agent",)
    verbose_name = "agent"
    verbose_name_plural = "agents and their roles"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent__user")


class AgentMembershipInline(MembershipInline):
    """The agent's departments, on the agent page."""

    fields = ("department", "role", "kb_editor")
    autocomplete_fields = ("department",)
    verbose_name = "department role"
    verbose_name_plural = "departments and roles"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Department)
class DepartmentAdmin(MembershipAuditMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "manager",
        "default_sla_plan",
        "auto_assignment",
        "agent_count",
        "is_active",
    )
    list_filter = ("is_active", "auto_assignment", "default_sla_plan")
    list_select_related = ("manager__user", "default_sla_plan")
    search_fields = ("name", "email")
    autocomplete_fields = ("manager", "default_sla_plan")
    fields = ("name", "email", "manager", "default_sla_plan", "auto_assignment", "is_active")
    inlines = (DepartmentMembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_count=Count("memberships"))

    @admin.display(description="Agents", ordering="agent_count")
    def agent_count(self, obj: Department) -> int:
        return obj.agent_count


@admin.register(Agent)
class AgentAdmin(MembershipAuditMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "email", "department_roles", "is_available", "is_active")
    list_filter = ("is_active", "is_available", "memberships__department", "memberships__role")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__display_name")
    autocomplete_fields = ("user",)
    fields = ("user", "signature", "is_available", "is_active")
    inlines = (AgentMembershipInline,)

    def get_queryset(self, request):
        # The autocomplete endpoint uses this queryset too, and an agent's name is its user's.
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=DepartmentMembership.objects.select_related("department").order_by(
                        "department__name"
                    ),
                )
            )
        )

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj: Agent) -> str:
        return obj.user.email

    @admin.display(description="Departments")
    def department_roles(self, obj: Agent) -> str:
        return ", ".join(
            f"{membership.department} ({membership.get_role_display()})"
            for membership in obj.memberships.all()
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The security audit log: read only; exported as CSV by the action."""

    list_display = ("created_at", "kind", "actor_label", "ip_address", "target", "summary")
    list_filter = (
        "kind",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    date_hierarchy = "created_at"
    search_fields = ("actor_label", "target_label", "ip_address")
    list_select_related = False
    actions = ("export_csv",)
    fields = (
        "created_at",
        "kind",
        "actor",
        "actor_label",
        "ip_address",
        "user_agent",
        "target_type",
        "target_id",
        "target_label",
        "data",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Target", ordering="target_label")
    def target(self, obj: AuditEntry) -> str:
        if not obj.target_type:
            return "-"
        return f"{obj.target_label} ({obj.target_type} {obj.target_id})"

    @admin.display(description="Details")
    def summary(self, obj: AuditEntry) -> str:
        return ", ".join(f"{key}: {value}" for key, value in sorted(obj.data.items()))[:200]

    @admin.action(description="Export selected entries as CSV")
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(
            audit_csv_rows(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        return response


class OrganizationDomainForm(forms.ModelForm):
    class Meta:
        model = OrganizationDomain
        fields = ("domain",)

    def clean_domain(self):
        # Lowercased here too, so that two rows of the same formset compare as the
        # database's unique index will.
        return (self.cleaned_data["domain"] or "").strip().lower().removeprefix("@")


class OrganizationDomainInline(admin.TabularInline):
    model = OrganizationDomain
    form = OrganizationDomainForm
    extra = 1
    verbose_name = "email domain"
    verbose_name_plural = "email domains (a new user at one of them joins the organization)"


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ("name",)
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "domain_list", "default_sla_plan", "member_count", "created_at")
    list_filter = ("default_sla_plan",)
    list_select_related = ("default_sla_plan",)
    search_fields = ("name", "domains__domain")
    autocomplete_fields = ("default_sla_plan",)
    fields = ("name", "default_sla_plan", "notes")
    inlines = (OrganizationDomainInline, UnitInline)
    actions = ("match_users_by_domain",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("members", distinct=True))
            .prefetch_related("domains")
        )

    @admin.display(description="Email domains")
    def domain_list(self, obj: Organization) -> str:
        return ", ".join(d.domain for d in obj.domains.all()) or "-"

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Organization) -> int:
        return obj.member_count

    @admin.action(description="Match existing users by domain", permissions=["change"])
    def match_users_by_domain(self, request, queryset):
        """Users in no organization whose address is at one of the selected
        organizations' domains join it."""
        parts = []
        for organization in queryset.order_by("name"):
            joined = organization_match_users(organization=organization)
            parts.append(f"{organization.name}: {joined} joined")
        self.message_user(request, "; ".join(parts) + ".", messages.SUCCESS)
