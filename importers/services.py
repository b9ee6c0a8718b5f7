"""The import's writes: the id map, and people and policy brought over from another desk.

Tickets and their threads are written by tickets.services.tickets_import (in bulk); API
keys by api.keys.api_key_import; this module writes the rest, each function creating the
object or updating the one already mapped (or, the first time, one with the same name:
a department "IT" made by hand before the import is adopted, not doubled).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Agent, Department, DepartmentMembership, Organization, User
from accounts.services import organization_add_domain, organization_create
from importers.models import ImportedObject
from kb.models import Category
from kb.services import category_check_depth
from sla.models import BusinessCalendar, Holiday, SLAPlan, WorkingInterval
from tickets.models import CannedResponse, CustomField, FieldChoice, HelpTopic, HelpTopicField

Kind = ImportedObject.Kind
SOURCE = ImportedObject.Source.OSTICKET


def fingerprint(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Mapped:
    target_id: int | None
    fingerprint: str


def mapped(kind: str, source_ids=None) -> dict[int, Mapped]:
    """The map of one kind (or of the given ids of it): source id -> ours."""
    rows = ImportedObject.objects.filter(source=SOURCE, kind=kind)
    if source_ids is not None:
        rows = rows.filter(source_id__in=list(source_ids))
    return {
        source_id: Mapped(target_id, fp)
        for source_id, target_id, fp in rows.values_list("source_id", "target_id", "fingerprint")
    }


def map_record(kind: str, source_id: int, target_id: int | None, fp: str, note: str = "") -> None:
    ImportedObject.objects.update_or_create(
        source=SOURCE,
        kind=kind,
        source_id=source_id,
        defaults={
            "target_id": target_id,
            "fingerprint": fp,
            "note": note[:200],
            "updated_at": timezone.now(),
        },
    )


def map_records(kind: str, rows: list[tuple[int, int | None, str]]) -> None:
    """Many new rows of the map at once (source id, our id, fingerprint)."""
    now = timezone.now()
    ImportedObject.objects.bulk_create(
        [
            ImportedObject(
                source=SOURCE,
                kind=kind,
                source_id=source_id,
                target_id=target_id,
                fingerprint=fp,
                imported_at=now,
                updated_at=now,
            )
            for source_id, target_id, fp in rows
        ],
        batch_size=2000,
    )


def _adopt(model, existing_id, **lookup):
    if existing_id is not None:
        return model.objects.filter(pk=existing_id).first()
    return model.objects.filter(**lookup).first()


@transaction.atomic
def calendar_import(
    *, existing_id, name: str, time_zone: str, intervals, holidays
) -> BusinessCalendar:
    """intervals: (weekday, start, end); holidays: (date, name). Replaced as a whole."""
    calendar = _adopt(BusinessCalendar, existing_id, name=name) or BusinessCalendar()
    calendar.name, calendar.time_zone = name, time_zone
    calendar.full_clean(validate_unique=False)
    calendar.save()
    WorkingInterval.objects.filter(calendar=calendar).delete()
    Holiday.objects.filter(calendar=calendar).delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start=start, end=end)
        for day, start, end in intervals
    )
    Holiday.objects.bulk_create(
        [Holiday(calendar=calendar, date=day, name=label[:100]) for day, label in holidays],
        ignore_conflicts=True,
    )
    return calendar


def _upsert(model, existing_id, lookup: dict, fields: dict):
    """The row the map names (or the one matching `lookup`, adopted), else a new one, with
    `fields` set and saved."""
    row = _adopt(model, existing_id, **lookup) or model()
    for key, value in {**lookup, **fields}.items():
        setattr(row, key, value)
    row.save()
    return row


def plan_import(*, existing_id, name: str, **fields) -> SLAPlan:
    return _upsert(SLAPlan, existing_id, {"name": name}, fields)


def department_import(*, existing_id, name: str, **fields) -> Department:
    return _upsert(Department, existing_id, {"name": name}, fields)


def topic_import(*, existing_id, name: str, **fields) -> HelpTopic:
    return _upsert(HelpTopic, existing_id, {"name": name}, fields)


def canned_import(*, existing_id, title: str, **fields) -> CannedResponse:
    return _upsert(CannedResponse, existing_id, {"title": title}, fields)


def _user_by_email(email: str) -> User | None:
    return User.objects.alias(e=Lower("email")).filter(e=email.lower()).first()


def user_import(
    *,
    existing_id,
    email: str,
    display_name: str,
    password: str | None,
    is_active: bool = True,
    time_zone: str = "UTC",
    is_staff: bool | None = None,
) -> User:
    """A person: an osTicket password hash (already `osticket_bcrypt$...`) is kept as it is;
    without one the password is unusable, and "Forgot your password?" sends the person the
    link that sets one. An existing address is the same person: linked, not doubled."""
    user = _adopt(User, existing_id, email__iexact=email) if existing_id else _user_by_email(email)
    new = user is None
    if new:
        user = User(email=email.lower())
    user.display_name = display_name[:150]
    if time_zone:
        user.time_zone = time_zone
    user.is_active = is_active
    if is_staff is not None:
        user.is_staff = user.is_superuser = is_staff
    if password:
        user.password = password
    elif new:
        user.set_unusable_password()
    user.save()
    return user


def users_import_new(rows: list[dict]) -> list[User]:
    """Many new requesters at once (email, display_name, password, is_active, time_zone);
    the caller has checked that no user has these addresses."""
    users = []
    for row in rows:
        user = User(
            email=row["email"].lower(),
            display_name=row["display_name"][:150],
            is_active=row["is_active"],
            time_zone=row["time_zone"] or "UTC",
        )
        if row["password"]:
            user.password = row["password"]
        else:
            user.set_unusable_password()
        users.append(user)
    return User.objects.bulk_create(users, batch_size=1000)


@transaction.atomic
def agent_import(
    *, user: User, memberships: dict[int, str], is_active: bool, signature: str
) -> Agent:
    """The person's agent profile with exactly these department roles (id -> role)."""
    agent, _created = Agent.objects.get_or_create(user=user)
    agent.is_active, agent.signature = is_active, signature
    agent.save(update_fields=["is_active", "signature"])
    DepartmentMembership.objects.filter(agent=agent).exclude(
        department_id__in=list(memberships)
    ).delete()
    for department_id, role in memberships.items():
        DepartmentMembership.objects.update_or_create(
            agent=agent, department_id=department_id, defaults={"role": role}
        )
    return agent


