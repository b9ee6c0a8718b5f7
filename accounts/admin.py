"""Admin for people and organisation: users, departments, agents and their roles."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import TimeZoneFormField
from accounts.models import Agent, Department, DepartmentMembership, User
from accounts.two_factor import two_factor_reset


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
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "time_zone")}),
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
        "is_agent",
        "has_two_factor",
        "is_staff",
        "is_superuser",
        "is_active",
    )
    list_filter = (IsAgentFilter, "is_staff", "is_superuser", "is_active", "groups")
    actions = ("reset_two_factor",)
    list_select_related = ("agent",)
    search_fields = ("email", "display_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(two_factor_on=Exists(confirmed))

    @admin.display(boolean=True, description="Agent", ordering="agent")
    def is_agent(self, obj: User) -> bool:
        return hasattr(obj, "agent")

    @admin.display(boolean=True, description="Two-factor", ordering="two_factor_on")
    def has_two_factor(self, obj: User) -> bool:
        return obj.two_factor_on

    @admin.action(description="Reset two-factor", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """A lost phone: the user's app and recovery codes stop working, and so do the
        browsers they trusted; staff set up a new second factor at their next page."""
        reset = [user for user in queryset if two_factor_reset(user=user, by=request.user)]
        if reset:
            names = ", ".join(user.email for user in reset)
            self.message_user(request, f"Two-factor reset for {names}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of them had two-factor set up.", messages.INFO)


admin.site.unregister(Group)
# Devices are managed through the two_factor_* services (the reset action above), never
# edited by hand: their admin pages would show each person's secret and recovery codes.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    # "Which groups may touch SLA plans?": filter by the models their permissions cover.
    list_filter = ("permissions__content_type",)


class MembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 0


class DepartmentMembershipInline(MembershipInline):
    """The department's agents, on the department page."""

    fields = ("agent", "role")
    autocomplete_fields = ("agent",)
    verbose_name = "agent"
    verbose_name_plural = "agents and their roles"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent__user")


class AgentMembershipInline(MembershipInline):
    """The agent's departments, on the agent page."""

    fields = ("department", "role")
    autocomplete_fields = ("department",)
    verbose_name = "department role"
    verbose_name_plural = "departments and roles"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "manager", "default_sla_plan", "agent_count", "is_active")
    list_filter = ("is_active", "default_sla_plan")
    list_select_related = ("manager__user", "default_sla_plan")
    search_fields = ("name", "email")
    autocomplete_fields = ("manager", "default_sla_plan")
    fields = ("name", "email", "manager", "default_sla_plan", "is_active")
    inlines = (DepartmentMembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_count=Count("memberships"))

    @admin.display(description="Agents", ordering="agent_count")
    def agent_count(self, obj: Department) -> int:
        return obj.agent_count


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "department_roles", "is_active")
    list_filter = ("is_active", "memberships__department", "memberships__role")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__display_name")
    autocomplete_fields = ("user",)
    fields = ("user", "signature", "is_active")
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
