"""An osTicket import: read each kind, map it, write what is new or changed.

Order: schedules, SLA plans, departments, help topics, the forms' fields (custom fields on
the topics, forms.py), organizations (organizations.py), staff (then the departments'
managers), users (then their organizations), canned responses, API keys, the FAQ's
categories and articles (faq.py), tickets (with their threads, files, events and
collaborators), their form values, then the osTicket API's id mappings and our number
sequence.

Each ticket is written with its whole thread or not at all: a batch goes in one
transaction; if it fails, its tickets are tried one by one, and a ticket that fails alone
is reported with its osTicket id and skipped. A dry run does all of it inside one
transaction that is rolled back (and writes no file), so what it reports is exactly what a
real run would do.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.hashers import is_osticket_bcrypt
from accounts.models import Agent, DepartmentMembership, User
from accounts.roles import SYSTEM
from api.keys import api_key_import
from api.models import OsTicketMapping, Scope
from importers import services
from importers.models import ImportedObject
from importers.osticket.faq import FaqSteps
from importers.osticket.forms import FormSteps
from importers.osticket.organizations import OrganizationSteps
from importers.osticket.rows import RowError
from importers.osticket.source import OsTicketSource
from mail.parsing import html_to_text
from tickets import services as ticket_services
from tickets.attachments import files_removed_on_error
from tickets.events import ref, status_ref
from tickets.models import EntryKind, EventKind, Priority, Source, Status, Ticket
from tickets.numbering import next_ticket_number, ticket_numbers_reserve_through
from web.html import sanitize_html

logger = logging.getLogger(__name__)
Kind = ImportedObject.Kind
VIA = "osTicket import"
NOT_ATTACHED = "[Not attached: osTicket file {id} {name!r} could not be read]"

ENTRY_KINDS = {"M": EntryKind.MESSAGE, "R": EntryKind.REPLY, "N": EntryKind.NOTE}
SOURCES = {"web": Source.WEB, "email": Source.EMAIL, "phone": Source.PHONE, "api": Source.API}
# osTicket's priority_urgency: 1 is the most urgent.
URGENCY = {1: Priority.URGENT, 2: Priority.HIGH, 3: Priority.NORMAL, 4: Priority.LOW}


class _DryRun(Exception):
    pass


@dataclass
class Report:
    counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list = field(default_factory=list)  # (kind, osTicket id, message)
    warnings: list = field(default_factory=list)

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    def error(self, kind: str, source_id, message: str) -> None:
        self.errors.append((kind, source_id, message))
        self.add(kind, "skipped")


class OsTicketImport(OrganizationSteps, FormSteps, FaqSteps):
    def __init__(
        self,
        source: OsTicketSource,
        *,
        batch: int = 500,
        dry_run: bool = False,
        api_agent: str | None = None,
        progress=None,
    ):
        self.source = source
        self.batch = max(1, batch)
        self.dry_run = dry_run
        self.api_agent = api_agent
        self.progress = progress or (lambda kind, done, total: None)
        self.report = Report()
        self.now = timezone.now()
        self.config = source.config()
        self._maps: dict[str, dict] = {}

    def run(self) -> Report:
        try:
            with transaction.atomic() if self.dry_run else nullcontext():
                for step in (
                    self.schedules,
                    self.plans,
                    self.departments,
                    self.topics,
                    self.form_fields,
                    self.organizations,
                    self.staff,
                    self.managers,
                    self.users,
                    self.user_organizations,
                    self.canned,
                    self.api_keys,
                    self.faq_categories,
                    self.faqs,
                    self.tickets,
                    self.field_values,
                    self.api_mappings,
                ):
                    step()
                if self.dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return self.report

    # -- helpers ----------------------------------------------------------------------

    def _target(self, kind: str, source_id) -> int | None:
        if kind not in self._maps:
            self._maps[kind] = {k: m.target_id for k, m in services.mapped(kind).items()}
        if not source_id:
            return None
        return self._maps[kind].get(int(source_id))

    def _remember(self, kind: str, source_id: int, target_id) -> None:
        self._target(kind, 0)  # loads the kind's map
        self._maps.setdefault(kind, {})[int(source_id)] = target_id

    def _each(self, kind: str, rows, read, write, note=lambda row: ""):
        """read(row) -> fields (RowError: skipped); write(existing_id, fields) -> our id."""
        known = services.mapped(kind)
        for row in rows:
            source_id = int(row[_id_column(kind)])
            try:
                fields = read(row)
            except RowError as exc:
                self.report.error(kind, source_id, str(exc))
                continue
            fp = services.fingerprint(fields)
            old = known.get(source_id)
            if old is not None and old.fingerprint == fp:
                self.report.add(kind, "unchanged")
                self._remember(kind, source_id, old.target_id)
                continue
            try:
                with transaction.atomic():
                    target_id = write(old.target_id if old else None, fields)
                    services.map_record(kind, source_id, target_id, fp, note(row))
            except RowError as exc:
                self.report.error(kind, source_id, str(exc))
                continue
            except Exception as exc:  # one bad row never stops the import
                logger.exception("osTicket import: %s %s failed", kind, source_id)
                self.report.error(kind, source_id, f"{exc.__class__.__name__}: {exc}"[:300])
                continue
            self._remember(kind, source_id, target_id)
            self.report.add(kind, "updated" if old else "created")

    def _zone_name(self, value) -> str:
        import zoneinfo

        name = value or self.config.get("default_timezone") or "UTC"
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return "UTC"
        return name

    # -- schedules, plans, departments, topics ----------------------------------------

    def schedules(self) -> None:
        if not self.source.has_table("schedule"):
            return
        entries = defaultdict(list)
        for entry in self.source.rows("schedule_entry", order="schedule_id, sort, id"):
            entries[entry["schedule_id"]].append(entry)
        holidays_of = {}
        for row in self.source.query(
            "SELECT namespace, value FROM {config} WHERE namespace LIKE 'schedule.%%' "
            "AND `key` = 'configuration'"
        ):
            holidays_of[int(row["namespace"].split(".", 1)[1])] = _json(row["value"]).get(
                "holidays", []
            )
        schedules = self.source.rows("schedule", order="id")
        # Business-hours schedules (flag 1) become calendars; holiday schedules feed them.
        business = [s for s in schedules if int(s["flags"]) & 1]
        years = range(self.now.year - 5, self.now.year + 3)

        def read(row):
            intervals = sorted(
                {interval for e in entries[row["id"]] for interval in _intervals(e)}
            )
            days = sorted(
                {
                    day
                    for holiday_schedule in holidays_of.get(row["id"], [])
                    for e in entries.get(int(holiday_schedule), [])
                    for day in _holiday_dates(e, years)
                }
            )
            return {
                "name": str(row["name"])[:100] or f"osTicket schedule {row['id']}",
                "time_zone": self._zone_name(row.get("timezone")),
                "intervals": intervals,
                "holidays": days,
            }

        def write(existing_id, fields):
            return services.calendar_import(existing_id=existing_id, **fields).pk

        self._each(Kind.SCHEDULE, business, read, write)

    def plans(self) -> None:
        def read(row):
            flags = int(row.get("flags") or 0)
            active = row["isactive"] if "isactive" in row else flags & 1
            grace = int(row["grace_period"] or 0)
            return {
                "name": str(row["name"])[:100],
                "description": str(row.get("notes") or "")[:2000],
                "resolution_minutes": grace * 60 or None,
                "calendar_id": self._target(Kind.SCHEDULE, row.get("schedule_id")),
                "is_active": bool(active),
                "escalate_raise_priority": bool(row.get("enable_priority_escalation", flags & 2)),
            }

        self._each(
            Kind.SLA,
            self.source.rows("sla", order="id"),
            read,
            lambda existing_id, fields: services.plan_import(existing_id=existing_id, **fields).pk,
            note=lambda row: str(row["name"]),
        )

    def departments(self) -> None:
        rows = self.source.rows("department", order="id")
        names = {row["id"]: str(row["name"]) for row in rows}

        def read(row):
            name = names[row["id"]]
            if row.get("pid") and row["pid"] in names:  # osTicket's own "Parent / Child"
                name = f"{names[row['pid']]} / {name}"
            flags = int(row.get("flags") or 0)
            return {
                "name": name[:100],
                "default_sla_plan_id": self._target(Kind.SLA, row["sla_id"]),
                # 1.18 keeps "active" in flags (4); older versions have no such flag.
                "is_active": bool(flags & 4) if "flags" in row and flags else True,
            }

        self._each(
            Kind.DEPARTMENT,
            rows,
            read,
            lambda existing_id, fields: (
                services.department_import(existing_id=existing_id, **fields).pk
            ),
            note=lambda row: str(row["name"]),
        )

    def _default_department(self) -> int | None:
        return self._target(Kind.DEPARTMENT, self.config.get("default_dept_id")) or next(
            iter(v for v in self._maps.get(Kind.DEPARTMENT, {}).values() if v), None
        )

    def topics(self) -> None:
        rows = self.source.rows("help_topic", order="topic_id")
        names = {row["topic_id"]: str(row["topic"]) for row in rows}
        priorities = self._priorities()

        def read(row):
            name = names[row["topic_id"]]
            if row.get("topic_pid") and row["topic_pid"] in names:
                name = f"{names[row['topic_pid']]} / {name}"
            department_id = (
                self._target(Kind.DEPARTMENT, row["dept_id"]) or self._default_department()
            )
            if department_id is None:
                raise RowError("no department to put it in")
            active = row["isactive"] if "isactive" in row else int(row.get("flags") or 0) & 2
            return {
                "name": name[:100],
                "department_id": department_id,
                "sla_plan_id": self._target(Kind.SLA, row["sla_id"]),
                "default_priority": priorities.get(row["priority_id"], Priority.NORMAL),
                "is_active": bool(active),
            }

        self._each(
            Kind.TOPIC,
            rows,
            read,
            lambda existing_id, fields: (
                services.topic_import(existing_id=existing_id, **fields).pk
            ),
            note=lambda row: str(row["topic"]),
        )

    def _priorities(self) -> dict[int, int]:
        if not hasattr(self, "_priority_map"):
            self._priority_map = {
                row["priority_id"]: URGENCY.get(int(row["priority_urgency"]), Priority.NORMAL)
                for row in self.source.rows("ticket_priority")
            }
        return self._priority_map

    # -- people -----------------------------------------------------------------------

    def staff(self) -> None:
        access = defaultdict(set)
        for row in self.source.rows("staff_dept_access"):
            access[row["staff_id"]].add(row["dept_id"])
        manages = defaultdict(set)
        for row in self.source.rows("department"):
            if row["manager_id"]:
                manages[row["manager_id"]].add(row["id"])

        def read(row):
            email = (row.get("email") or "").strip()
            if "@" not in email:
                raise RowError("no email address")
            memberships = {}
            for dept in {row["dept_id"], *access[row["staff_id"]]}:  # primary and extended
                ours = self._target(Kind.DEPARTMENT, dept)
                if ours:
                    memberships[str(ours)] = (
                        DepartmentMembership.Role.MANAGER
                        if dept in manages[row["staff_id"]]
                        else DepartmentMembership.Role.AGENT
                    )
            name = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p)
            return {
                "email": email,
                "display_name": name or row["username"],
                "password": _password(row.get("passwd")),
                "is_active": bool(row["isactive"]),
                "is_admin": bool(row["isadmin"]),
                "memberships": memberships,
                "signature": str(row.get("signature") or ""),
                "time_zone": self._zone_name(row.get("timezone")),
            }

        def write(existing_id, fields):
            agent = Agent.objects.filter(pk=existing_id).select_related("user").first()
            user = services.user_import(
                existing_id=agent.user_id if agent else None,
                email=fields["email"],
                display_name=fields["display_name"],
                password=fields["password"],
                is_active=fields["is_active"],
                time_zone=fields["time_zone"],
                is_staff=fields["is_admin"],
            )
            return services.agent_import(
                user=user,
                memberships={int(k): v for k, v in fields["memberships"].items()},
                is_active=fields["is_active"],
                signature=fields["signature"],
            ).pk

        self._each(
            Kind.STAFF,
            self.source.rows("staff", order="staff_id"),
            read,
            write,
            note=lambda row: str(row["username"]),
        )

    def managers(self) -> None:
        from accounts.models import Department

        for row in self.source.rows("department"):
            department_id = self._target(Kind.DEPARTMENT, row["id"])
            agent_id = self._target(Kind.STAFF, row["manager_id"])
            if department_id and agent_id:
                Department.objects.filter(pk=department_id).exclude(manager_id=agent_id).update(
                    manager_id=agent_id
                )

    def _agent_users(self) -> dict[int, int]:
        if not hasattr(self, "_agent_user_map"):
            self._agent_user_map = dict(Agent.objects.values_list("pk", "user_id"))
        return self._agent_user_map

    def users(self) -> None:
        emails = defaultdict(list)
        for row in self.source.rows("user_email", order="id"):
            emails[row["user_id"]].append(row)
        accounts = {row["user_id"]: row for row in self.source.rows("user_account")}
        known = services.mapped(Kind.USER)
        new_rows, new_ids = [], []
        for row in self.source.rows("user", order="id"):
            source_id = int(row["id"])
            addresses = emails.get(row["id"], [])
            default = next((e for e in addresses if e["id"] == row["default_email_id"]), None)
            email = ((default or (addresses[0] if addresses else {})).get("address") or "").strip()
            if "@" not in email:
                self.report.error(Kind.USER, source_id, "no email address")
                continue
            account = accounts.get(row["id"]) or {}
            fields = {
                "email": email,
                "display_name": str(row["name"] or ""),
                "password": _password(account.get("passwd")),
                # osTicket's account status: 2 is "locked" (disabled)
                "is_active": not (int(account.get("status") or 0) & 2),
                "time_zone": self._zone_name(account.get("timezone")),
            }
            fp = services.fingerprint(fields)
            old = known.get(source_id)
            if old is not None and old.fingerprint == fp:
                self.report.add(Kind.USER, "unchanged")
                self._remember(Kind.USER, source_id, old.target_id)
                continue
            existing = old.target_id if old else None
            if existing is None:
                existing = (
                    User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
                )
            if existing is None and email.lower() not in {r["email"].lower() for r in new_rows}:
                new_rows.append(fields)
                new_ids.append((source_id, fp))
                continue
            with transaction.atomic():
                user = services.user_import(existing_id=existing, **fields)
                services.map_record(Kind.USER, source_id, user.pk, fp)
            self._remember(Kind.USER, source_id, user.pk)
            self.report.add(Kind.USER, "updated" if old else "created")
        for start in range(0, len(new_rows), self.batch):
            chunk, ids = new_rows[start : start + self.batch], new_ids[start : start + self.batch]
            with transaction.atomic():
                users = services.users_import_new(chunk)
                services.map_records(
                    Kind.USER, [(sid, u.pk, fp) for (sid, fp), u in zip(ids, users, strict=True)]
                )
            for (sid, _fp), user in zip(ids, users, strict=True):
                self._remember(Kind.USER, sid, user.pk)
            self.report.add(Kind.USER, "created", len(users))

    # -- canned responses and keys ---------------------------------------------------

    def canned(self) -> None:
        def read(row):
            return {
                "title": str(row["title"])[:150],
                "body": html_to_text(str(row["response"] or "")).strip() or "-",
                "department_id": self._target(Kind.DEPARTMENT, row["dept_id"]),
                "is_active": bool(row["isenabled"]),
            }

        self._each(
            Kind.CANNED,
            self.source.rows("canned_response", order="canned_id"),
            read,
            lambda existing_id, fields: (
                services.canned_import(existing_id=existing_id, **fields).pk
            ),
        )

    def _key_agent(self) -> User:
        if self.api_agent:
            user = User.objects.filter(email__iexact=self.api_agent, agent__isnull=False).first()
            if user is None:
                raise RowError(f"--api-agent {self.api_agent!r} is not an agent here")
            return user
        admins = self.source.rows("staff", where="isadmin = 1 AND isactive = 1", order="staff_id")
        for row in admins:
            agent_id = self._target(Kind.STAFF, row["staff_id"])
            if agent_id:
                return User.objects.get(agent__pk=agent_id)
        raise RowError("no agent for the key to act as: pass --api-agent EMAIL")

    def api_keys(self) -> None:
        def read(row):
            scopes = []
            if row.get("can_create_tickets", 1):
                scopes.append(Scope.OSTICKET_TICKETS)
            if row.get("can_exec_cron", 1):
                scopes.append(Scope.OSTICKET_CRON)
            if not scopes:
                raise RowError("the key may do nothing")
            return {
                "key_hash": services.fingerprint(row["apikey"]),  # never the key itself
                "name": f"osTicket key {row['id']}",
                "scopes": [str(s) for s in scopes],
                "networks": [str(row["ipaddr"]).strip()] if str(row["ipaddr"]).strip() else [],
                "revoked": not row["isactive"],
                "row": row["id"],
            }

        plaintexts = {}

        def write(existing_id, fields):
            key = api_key_import(
                plaintext=plaintexts[fields["row"]],
                name=fields["name"],
                user=self._key_agent(),
                scopes=fields["scopes"],
                allowed_networks=fields["networks"],
                revoked=fields["revoked"],
                by=SYSTEM,
            )
            return key.pk

        rows = self.source.rows("api_key", order="id")
        for row in rows:
            plaintexts[row["id"]] = str(row["apikey"])
        try:
            self._each(Kind.API_KEY, rows, read, write)
        finally:
            plaintexts.clear()

    # -- tickets ----------------------------------------------------------------------

    def tickets(self) -> None:
        self.statuses = {row["id"]: row for row in self.source.rows("ticket_status")}
        self.event_names = (
            {row["id"]: row["name"] for row in self.source.rows("event")}
            if self.source.has_table("event")
            else {}
        )
        self.cdata = self.source.has_table("ticket__cdata")
        numbers = [
            int(row["number"])
            for row in self.source.query("SELECT number FROM {ticket}")
            if str(row["number"] or "").isdigit() and len(str(row["number"])) < 18
        ]
        if numbers and not self.dry_run:
            ticket_numbers_reserve_through(max(numbers))
        self._next_number = None
        total, done = self.source.count("ticket"), 0
        for rows in self.source.batches("ticket", "ticket_id", self.batch):
            self._ticket_batch(rows)
            done += len(rows)
            self.progress("tickets", done, total)

    def _ticket_batch(self, rows: list[dict]) -> None:
        ids = [row["ticket_id"] for row in rows]
        known = services.mapped(Kind.TICKET, ids)
        threads, entries, events, collaborators, subjects = self._read_threads(ids)
        entry_ids = [e["id"] for es in entries.values() for e in es]
        event_ids = [e["id"] for es in events.values() for e in es]
        known_entries = services.mapped(Kind.ENTRY, entry_ids or [0])
        known_events = services.mapped(Kind.EVENT, event_ids or [0])
        files = self._files(entry_ids)

        new, renumber = [], []
        for row in rows:
            thread_id = threads.get(row["ticket_id"])
            context = (entries.get(thread_id, []), events.get(thread_id, []), files)
            old = known.get(row["ticket_id"])
            try:
                item = self._ticket(
                    row, subjects.get(row["ticket_id"]), context, collaborators.get(thread_id, [])
                )
            except RowError as exc:
                self.report.error(Kind.TICKET, row["ticket_id"], str(exc))
                continue
            if item is None:
                self.report.add(Kind.TICKET, "skipped")
                continue
            fp = services.fingerprint(_ticket_fields(item))
            if old is None:
                new.append((row, item, fp))
                continue
            self._ticket_delta(row, old, item, fp, known_entries, known_events)
        existing = set(
            Ticket.objects.filter(number__in=[i.number for _r, i, _f in new]).values_list(
                "number", flat=True
            )
        )
        for row, item, _fp in new:
            if item.number in existing or item.number is None:
                item.number = self._fresh_number()
                renumber.append((row["ticket_id"], row["number"], item.number))
        for source_id, old_number, number in renumber:
            self.report.warnings.append(
                f"ticket {source_id}: number {old_number!r} is taken or not a number here; "
                f"it is #{number}"
            )
        self._write_new(new)

    def _read_threads(self, ids: list[int]):
        """The batch's threads, entries, events, collaborators and subjects."""
        threads = {
            row["object_id"]: row["id"]
            for row in self.source.query(
                "SELECT id, object_id FROM {thread} WHERE object_type = 'T' AND object_id IN %s",
                [ids],
            )
        }
        thread_ids = list(threads.values()) or [0]
        entries = defaultdict(list)
        for entry in self.source.query(
            "SELECT * FROM {thread_entry} WHERE thread_id IN %s ORDER BY created, id", [thread_ids]
        ):
            entries[entry["thread_id"]].append(entry)
        events = defaultdict(list)
        for event in self.source.query(
            "SELECT * FROM {thread_event} WHERE thread_id IN %s ORDER BY timestamp, id",
            [thread_ids],
        ):
            events[event["thread_id"]].append(event)
        collaborators = defaultdict(list)
        for row in self.source.query(
            "SELECT * FROM {thread_collaborator} WHERE thread_id IN %s", [thread_ids]
        ):
            active = row["isactive"] if "isactive" in row else int(row.get("flags") or 1) & 1
            if active:
                collaborators[row["thread_id"]].append(row["user_id"])
        subjects = {}
        if self.cdata:
            subjects = {
                row["ticket_id"]: row
                for row in self.source.query(
                    "SELECT * FROM {ticket__cdata} WHERE ticket_id IN %s", [ids]
                )
            }
        return threads, entries, events, collaborators, subjects

    def _fresh_number(self) -> int:
        if not self.dry_run:
            return next_ticket_number()
        # A dry run must not move the sequence (it is not rolled back).
        if self._next_number is None:
            self._next_number = (
                Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 1000
            ) + 1_000_000
        self._next_number += 1
        return self._next_number

    def _write_new(self, new) -> None:
        if not new:
            return
        try:
            self._write(new)
        except Exception:
            logger.info("osTicket import: a batch failed; its tickets one by one")
            for one in new:
                try:
                    self._write([one])
                except Exception as exc:
                    row = one[0]
                    self.report.error(
                        Kind.TICKET, row["ticket_id"], f"{exc.__class__.__name__}: {exc}"[:300]
                    )

    def _write(self, new) -> None:
        with files_removed_on_error() as written, transaction.atomic():
            imported = ticket_services.tickets_import(
                tickets=[item for _r, item, _f in new],
                by=SYSTEM,
                written=written,
                store_files=not self.dry_run,
                now=self.now,
            )
            services.map_records(
                Kind.TICKET,
                [
                    (row["ticket_id"], imported.tickets[row["ticket_id"]], fp)
                    for row, _i, fp in new
                ],
            )
            services.map_records(Kind.ENTRY, [(k, v, "") for k, v in imported.entries.items()])
            services.map_records(Kind.EVENT, [(k, v, "") for k, v in imported.events.items()])
        self.report.add(Kind.TICKET, "created", len(new))
        self.report.add(Kind.ENTRY, "created", len(imported.entries))
        self.report.add(Kind.EVENT, "created", len(imported.events))
        self.report.add("attachment", "created", imported.files)

    def _ticket_delta(self, row, old, item, fp, known_entries, known_events) -> None:
        entries = [e for e in item.entries if e.key not in known_entries]
        events = [e for e in item.events if e.key not in known_events]
        ticket = Ticket.objects.filter(pk=old.target_id).first()
        if ticket is None:
            self.report.error(Kind.TICKET, row["ticket_id"], "imported before, since deleted here")
            return
        if not entries and not events and old.fingerprint == fp:
            self.report.add(Kind.TICKET, "unchanged")
            return
        try:
            with files_removed_on_error() as written, transaction.atomic():
                imported = ticket_services.ticket_import_more(
                    ticket=ticket,
                    entries=entries,
                    events=events,
                    by=SYSTEM,
                    written=written,
                    store_files=not self.dry_run,
                )
                changed = ticket_services.ticket_import_update(
                    ticket=ticket, by=SYSTEM, **_ticket_fields(item, our=True)
                )
                services.map_records(Kind.ENTRY, [(k, v, "") for k, v in imported.entries.items()])
                services.map_records(Kind.EVENT, [(k, v, "") for k, v in imported.events.items()])
                services.map_record(Kind.TICKET, row["ticket_id"], ticket.pk, fp)
        except Exception as exc:
            self.report.error(
                Kind.TICKET, row["ticket_id"], f"{exc.__class__.__name__}: {exc}"[:300]
            )
            return
        self.report.add(Kind.TICKET, "updated" if changed or entries or events else "unchanged")
        self.report.add(Kind.ENTRY, "created", len(imported.entries))
        self.report.add(Kind.EVENT, "created", len(imported.events))
        self.report.add("attachment", "created", imported.files)

    def _files(self, entry_ids: list[int]) -> dict[int, list[tuple[dict, dict]]]:
        if not entry_ids:
            return {}
        by_entry = defaultdict(list)
        for row in self.source.query(
            "SELECT a.object_id, a.inline, f.* FROM {attachment} a JOIN {file} f "
            "ON f.id = a.file_id WHERE a.type = 'H' AND a.object_id IN %s ORDER BY a.id",
            [entry_ids],
        ):
            by_entry[row["object_id"]].append(row)
        return by_entry

    def _ticket(self, row, cdata, context, collaborator_ids):
        entries, events, files = context
        status_row = self.statuses.get(row["status_id"])
        state = (status_row or {}).get("state") or "open"
        if state == "deleted":
            return None
        status = _status(state, (status_row or {}).get("name", ""))
        requester = self._target(Kind.USER, row["user_id"])
        if requester is None:
            raise RowError(f"its user {row['user_id']} was not imported")
        department = self._target(Kind.DEPARTMENT, row["dept_id"]) or self._default_department()
        if department is None:
            raise RowError("no department")
        topic = self._target(Kind.TOPIC, row["topic_id"])
        agent = self._target(Kind.STAFF, row["staff_id"])
        created = self.source.aware(row["created"]) or self.now
        closed = self.source.aware(row["closed"])
        number = str(row["number"] or "")
        subject = (
            str((cdata or {}).get("subject") or "").strip()
            or next((str(e["title"]) for e in entries if e.get("title")), "")
            or "(no subject)"
        )
        priority = None
        if cdata and str(cdata.get("priority") or "").isdigit():
            priority = self._priorities().get(int(cdata["priority"]))
        thread = [self._entry(e, files.get(e["id"], []), requester) for e in entries]
        return ticket_services.TicketImport(
            key=row["ticket_id"],
            number=int(number) if number.isdigit() and len(number) < 18 else None,
            subject=subject[:255],
            requester_id=requester,
            department_id=department,
            help_topic_id=topic,
            priority=priority or Priority.NORMAL,
            status=status,
            assignee_id=agent,
            sla_plan_id=self._target(Kind.SLA, row["sla_id"]),
            source=SOURCES.get(str(row["source"]).lower(), Source.AGENT),
            created_at=created,
            updated_at=self.source.aware(row["updated"]) or created,
            resolved_at=closed if status == Status.RESOLVED else None,
            closed_at=closed if status == Status.CLOSED else None,
            entries=[e for e in thread if e is not None],
            events=[e for e in (self._event(e) for e in events) if e is not None],
            collaborator_ids=[
                u for u in (self._target(Kind.USER, c) for c in collaborator_ids) if u
            ],
        )

    def _entry(self, row, files, requester):
        kind = ENTRY_KINDS.get(row["type"])
        if kind is None:
            return None
        if kind == EntryKind.MESSAGE:
            author = self._target(Kind.USER, row["user_id"]) or requester
        else:
            agent = self._target(Kind.STAFF, row["staff_id"])
            author = self._agent_users().get(agent) if agent else None
        source_body = str(row["body"] or "")
        if row.get("format") == "html":
            html, text = sanitize_html(source_body), html_to_text(source_body).strip()
        else:
            html, text = "", source_body
        uploads, missing = [], []
        for file_row in files:
            content = self.source.file_content(file_row)
            if content is None:
                missing.append(NOT_ATTACHED.format(id=file_row["id"], name=file_row["name"]))
                self.report.warnings.append(
                    f"entry {row['id']}: file {file_row['id']} could not be read"
                )
                continue
            uploads.append(
                ticket_services.FileImport(
                    filename=str(file_row["name"]),
                    content=content,
                    content_id=str(file_row["key"]) if file_row.get("inline") else "",
                )
            )
        if missing:
            text = "\n".join([text, *missing]).strip()
        return ticket_services.EntryImport(
            key=row["id"],
            kind=kind,
            body=text or "-",
            body_html=html,
            author_id=author,
            source=SOURCES.get(str(row.get("source") or "").lower(), Source.WEB),
            created_at=self.source.aware(row["created"]) or self.now,
            files=uploads,
        )

    def _event(self, row):
        name = self.event_names.get(row.get("event_id")) if "event_id" in row else row.get("state")
        agent = self._target(Kind.STAFF, row["staff_id"])
        at = self.source.aware(row["timestamp"]) or self.now
        actor = None
        if row.get("uid_type") == "S":
            staff_agent = self._target(Kind.STAFF, row.get("uid"))
            actor = self._agent_users().get(staff_agent) if staff_agent else None
        data = {"via": VIA}
        if name == "created":
            kind, data["to"] = EventKind.CREATED, status_ref(Status.OPEN)
        elif name == "closed":
            kind = EventKind.STATUS_CHANGED
            data.update({"from": status_ref(Status.OPEN), "to": status_ref(Status.CLOSED)})
        elif name == "reopened":
            kind = EventKind.REOPENED
            data.update({"from": status_ref(Status.CLOSED), "to": status_ref(Status.OPEN)})
        elif name in ("assigned", "released"):
            kind = EventKind.ASSIGNED
            to = (
                Agent.objects.filter(pk=agent).select_related("user").first()
                if agent and name == "assigned"
                else None
            )
            data.update({"from": None, "to": ref(to)})
        elif name == "transferred":
            from accounts.models import Department

            department = Department.objects.filter(
                pk=self._target(Kind.DEPARTMENT, row["dept_id"])
            ).first()
            if department is None:
                return None
            kind = EventKind.TRANSFERRED
            data.update({"from": None, "to": ref(department)})
        else:
            return None  # viewed, edited, overdue, login...: nothing we keep
        return ticket_services.EventImport(
            key=row["id"], kind=kind, created_at=at, data=data, actor_id=actor
        )

    # -- the osTicket API's ids --------------------------------------------------------

    def api_mappings(self) -> None:
        """So that scripts sending osTicket's topicId, deptId... keep meaning the same."""
        kinds = {
            OsTicketMapping.Kind.TOPIC: Kind.TOPIC,
            OsTicketMapping.Kind.DEPARTMENT: Kind.DEPARTMENT,
            OsTicketMapping.Kind.SLA: Kind.SLA,
            OsTicketMapping.Kind.STAFF: Kind.STAFF,
        }
        for api_kind, kind in kinds.items():
            for source_id, target in services.mapped(kind).items():
                if target.target_id:
                    OsTicketMapping.objects.update_or_create(
                        kind=api_kind,
                        osticket_id=source_id,
                        defaults={"our_id": str(target.target_id)},
                    )
        for row in self.statuses.values() if hasattr(self, "statuses") else ():
            if row.get("state") in ("open", "closed", "archived"):
                OsTicketMapping.objects.update_or_create(
                    kind=OsTicketMapping.Kind.STATUS,
                    osticket_id=row["id"],
                    defaults={
                        "our_id": _status(row["state"], row["name"]),
                        "note": str(row["name"])[:200],
                    },
                )
        for priority_id, value in self._priorities().items():
            OsTicketMapping.objects.update_or_create(
                kind=OsTicketMapping.Kind.PRIORITY,
                osticket_id=priority_id,
                defaults={"our_id": str(value)},
            )


