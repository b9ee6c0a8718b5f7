"""Every write to people and organisation: users, guests, agents and their roles, and the
organizations requesters belong to."""

from collections.abc import Collection

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.audit import AuditKind, audit_record
from accounts.models import (
    UNIT_OF_ANOTHER_ORGANIZATION,
    Agent,
    Department,
    DepartmentMembership,
    Organization,
    OrganizationDomain,
    Unit,
    User,
    validate_time_zone,
)
from accounts.sessions import sessions_end_for_user
from common.enqueue import enqueue_on_commit

# The task that makes and sends account emails (accounts/tasks.py registers it).
ACCOUNT_EMAIL_TASK = "accounts.send_account_email"


def _normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


@transaction.atomic
def user_create(
    *,
    email: str,
    display_name: str = "",
    password: str | None = None,
    time_zone: str = "UTC",
    is_staff: bool = False,
    is_superuser: bool = False,
    known_new: bool = False,
) -> User:
    """Create a user; without a password the user cannot log in until one is set.

    Atomic (a savepoint inside a caller's transaction): guest_user_get_or_create relies on
    it to survive losing a race on the unique address.

    Every new user goes through here (the web form's guests, the mail channel, the API,
    sign-up, single sign-on, the directory, the demo), so here a new address joins the
    organization whose email domain it is at: one indexed look-up.

    Password strength is checked by the forms where people choose passwords, not here:
    this is also how seed data and tests create users. `known_new`: the caller has just
    looked the address up, and the unique index refuses a race: the model's own unique
    checks (two queries) are skipped.
    """
    user = User(
        email=_normalize_email(email),
        display_name=display_name.strip(),
        time_zone=time_zone,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(validate_unique=not known_new, validate_constraints=not known_new)
    # After full_clean: the id comes from the database, so its existence needs no check.
    user.organization_id = organization_id_for_email(user.email)
    user.save()
    # A user this moment old has no agent profile: say so to the reverse one-to-one's
    # cache, so that the intake asking "is this an agent?" costs no query (issue 17).
    # Creating an Agent for the user later replaces the cached value (Django's descriptor).
    User.agent.related.set_cached_value(user, None)
    return user


def _user_by_email(normalized: str) -> User | None:
    # LOWER(email) is what the case-insensitive unique index holds, so this is an index
    # lookup; email__iexact (UPPER(...)) would scan the table on every intake.
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=normalized).first()


def guest_user_get_or_create(*, email: str, display_name: str = "") -> User:
    """The user behind an email address, created as a guest (no usable password) if new.

    An existing user is returned untouched: whoever types an address into a public form
    must not be able to rename its owner.
    """
    normalized = _normalize_email(email)
    existing = _user_by_email(normalized)
    if existing is not None:
        return existing
    try:
        # user_create is atomic: that savepoint is what leaves the caller's transaction
        # usable when another request created the same guest a moment ago. A second one
        # around it would cost every new guest two more round trips and protect nothing.
        return user_create(email=normalized, display_name=display_name, known_new=True)
    except (IntegrityError, ValidationError):
        existing = _user_by_email(normalized)
        if existing is None:
            raise
        return existing


def _validate_role(role: str) -> None:
    if role not in DepartmentMembership.Role.values:
        raise ValidationError({"role": f"{role!r} is not a department role."})


def _membership_data(membership: DepartmentMembership, **extra) -> dict:
    return {
        "agent": {"id": membership.agent_id, "label": str(membership.agent)},
        "department": {"id": membership.department_id, "label": str(membership.department)},
        "role": membership.role,
        **extra,
    }


def membership_record(*, kind, membership: DepartmentMembership, by=None, request=None, **extra):
    """The audit entry of a membership change, from a service or the admin's inlines."""
    audit_record(
        kind=kind,
        actor=by,
        request=request,
        target=membership.agent.user,
        data=_membership_data(membership, **extra),
    )


