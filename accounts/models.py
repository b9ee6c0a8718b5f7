"""People and organisation: users (email login), departments, agents and their roles;
the organizations requesters belong to (companies, and units inside them)."""

import functools
import re
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


@functools.cache
def _known_time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk at every call (30 ms, most of a
    # guest user's creation); what is installed does not change while a process runs.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _known_time_zones():
        raise ValidationError("%(value)s is not a known time zone.", params={"value": value})


# A domain as people type it after the @ of an address: labels of letters, digits and
# hyphens, at least two of them. Stored lowercased (Organization domain matching compares
# with the lowercased address).
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}$"
)
# Providers whose addresses belong to anyone: matching by one of them would put strangers
# in the same organization, where agents see each other's tickets side by side.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "gmx.net",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "yahoo.com",
        "yandex.com",
    }
)
DOMAIN_INVALID = "Enter a domain such as example.com (no @, no spaces)."
DOMAIN_PUBLIC = "This is a public mail provider's domain: anyone can have an address there."


def validate_email_domain(value: str) -> None:
    if not _DOMAIN_RE.match(value or ""):
        raise ValidationError(DOMAIN_INVALID, code="invalid")
    if value in PUBLIC_MAIL_DOMAINS:
        raise ValidationError(DOMAIN_PUBLIC, code="public")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            # Guests who submit with an email become users who cannot log in until they
            # sign up and confirm that address.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Logins are case-insensitive: Jim@Example.com and jim@example.com are one person.
        return self.get(email__iexact=username)


UNIT_OF_ANOTHER_ORGANIZATION = "This unit is not part of the user's organization."


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: requesters, agents and admins. The email is the login."""

    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_staff = models.BooleanField(
        default=False, help_text="Designates whether the user can log into the admin site."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the owner of the address proves it by following the sign-up link; guests
    # who only submitted tickets with an address have none.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A department manager's weekly email of its figures (reports/weekly.py); off in the
    # profile. Defaulted in the database too, for rows written without it (bench COPY).
    weekly_report_email = models.BooleanField(
        "weekly report email",
        default=True,
        db_default=True,
        help_text="Managers get their departments' figures of the past week every Monday.",
    )
    # "How did we do?" after a ticket is resolved (tickets.services.satisfaction); off in
    # the profile. Defaulted in the database too, for rows written without it.
    satisfaction_surveys = models.BooleanField(
        "satisfaction surveys",
        default=True,
        db_default=True,
        help_text="Asked by email how we did after a ticket of theirs is resolved.",
    )

    # The requester's company (and a unit of it): docs/organizations.md, decision 0039.
    # Joined automatically by the domain of the address when the user is created
    # (accounts.services.user_create), or set by an admin.
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text="A unit of the user's organization (e.g. Sales).",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this email address already exists.",
            ),
        ]

    def __str__(self):
        return self.display_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        # Checked here and by the services, not by a constraint: one across two tables would
        # need a trigger, and a check that a unit comes with an organization breaks the
        # deletion of an organization (Django clears a member's organization first).
        if self.unit_id is not None and self.unit.organization_id != self.organization_id:
            raise ValidationError({"unit": UNIT_OF_ANOTHER_ORGANIZATION})

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name.split(" ")[0] if self.display_name else self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class Department(models.Model):
    """A team that owns tickets: Sales, Accounting, IT."""

    class AutoAssignment(models.TextChoices):
        # How a new (or newly transferred) ticket finds an agent: docs/auto-assignment.md.
        OFF = "off", "Off"
        ROUND_ROBIN = "round_robin", "Round-robin"
        LEAST_OPEN = "least_open", "Fewest open tickets (with a running SLA clock)"

    name = models.CharField(max_length=100, unique=True)
    email = models.EmailField(blank=True, help_text="Address notifications are sent from.")
    manager = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
        help_text="Receives escalations for this department's tickets.",
    )
    # A lazy reference, so accounts never imports sla; see docs/decisions/0002.
    default_sla_plan = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="default SLA plan",
        help_text="Used when a ticket's help topic names no plan.",
    )
    is_active = models.BooleanField(default=True)
    auto_assignment = models.CharField(
        max_length=16,
        choices=AutoAssignment.choices,
        default=AutoAssignment.OFF,
        # Also in the database, so rows written without the field (older code, bulk
        # loads, migrations' historical models) are valid.
        db_default=AutoAssignment.OFF,
        help_text="Give new and transferred tickets to an available agent of the department.",
    )
    # The round-robin's place: the next pick is the eligible agent after this one (by id),
    # under this row's lock (tickets/services/auto_assign.py).
    last_auto_assigned = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_assignment__in=["off", "round_robin", "least_open"]),
                name="accounts_department_auto_assignment_valid",
            ),
        ]

    def __str__(self):
        return self.name


class Organization(models.Model):
    """A company (or any body) requesters belong to: The Office. osTicket's organizations.

    Agents see a requester's organization and its other open tickets on the ticket page
    and filter the queue by it; its default SLA plan applies to its members' new tickets
    when the help topic names none (tickets.services.default_plan_for).
    """

    name = models.CharField(max_length=128)
    # A lazy reference, as Department's: accounts never imports sla (decision 0002).
    default_sla_plan = models.ForeignKey(
        "sla.SLAPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="default SLA plan",
        help_text="Used for its members' new tickets when the help topic names no plan.",
    )
    notes = models.TextField(
        blank=True, help_text="For agents and admins; never shown to requesters."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="accounts_organization_name_ci_unique",
                violation_error_message="An organization with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        self.name = " ".join(self.name.split())


class OrganizationDomain(models.Model):
    """An email domain of an organization: a new user whose address is at it joins it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="domains"
    )
    # Lowercased in clean(); unique, so that an address matches one organization at most.
    domain = models.CharField(
        max_length=253,
        unique=True,
        validators=[validate_email_domain],
        help_text="Without the @, e.g. theoffice.example.",
        error_messages={"unique": "Another organization already has this domain."},
    )

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")),
                name="accounts_organizationdomain_lowercase",
            ),
        ]

    def __str__(self):
        return self.domain

    def clean_fields(self, exclude=None):
        # Lowercased before the validators and the unique check read it.
        self.domain = (self.domain or "").strip().lower().removeprefix("@")
        super().clean_fields(exclude)