def _id_column(kind: str) -> str:
    return {
        Kind.TOPIC: "topic_id",
        Kind.STAFF: "staff_id",
        Kind.CANNED: "canned_id",
        Kind.FAQ_CATEGORY: "category_id",
        Kind.FAQ: "faq_id",
    }.get(kind, "id")


def _status(state: str, name: str) -> str:
    if state == "open":
        return Status.OPEN
    if state == "closed" and str(name).strip().lower() == "resolved":
        return Status.RESOLVED
    return Status.CLOSED  # closed, archived


def _password(value) -> str | None:
    value = str(value or "")
    return f"osticket_bcrypt${value}" if is_osticket_bcrypt(value) else None


def _ticket_fields(item, *, our: bool = False) -> dict:
    fields = {
        "status": item.status,
        "priority": item.priority,
        "assignee_id": item.assignee_id,
        "department_id": item.department_id,
        "help_topic_id": item.help_topic_id,
        "sla_plan_id": item.sla_plan_id,
        "subject": item.subject,
        "updated_at": item.updated_at,
        "resolved_at": item.resolved_at,
        "closed_at": item.closed_at,
    }
    if not our:
        fields["number"] = item.number
    return fields


def _json(value) -> dict:
    import json

    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _time(value) -> datetime.time | None:
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        return datetime.time(min(seconds // 3600, 23), (seconds % 3600) // 60)
    return value if isinstance(value, datetime.time) else None


def _intervals(entry) -> list[tuple[int, datetime.time, datetime.time]]:
    start, end = _time(entry["starts_at"]), _time(entry["ends_at"])
    if start is None or end is None:
        return []
    if end >= datetime.time(23, 59):
        end = datetime.time(0)  # midnight at the end of the day
    if end != datetime.time(0) and end <= start:
        return []
    repeats = entry["repeats"]
    if repeats == "daily":
        days = range(7)
    elif repeats == "weekdays":
        days = range(5)
    elif repeats == "weekends":
        days = (5, 6)
    elif repeats == "weekly" and entry["day"]:
        days = [(int(entry["day"]) - 1) % 7]  # osTicket: 1 is Monday
    else:
        return []
    return [(day, start, end) for day in days]


def _holiday_dates(entry, years) -> list[tuple[datetime.date, str]]:
    name = str(entry["name"])
    if entry["repeats"] == "never":
        day = entry["starts_on"]
        return [(day, name)] if isinstance(day, datetime.date) else []
    if entry["repeats"] != "yearly" or not entry["month"]:
        return []
    out = []
    for year in years:
        day = _nth_day(year, int(entry["month"]), entry["day"], entry["week"])
        if day is not None:
            out.append((day, name))
    return out


def _nth_day(year, month, day, week) -> datetime.date | None:
    if not day:
        return None
    if not week:  # a fixed date: Christmas is month 12, day 25
        try:
            return datetime.date(year, month, int(day))
        except ValueError:
            return None
    weekday = (int(day) - 1) % 7  # the week's day: 1 Monday ... 7 Sunday
    first = datetime.date(year, month, 1)
    days = [
        first + datetime.timedelta(d)
        for d in range(31)
        if (first + datetime.timedelta(d)).month == month
        and (first + datetime.timedelta(d)).weekday() == weekday
    ]
    index = int(week) - 1 if int(week) > 0 else int(week)
    try:
        return days[index]
    except IndexError:
        return None