@transaction.atomic
def agent_create(*, user: User, departments: dict[Department, str], by=None) -> Agent:
    """Make a user an agent, with a role ("agent" or "manager") in each department.

    `by` is who did it, for the audit log (None: set-up code, the demo, a directory sync).
    """
    for role in departments.values():
        _validate_role(role)
    if Agent.objects.filter(user=user).exists():
        raise ValidationError({"user": f"{user} is already an agent."})
    agent = Agent(user=user)
    agent.full_clean()
    agent.save()
    memberships = DepartmentMembership.objects.bulk_create(
        DepartmentMembership(agent=agent, department=department, role=role)
        for department, role in departments.items()
    )
    audit_record(kind=AuditKind.AGENT_CREATED, actor=by, target=user, data={"agent": agent.pk})
    for membership in memberships:
        membership_record(kind=AuditKind.MEMBERSHIP_ADDED, membership=membership, by=by)
    return agent


@transaction.atomic
def agent_set_role(
    *, agent: Agent, department: Department, role: str, by=None
) -> DepartmentMembership:
    """Give an agent a role in a department, joining it if need be."""
    _validate_role(role)
    membership = (
        DepartmentMembership.objects.select_for_update()
        .filter(agent=agent, department=department)
        .first()
    )
    if membership is None:
        membership = DepartmentMembership(agent=agent, department=department, role=role)
        membership.full_clean()
        membership.save()
        membership_record(kind=AuditKind.MEMBERSHIP_ADDED, membership=membership, by=by)
    elif membership.role != role:
        previous = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        membership_record(
            kind=AuditKind.MEMBERSHIP_ROLE_CHANGED,
            membership=membership,
            by=by,
            previous_role=previous,
        )
    return membership


@transaction.atomic
def agent_set_kb_editor(
    *, agent: Agent, department: Department, editor: bool, by=None
) -> DepartmentMembership:
    """Make a department's agent a knowledge base editor there, or no longer one.

    The agent must already be in the department: editing its articles is part of working
    in it (docs/decisions/0032-knowledge-base.md)."""
    membership = (
        DepartmentMembership.objects.select_for_update()
        .filter(agent=agent, department=department)
        .first()
    )
    if membership is None:
        raise ValidationError({"department": f"{agent} is not in {department}."})
    if membership.kb_editor != editor:
        membership.kb_editor = editor
        membership.save(update_fields=["kb_editor"])
        membership_record(
            kind=AuditKind.MEMBERSHIP_ROLE_CHANGED,
            membership=membership,
            by=by,
            kb_editor=editor,
        )
    return membership


@transaction.atomic
def agent_leave_department(*, agent: Agent, department: Department) -> None:
    """Take an agent out of a department; if they received its escalations, nobody does."""
    membership = (
        DepartmentMembership.objects.select_for_update()
        .filter(agent=agent, department=department)
        .first()
    )
    if membership is None:
        return
    if Department.objects.filter(pk=department.pk, manager=agent).exists():
        department_set_manager(department=department, manager=None)
    membership.delete()


@transaction.atomic
def agent_set_active(*, agent: Agent, is_active: bool) -> Agent:
    """An inactive agent keeps their history but is an agent no more (accounts.roles)."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.is_active != is_active:
        agent.is_active = is_active
        agent.save(update_fields=["is_active"])
    return agent


AVAILABILITY_NOT_YOURS = "Only the agent themselves or an administrator can change this."


@transaction.atomic
def agent_set_availability(*, agent: Agent, available: bool, by) -> Agent:
    """The desk's "Available for new tickets" switch: auto-assignment skips an agent who is
    not available. The agent sets it (an administrator may too); the audit log says who."""
    if not (
        getattr(by, "is_authenticated", False) and (by.pk == agent.user_id or by.is_superuser)
    ):
        raise PermissionDenied(AVAILABILITY_NOT_YOURS)
    agent = Agent.objects.select_for_update().select_related("user").get(pk=agent.pk)
    if agent.is_available == available:
        return agent
    agent.is_available = available
    agent.save(update_fields=["is_available"])
    audit_record(
        kind=AuditKind.AGENT_AVAILABILITY_CHANGED,
        actor=by,
        target=agent.user,
        data={"agent": {"id": agent.pk, "label": str(agent)}, "available": available},
    )
    return agent


@transaction.atomic
def department_set_auto_assignment(*, department: Department, policy: str) -> Department:
    """Choose how the department's new tickets find an agent (Department.AutoAssignment)."""
    if policy not in Department.AutoAssignment.values:
        raise ValidationError({"auto_assignment": f"{policy!r} is not an auto-assignment policy."})
    department = Department.objects.select_for_update().get(pk=department.pk)
    if department.auto_assignment != policy:
        department.auto_assignment = policy
        department.save(update_fields=["auto_assignment"])
    return department