class Unit(models.Model):
    """A part of an organization: The Office > Sales."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=128)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("name"),
                name="accounts_unit_name_ci_unique",
                violation_error_message="This organization already has a unit of this name.",
            ),
        ]

    def __str__(self):
        return f"{self.organization.name} > {self.name}" if self.organization_id else self.name


class Agent(models.Model):
    """A user who works tickets, in one or more departments."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    departments = models.ManyToManyField(
        Department, through="DepartmentMembership", related_name="agents"
    )
    signature = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # The desk's "Available for new tickets" switch: auto-assignment passes over an agent
    # who turned it off. On by default, so switching a department's policy on assigns at
    # once (docs/decisions/0033).
    is_available = models.BooleanField(
        "available for new tickets",
        default=True,
        db_default=True,
        help_text="Auto-assignment gives new tickets only to available agents.",
    )

    class Meta:
        ordering = ["user__display_name", "user__email"]

    def __str__(self):
        return str(self.user)

    @property
    def email(self) -> str:
        return self.user.email


class DepartmentMembership(models.Model):
    """An agent's role in one department."""

    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        MANAGER = "manager", "Manager"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    # Beside the role, not one of its values: a manager or an agent may also write the
    # department's help-centre articles (kb/, docs/decisions/0032-knowledge-base.md).
    kb_editor = models.BooleanField(
        "knowledge base editor",
        default=False,
        db_default=False,
        help_text="Writes, edits and publishes the department's knowledge base articles.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "department"], name="accounts_membership_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["agent", "manager"]),
                name="accounts_membership_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.agent} in {self.department} ({self.get_role_display()})"


class AuditEntry(models.Model):
    """One security-relevant event: who did what, from where, to what (accounts/audit.py).

    Written only by accounts.audit.audit_record, read only (admin, CSV export), and pruned
    after AUDIT_RETENTION_DAYS. The actor and the target are copied as labels too, so an
    entry still says who and what after either is deleted.
    """

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", "Login succeeded"
        LOGIN_FAILED = "login_failed", "Login failed"
        LOGOUT = "logout", "Logout"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET_COMPLETED = "password_reset_completed", "Password reset completed"
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", "Two-factor enrolled"
        TWO_FACTOR_REMOVED = "two_factor_removed", "Two-factor removed"
        TWO_FACTOR_RESET = "two_factor_reset", "Two-factor reset by an admin"
        SESSION_ENDED = "session_ended", "Session ended by its user"
        AGENT_CREATED = "agent_created", "Agent created"
        MEMBERSHIP_ADDED = "membership_added", "Department membership added"
        MEMBERSHIP_ROLE_CHANGED = "membership_role_changed", "Department role changed"
        MEMBERSHIP_REMOVED = "membership_removed", "Department membership removed"
        ADMIN_ADDED = "admin_added", "Added in the admin"
        ADMIN_CHANGED = "admin_changed", "Changed in the admin"
        ADMIN_DELETED = "admin_deleted", "Deleted in the admin"
        API_KEY_CREATED = "api_key_created", "API key created"
        API_KEY_CHANGED = "api_key_changed", "API key changed"
        API_KEY_REVOKED = "api_key_revoked", "API key revoked"
        AGENT_AVAILABILITY_CHANGED = "agent_availability_changed", "Agent availability changed"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    # The target, generic: "accounts.user", its primary key, and what it was called.
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="accounts_audit_created"),
            models.Index(fields=["kind", "created_at"], name="accounts_audit_kind"),
            models.Index(fields=["actor", "created_at"], name="accounts_audit_actor"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.actor_label or 'nobody'})"


class UserSession(models.Model):
    """What we know of one signed-in session, beside Django's own session row.

    Keyed by the session (deleted with it: logout, expiry, "end this session"), so the
    profile page can list a person's sessions without decoding every session. Updated at
    most once a minute per session (accounts/sessions.py), so requests stay cheap.
    """

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="user_session")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_sessions"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self):
        return f"{self.user} from {self.ip_address or 'an unknown address'}"