# Organizations, the knowledge base's categories, custom fields -----------------------------


def organization_import(
    *, existing_id, name: str, domains: list[str], notes: str
) -> tuple[Organization, list[str]]:
    """An osTicket organization: made through accounts.services.organization_create the
    first time (or one of the same name adopted), its name and notes kept in step after,
    and each of its email domains added once. A domain that is not one, or that another
    organization has, is left out and said (the second value), never a failure."""
    organization = (
        Organization.objects.filter(pk=existing_id).first()
        if existing_id
        else Organization.objects.filter(name__iexact=" ".join(name.split())).first()
    )
    if organization is None:
        organization = organization_create(name=name, notes=notes)
    else:
        organization.name, organization.notes = name, notes
        organization.full_clean()
        organization.save(update_fields=["name", "notes"])
    problems = []
    have = set(organization.domains.values_list("domain", flat=True))
    for domain in domains:
        if domain in have:
            continue
        try:
            with transaction.atomic():
                organization_add_domain(organization=organization, domain=domain)
        except ValidationError as exc:
            problems.append(f"domain {domain!r} left out: {' '.join(exc.messages)}")
    return organization, problems


def category_import(
    *, existing_id, name: str, description: str, parent_id: int | None, position: int
) -> Category:
    """A knowledge base category (two levels: the caller gives a top-level parent)."""
    parent = Category.objects.filter(pk=parent_id).first() if parent_id else None
    category_check_depth(parent=parent)
    category = _adopt(Category, existing_id, name=name, parent=parent) or Category()
    if not category.slug:
        base = (slugify(name) or "category")[:90].strip("-") or "category"
        slug, n = base, 1
        while Category.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        category.slug = slug
    category.name, category.description = name[:100], description[:255]
    category.parent, category.position = parent, position
    category.save()
    return category


@transaction.atomic
def custom_field_import(
    *,
    existing_id,
    name: str,
    label: str,
    kind: str,
    help_text: str,
    audience: str,
    required_at_intake: bool,
    required_to_resolve: bool,
    is_active: bool,
    choices: list[str],
    topics: list[tuple[int, int]],
) -> CustomField:
    """A custom field with these choices (labels, in order; ones no longer there are kept
    inactive, for the tickets that have them) on exactly these help topics (id, position)."""
    field = CustomField.objects.filter(pk=existing_id).first() if existing_id else None
    if field is None:
        field = CustomField(name=_free_field_name(name))
    field.label, field.kind, field.help_text = label[:100], kind, help_text[:255]
    field.audience = audience
    field.required_at_intake, field.required_to_resolve = required_at_intake, required_to_resolve
    field.is_active = is_active
    field.full_clean(exclude=["name"] if field.pk else None)
    field.save()
    existing = {choice.label: choice for choice in field.choices.all()}
    for position, choice_label in enumerate(choices):
        choice = existing.pop(choice_label, None) or FieldChoice(field=field, label=choice_label)
        choice.position, choice.is_active = position, True
        choice.save()
    for choice in existing.values():
        if choice.is_active:
            choice.is_active = False
            choice.save(update_fields=["is_active"])
    wanted = dict(topics)
    HelpTopicField.objects.filter(field=field).exclude(help_topic_id__in=list(wanted)).delete()
    for topic_id, position in wanted.items():
        HelpTopicField.objects.update_or_create(
            field=field, help_topic_id=topic_id, defaults={"position": position}
        )
    return field


def _free_field_name(name: str) -> str:
    """osTicket's variable name as ours (asset_tag), unless another field has it."""
    base = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:44]
    if not base or not base[0].isalpha():
        base = f"osticket_{base}".rstrip("_")[:44]
    candidate, n = base, 1
    while CustomField.objects.filter(name=candidate).exists():
        n += 1
        candidate = f"{base}_{n}"
    return candidate