@transaction.atomic
def department_create(
    *,
    name: str,
    email: str = "",
    # An sla.SLAPlan; not imported, since accounts knows nothing of sla (see DESIGN.md).
    default_sla_plan: models.Model | None = None,
    manager: Agent | None = None,
) -> Department:
    department = Department(name=name.strip(), email=email, default_sla_plan=default_sla_plan)
    department.full_clean()
    department.save()
    if manager is not None:
        department_set_manager(department=department, manager=manager)
    return department


@transaction.atomic
def department_set_manager(
    *, department: Department, manager: Agent | None, by=None
) -> Department:
    """Name who receives the department's escalations; they get the manager role there."""
    department = Department.objects.select_for_update().get(pk=department.pk)
    if manager is not None:
        agent_set_role(
            agent=manager, department=department, role=DepartmentMembership.Role.MANAGER, by=by
        )
    if department.manager_id != (manager.pk if manager else None):
        department.manager = manager
        department.save(update_fields=["manager"])
    return department


# Sign-up, confirmation and profile ----------------------------------------------------


def user_request_signup(*, email: str, display_name: str = "") -> User:
    """Someone asks for an account for an address; the address's owner gets an email.

    Nothing is decided until the owner follows the emailed link: a new address becomes a
    guest user (as if it had submitted a ticket), an address that already has a password is
    told so, and the page answers the same either way, so sign-up reveals nobody's account.
    """
    user = guest_user_get_or_create(email=email, display_name=display_name)
    kind = "account_exists" if user.has_usable_password() else "signup_confirm"
    enqueue_on_commit(ACCOUNT_EMAIL_TASK, user.pk, kind)
    return user


def user_request_password_reset(*, email: str, request=None) -> None:
    """A reset link for an address with a password; a guest gets the sign-up link instead."""
    user = _user_by_email(_normalize_email(email))
    audit_record(
        kind=AuditKind.PASSWORD_RESET_REQUESTED,
        request=request,
        target=user,
        data={"email": _normalize_email(email)[:254], "known": user is not None},
    )
    if user is None or not user.is_active:
        return
    kind = "password_reset" if user.has_usable_password() else "signup_confirm"
    enqueue_on_commit(ACCOUNT_EMAIL_TASK, user.pk, kind)


@transaction.atomic
def user_confirm_signup(*, user: User, display_name: str, password: str) -> User:
    """The owner of the address followed the sign-up link: they choose a password and can
    sign in from now on; tickets they submitted as a guest are already theirs."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.display_name = display_name.strip() or user.display_name
    fields = ["password", "display_name"]
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        fields.append("email_confirmed_at")
    user.save(update_fields=fields)
    return user


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    display_name: str,
    time_zone: str,
    weekly_report_email: bool | None = None,
    satisfaction_surveys: bool | None = None,
) -> User:
    """`weekly_report_email` None leaves the setting as it is (the profile of someone who
    is not an agent does not offer it); so does `satisfaction_surveys` None."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.display_name = display_name.strip()
    user.time_zone = time_zone
    fields = ["display_name", "time_zone"]
    if weekly_report_email is not None:
        user.weekly_report_email = weekly_report_email
        fields.append("weekly_report_email")
    if satisfaction_surveys is not None:
        user.satisfaction_surveys = satisfaction_surveys
        fields.append("satisfaction_surveys")
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=fields)
    return user


