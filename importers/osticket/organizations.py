"""osTicket's organizations, and which one each user is in (decision 0047).

`ost_organization` (name, its email domains as one comma-separated text) and, when osTicket
built it, `ost_organization__cdata` (the organization form's address, phone, website and
notes) become our organizations; `ost_user.org_id` puts the imported requester in it.
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.db import transaction

from accounts.models import Organization
from accounts.services import users_set_organization
from importers import services
from importers.models import ImportedObject
from importers.osticket.rows import RowError
from mail.parsing import html_to_text

Kind = ImportedObject.Kind
DOMAIN_SPLIT_RE = re.compile(r"[,;]+")
CONTACT_LABELS = (("address", "Address"), ("phone", "Phone"), ("website", "Website"))


class OrganizationSteps:
    def organizations(self) -> None:
        if not self.source.has_table("organization"):
            return
        cdata = {}
        if self.source.has_table("organization__cdata"):
            cdata = {row["org_id"]: row for row in self.source.rows("organization__cdata")}

        def read(row):
            name = " ".join(str(row["name"] or "").split())[:128]
            if not name:
                raise RowError("no name")
            extra = cdata.get(row["id"]) or {}
            lines = [
                f"{label}: {' '.join(str(extra[key]).split())}"
                for key, label in CONTACT_LABELS
                if str(extra.get(key) or "").strip()
            ]
            notes = html_to_text(str(extra.get("notes") or "")).strip()
            domains = {
                part.strip().lower().removeprefix("@")
                for part in DOMAIN_SPLIT_RE.split(str(row["domain"] or ""))
            }
            return {
                "id": row["id"],
                "name": name,
                "domains": sorted(d for d in domains if d),
                "notes": "\n\n".join(p for p in ("\n".join(lines), notes) if p)[:5000],
            }

        def write(existing_id, fields):
            organization, problems = services.organization_import(
                existing_id=existing_id,
                name=fields["name"],
                domains=fields["domains"],
                notes=fields["notes"],
            )
            for problem in problems:
                self.report.warnings.append(f"organization {fields['id']}: {problem}")
            return organization.pk

        self._each(
            Kind.ORGANIZATION,
            self.source.rows("organization", order="id"),
            read,
            write,
            note=lambda row: str(row["name"]),
        )

    def user_organizations(self) -> None:
        """Each imported user into their osTicket organization. Mapped by the osTicket
        value, so a re-run moves only people whose organization changed there: someone an
        admin moved here afterwards stays where the admin put them."""
        if not self.source.has_table("organization"):
            return
        known = services.mapped(Kind.USER_ORG)
        moves = defaultdict(list)  # our organization id (or None) -> [(source, user, fp)]
        for row in self.source.query("SELECT id, org_id FROM {user} ORDER BY id"):
            user_id = self._target(Kind.USER, row["id"])
            if user_id is None:
                continue
            org_source = int(row["org_id"] or 0)
            fp = str(org_source)
            old = known.get(int(row["id"]))
            if old is not None and old.fingerprint == fp:
                self.report.add(Kind.USER_ORG, "unchanged")
                continue
            if old is None and not org_source:
                continue  # in no organization there: nothing to do here
            organization_id = self._target(Kind.ORGANIZATION, org_source) if org_source else None
            if org_source and organization_id is None:
                self.report.warnings.append(
                    f"user {row['id']}: organization {org_source} was not imported"
                )
                continue
            moves[organization_id].append((int(row["id"]), user_id, fp, old is not None))
        for organization_id, rows in moves.items():
            self._move_users(organization_id, rows)

    def _move_users(self, organization_id: int | None, rows: list[tuple]) -> None:
        """These users (source id, our id, fingerprint, mapped before) into one
        organization (or none), and mapped, in one transaction."""
        organization = (
            Organization.objects.filter(pk=organization_id).first() if organization_id else None
        )
        if organization_id and organization is None:
            for source_id, *_rest in rows:
                self.report.error(Kind.USER_ORG, source_id, "its organization was deleted here")
            return
        try:
            with transaction.atomic():
                users_set_organization(
                    user_ids=[user_id for _s, user_id, _f, _o in rows],
                    organization=organization,
                )
                services.map_records(
                    Kind.USER_ORG, [(sid, uid, fp) for sid, uid, fp, mapped in rows if not mapped]
                )
                for source_id, user_id, fp, mapped in rows:
                    if mapped:
                        services.map_record(Kind.USER_ORG, source_id, user_id, fp)
        except Exception as exc:  # one organization's people never stop the import
            for source_id, *_rest in rows:
                self.report.error(
                    Kind.USER_ORG, source_id, f"{exc.__class__.__name__}: {exc}"[:300]
                )
            return
        for *_rest, was_mapped in rows:
            self.report.add(Kind.USER_ORG, "updated" if was_mapped else "created")