@transaction.atomic
def user_set_satisfaction_surveys(*, user: User, enabled: bool) -> User:
    """Whether the user is asked "How did we do?" after a ticket is resolved: from the
    profile, or from a survey's own page (a guest has no profile)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.satisfaction_surveys != enabled:
        user.satisfaction_surveys = enabled
        user.save(update_fields=["satisfaction_surveys"])
    return user


@transaction.atomic
def user_password_changed(*, user: User, by, request=None, kind=AuditKind.PASSWORD_CHANGED) -> int:
    """After a new password is saved (by its owner, an admin, or a reset link): every
    other session of the user ends, and the audit log says so. The request's own session
    stays when it is the user's (Django's update_session_auth_hash already refreshed it).
    How many sessions were ended."""
    keep = None
    if request is not None and getattr(request.user, "pk", None) == user.pk:
        keep = request.session.session_key
    ended = sessions_end_for_user(user=user, keep_session_key=keep)
    audit_record(kind=kind, actor=by, request=request, target=user, data={"sessions_ended": ended})
    return ended


# Single sign-on ------------------------------------------------------------------------


def user_get_or_create_from_sso(
    *, email: str, display_name: str = "", create: bool
) -> User | None:
    """The user whose address an identity provider has verified; None if there is none and
    `create` is off. A new one is a requester who signs in only through the provider (no
    usable password). The verified address counts as confirmed, and an empty display name
    is filled from the provider's; a name someone chose is kept. Disabled users are
    returned untouched, for the caller to refuse.
    """
    normalized = _normalize_email(email)
    user = _user_by_email(normalized)
    if user is None:
        if not create:
            return None
        try:
            with transaction.atomic():
                user = user_create(email=normalized, display_name=display_name.strip()[:150])
        except (IntegrityError, ValidationError):
            user = _user_by_email(normalized)  # created meanwhile by another request
            if user is None:
                raise
    if not user.is_active:
        return user
    return _user_record_sso_sign_in(user=user, display_name=display_name)


@transaction.atomic
def _user_record_sso_sign_in(*, user: User, display_name: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    fields = []
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        fields.append("email_confirmed_at")
    if not user.display_name and display_name.strip():
        user.display_name = display_name.strip()[:150]
        fields.append("display_name")
    if fields:
        user.save(update_fields=fields)
    return user


# The company directory (accounts/ldap.py) ---------------------------------------------


def _valid_time_zone(value: str) -> bool:
    try:
        validate_time_zone(value)
    except ValidationError:
        return False
    return True


@transaction.atomic
def user_sign_in_from_directory(
    *,
    email: str,
    display_name: str,
    time_zone: str,
    roles: dict[Department, str],
    managed: Collection[Department],
) -> User:
    """Someone signed in with the company directory: their user, made or brought up to date
    from it (name, time zone), with the roles the directory gives them (see
    ``agent_mirror_directory_roles``).

    A new user has no usable password: they sign in with the directory only. An existing
    local user keeps theirs. What the directory leaves empty (or a zone we do not know) is
    left as it is.
    """
    normalized = _normalize_email(email)
    time_zone = time_zone.strip()
    user = (
        User.objects.select_for_update()
        .alias(email_lower=Lower("email"))
        .filter(email_lower=normalized)
        .first()
    )
    if user is None:
        user = user_create(
            email=normalized,
            display_name=display_name,
            time_zone=time_zone if _valid_time_zone(time_zone) else "UTC",
        )
    else:
        changed = []
        if display_name.strip() and user.display_name != display_name.strip():
            user.display_name = display_name.strip()
            changed.append("display_name")
        if _valid_time_zone(time_zone) and user.time_zone != time_zone:
            user.time_zone = time_zone
            changed.append("time_zone")
        if changed:
            user.save(update_fields=changed)
    agent_mirror_directory_roles(user=user, roles=roles, managed=managed)
    return user


@transaction.atomic
def agent_mirror_directory_roles(
    *, user: User, roles: dict[Department, str], managed: Collection[Department]
) -> Agent | None:
    """Make the user's roles in the ``managed`` departments (those the directory's groups
    map to) exactly ``roles``: joined, promoted, demoted or taken out as the directory
    says. Departments the directory does not manage are left to the admins.

    A user the directory first gives a role becomes an agent; an agent left with no
    department at all is deactivated (and active again when the directory gives one back).
    Demoted from manager, they stop receiving the department's escalations.
    """
    for role in roles.values():
        _validate_role(role)
    agent = Agent.objects.select_for_update().filter(user=user).first()
    if agent is None:
        return agent_create(user=user, departments=roles) if roles else None
    for department, role in roles.items():
        agent_set_role(agent=agent, department=department, role=role)
        if role == DepartmentMembership.Role.AGENT and department.manager_id == agent.pk:
            department_set_manager(department=department, manager=None)
    for membership in (
        agent.memberships.select_related("department")
        .filter(department__in=list(managed))
        .exclude(department__in=list(roles))
    ):
        agent_leave_department(agent=agent, department=membership.department)
    return agent_set_active(agent=agent, is_active=agent.memberships.exists())


# Organizations ---------------------------------------------------------------------------
# docs/organizations.md and decision 0039: a requester belongs to one organization at most
# (and optionally one unit of it); a new user joins the organization of their address's
# domain (user_create); admins assign people, and match existing users by domain.


def email_domain(email: str) -> str:
    """The part after the @, lowercased: "Jim@TheOffice.example" -> "theoffice.example"."""
    return (email or "").rpartition("@")[2].strip().lower()


def organization_id_for_email(email: str) -> int | None:
    """The organization whose domain the address is at, by id; None if there is none.

    The domain exactly, not its parents: sales.theoffice.example is a domain of its own,
    for an admin to add. Domains are unique, so an address matches one organization.
    """
    domain = email_domain(email)
    if not domain:
        return None
    return (
        OrganizationDomain.objects.filter(domain=domain)
        .values_list("organization_id", flat=True)
        .first()
    )


@transaction.atomic
def organization_create(
    *,
    name: str,
    domains: Collection[str] = (),
    units: Collection[str] = (),
    # An sla.SLAPlan; not imported, since accounts knows nothing of sla (see DESIGN.md).
    default_sla_plan: models.Model | None = None,
    notes: str = "",
) -> Organization:
    """A new organization with its email domains and units (names, in order)."""
    organization = Organization(name=name, default_sla_plan=default_sla_plan, notes=notes)
    organization.full_clean()
    organization.save()
    for domain in domains:
        organization_add_domain(organization=organization, domain=domain)
    for unit in units:
        unit_create(organization=organization, name=unit)
    return organization


@transaction.atomic
def organization_add_domain(*, organization: Organization, domain: str) -> OrganizationDomain:
    """Give the organization an email domain (lowercased; unique across organizations).
    Users who already exist are not moved: organization_match_users does that, on
    request."""
    row = OrganizationDomain(organization=organization, domain=domain)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def unit_create(*, organization: Organization, name: str) -> Unit:
    unit = Unit(organization=organization, name=" ".join(name.split()))
    unit.full_clean()
    unit.save()
    return unit


def _check_unit(organization: Organization | None, unit: Unit | None) -> None:
    if unit is not None and (organization is None or unit.organization_id != organization.pk):
        raise ValidationError({"unit": UNIT_OF_ANOTHER_ORGANIZATION})


@transaction.atomic
def user_set_organization(
    *, user: User, organization: Organization | None, unit: Unit | None = None
) -> User:
    """Put a user in an organization (and a unit of it), or in none (None)."""
    _check_unit(organization, unit)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.organization = organization
    user.unit = unit
    user.save(update_fields=["organization", "unit"])
    return user


@transaction.atomic
def users_set_organization(
    *, user_ids: Collection[int], organization: Organization | None, unit: Unit | None = None
) -> int:
    """The admin's bulk assignment: these users to one organization (and unit), in one
    statement. Answers how many users it set."""
    _check_unit(organization, unit)
    return User.objects.filter(pk__in=list(user_ids)).update(organization=organization, unit=unit)


@transaction.atomic
def organization_match_users(*, organization: Organization) -> int:
    """Existing users in no organization whose address is at one of its domains join it
    (the admin's "match existing users by domain"); people an admin already put in another
    organization stay where they are. Answers how many joined."""
    domains = list(organization.domains.values_list("domain", flat=True))
    if not domains:
        return 0
    at_domain = Q()
    for domain in domains:
        # Domains hold no LIKE wildcards (validate_email_domain), and Django escapes them.
        at_domain |= Q(email_lower__endswith=f"@{domain}")
    return (
        User.objects.alias(email_lower=Lower("email"))
        .filter(at_domain, organization__isnull=True)
        .update(organization=organization)
    )
