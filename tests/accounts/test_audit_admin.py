"""The audit log in the admin: read only, filtered, exported; and what the admin records
of changes to users, roles, departments, SLA plans, calendars, help topics and mailboxes."""

import csv
import datetime
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.audit import AuditKind, audit_record
from accounts.models import Agent, AuditEntry, Department, DepartmentMembership, User
from mail.models import Mailbox
from sla.models import BusinessCalendar, SLAPlan
from tests.mail.test_admin import mailbox_form
from tests.sla.test_admin import calendar_data, plan_data
from tests.support.admin_helpers import admin_url, form_errors, inline_data
from tests.support.factories import AgentFactory, DepartmentFactory, UserFactory
from tickets.models import HelpTopic

pytestmark = pytest.mark.django_db


def only(kind, **filters) -> AuditEntry:
    [entry] = AuditEntry.objects.filter(kind=kind, **filters)
    return entry


def everything_stored() -> str:
    return json.dumps(list(AuditEntry.objects.values()), default=str)


class TestReadOnly:
    def test_entries_are_listed_and_shown_but_never_added_changed_or_deleted(self, admin_client):
        entry = audit_record(kind=AuditKind.LOGOUT, actor=UserFactory(email="jim@example.com"))

        assert admin_client.get(admin_url(AuditEntry, "changelist")).status_code == 200
        page = admin_client.get(admin_url(AuditEntry, "change", entry.pk))
        assert page.status_code == 200 and b"jim@example.com" in page.content
        assert b'name="_save"' not in page.content
        assert admin_client.get(admin_url(AuditEntry, "add")).status_code == 403
        assert admin_client.get(admin_url(AuditEntry, "delete", entry.pk)).status_code == 403
        admin_client.post(admin_url(AuditEntry, "change", entry.pk), {"kind": "login_failed"})
        entry.refresh_from_db()
        assert entry.kind == "logout"

    def test_filters_by_kind_actor_and_date(self, admin_client):
        jim, pam = UserFactory(), UserFactory()
        jims = audit_record(kind=AuditKind.LOGOUT, actor=jim)
        audit_record(kind=AuditKind.LOGIN_FAILED)
        audit_record(kind=AuditKind.LOGOUT, actor=pam)
        url = admin_url(AuditEntry, "changelist")

        def listed(params):
            response = admin_client.get(url, params)
            assert response.status_code == 200 and "e=1" not in response.get("Location", "")
            return {e.pk for e in response.context["cl"].result_list}

        assert len(listed({"kind__exact": "logout"})) == 2
        assert listed({"kind__exact": "logout", "actor__id__exact": jim.pk}) == {jims.pk}
        midnight = jims.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        assert len(listed({"created_at__gte": midnight.isoformat()})) == AuditEntry.objects.count()
        tomorrow = midnight + datetime.timedelta(days=1)
        assert listed({"created_at__gte": tomorrow.isoformat()}) == set()

    def test_an_agent_without_the_view_permission_cannot_read_it(self):
        staff = UserFactory(is_staff=True)
        client = Client()
        client.force_login(staff)

        assert client.get(admin_url(AuditEntry, "changelist")).status_code == 403

    def test_the_export_action_sends_formula_safe_csv(self, admin_client):
        audit_record(kind=AuditKind.LOGIN_FAILED, data={"email": "=evil()@example.com"})
        audit_record(kind=AuditKind.LOGOUT, actor=UserFactory(email="-jim@example.com"))
        ids = list(AuditEntry.objects.values_list("pk", flat=True))

        response = admin_client.post(
            admin_url(AuditEntry, "changelist"),
            {"action": "export_csv", "_selected_action": ids},
        )

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        by_kind = {row[1]: row for row in rows[1:]}
        assert by_kind["logout"][2] == "'-jim@example.com"
        assert "login_failed" in by_kind and len(rows) == 1 + len(ids)


class TestAdminChangesAreRecorded:
    def test_an_sla_plan_added_changed_and_deleted(self, admin_client, admin_user):
        response = admin_client.post(admin_url(SLAPlan, "add"), plan_data())
        assert response.status_code == 302, form_errors(response)
        plan = SLAPlan.objects.get(name="Critical")
        added = only("admin_added")
        assert (added.actor, added.target_type, added.target_id) == (
            admin_user,
            "sla.slaplan",
            str(plan.pk),
        )

        admin_client.post(
            admin_url(SLAPlan, "change", plan.pk),
            plan_data(resolution_minutes="480", description="Faster"),
        )
        changed = only("admin_changed")
        assert changed.data["model"] == "sla.slaplan"
        assert sorted(changed.data["fields"]) == ["description", "resolution_minutes"]

        admin_client.post(admin_url(SLAPlan, "delete", plan.pk), {"post": "yes"})
        deleted = only("admin_deleted")
        assert (deleted.target_label, deleted.target_id) == ("Critical", str(plan.pk))

    def test_a_business_calendar_and_its_hours(self, admin_client):
        response = admin_client.post(
            admin_url(BusinessCalendar, "add"),
            calendar_data(intervals=[{"weekday": 0, "start": "09:00", "end": "17:00"}]),
        )
        assert response.status_code == 302, form_errors(response)

        entry = only("admin_added")
        assert entry.target_type == "sla.businesscalendar"
        assert entry.data["related"][0]["added"]["name"] == "working interval"

    def test_a_help_topic(self, admin_client, desk):
        topic = desk.topic
        response = admin_client.post(
            admin_url(HelpTopic, "change", topic.pk),
            {
                "name": "Printers",
                "department": topic.department_id,
                "default_priority": topic.default_priority,
                "is_active": "on",
                # The topic's custom fields inline (none).
                "topic_fields-TOTAL_FORMS": "0",
                "topic_fields-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, form_errors(response)

        entry = only("admin_changed")
        assert entry.target_type == "tickets.helptopic" and "name" in entry.data["fields"]

    def test_a_mailbox_password_is_named_when_it_changes_and_never_stored(
        self, admin_client, desk
    ):
        admin_client.post(admin_url(Mailbox, "add"), mailbox_form(desk))
        mailbox = Mailbox.objects.get()
        assert "imap_password" in only("admin_added").data["fields"]

        admin_client.post(
            admin_url(Mailbox, "change", mailbox.pk),
            mailbox_form(desk, imap_password="", imap_port="143"),
        )
        kept = AuditEntry.objects.filter(kind="admin_changed").get()
        assert "imap_port" in kept.data["fields"] and "imap_password" not in kept.data["fields"]
        admin_client.post(
            admin_url(Mailbox, "change", mailbox.pk),
            mailbox_form(desk, imap_password="n3w-one", imap_port="143"),
        )
        changed = AuditEntry.objects.filter(kind="admin_changed").latest("id")
        assert (
            "imap_password" in changed.data["fields"] and "imap_port" not in changed.data["fields"]
        )
        assert "s3cret-imap" not in everything_stored()
        assert "n3w-one" not in everything_stored()

    def test_a_user_added_with_a_password_that_is_never_stored(self, admin_client):
        password = "an unguessable passphrase 42"
        response = admin_client.post(
            admin_url(User, "add"),
            {
                "email": "pam@example.com",
                "display_name": "Pam",
                "usable_password": "true",
                "password1": password,
                "password2": password,
            },
        )
        assert response.status_code == 302, form_errors(response)

        entry = only("admin_added")
        assert entry.target_label == "Pam" and "password" in entry.data["fields"]
        assert password not in everything_stored()

    def test_a_password_set_by_an_admin_ends_the_users_sessions(self, admin_client):
        pam = UserFactory(email="pam@example.com")
        phone = Client()
        phone.force_login(pam)
        password = "an unguessable passphrase 42"

        response = admin_client.post(
            reverse("admin:auth_user_password_change", args=[pam.pk]),
            {"usable_password": "true", "password1": password, "password2": password},
        )

        assert response.status_code == 302, form_errors(response)
        entry = only("password_changed")
        assert entry.target_id == str(pam.pk) and entry.data == {"sessions_ended": 1}
        assert phone.get("/accounts/profile/").status_code == 302
        assert password not in everything_stored()

    def test_a_superuser_flag_given_in_the_admin_is_named(self, admin_client):
        user = UserFactory(email="ryan@example.com")

        admin_client.post(
            admin_url(User, "change", user.pk),
            {
                "email": "ryan@example.com",
                "display_name": user.display_name,
                "time_zone": "UTC",
                "is_active": "on",
                "is_staff": "on",
                "is_superuser": "on",
                "date_joined_0": "2025-06-13",
                "date_joined_1": "09:00:00",
                "initial-date_joined_0": "2025-06-13",
                "initial-date_joined_1": "09:00:00",
            },
        )

        entry = only("admin_changed")
        assert {"is_staff", "is_superuser"} <= set(entry.data["fields"])


class TestMembershipsInTheAdmin:
    def test_joining_changing_role_and_leaving_through_the_agent_page(self, admin_client):
        it, sales = DepartmentFactory(name="IT"), DepartmentFactory(name="Sales")
        ryan = AgentFactory(user__display_name="Ryan", departments=[it])
        membership = DepartmentMembership.objects.get(agent=ryan)
        url = admin_url(Agent, "change", ryan.pk)
        base = {"user": ryan.user_id, "signature": "", "is_active": "on"}

        response = admin_client.post(
            url,
            {
                **base,
                **inline_data(
                    "memberships",
                    [
                        {
                            "id": membership.pk,
                            "agent": ryan.pk,
                            "department": it.pk,
                            "role": "manager",
                        },
                        {"agent": ryan.pk, "department": sales.pk, "role": "agent"},
                    ],
                    initial=1,
                ),
            },
        )
        assert response.status_code == 302, form_errors(response)
        role = only("membership_role_changed")
        assert (role.data["role"], role.data["previous_role"]) == ("manager", "agent")
        assert role.target_label == "Ryan"
        assert only("membership_added").data["department"]["label"] == "Sales"

        sales_membership = DepartmentMembership.objects.get(agent=ryan, department=sales)
        admin_client.post(
            url,
            {
                **base,
                **inline_data(
                    "memberships",
                    [
                        {
                            "id": membership.pk,
                            "agent": ryan.pk,
                            "department": it.pk,
                            "role": "manager",
                        },
                        {
                            "id": sales_membership.pk,
                            "agent": ryan.pk,
                            "department": sales.pk,
                            "role": "agent",
                            "DELETE": "on",
                        },
                    ],
                    initial=2,
                ),
            },
        )
        removed = only("membership_removed")
        assert removed.data["department"] == {"id": sales.pk, "label": "Sales"}
        assert not DepartmentMembership.objects.filter(pk=sales_membership.pk).exists()

    def test_an_agent_added_to_a_department_from_its_page(self, admin_client):
        ryan = AgentFactory(user__display_name="Ryan")

        response = admin_client.post(
            admin_url(Department, "add"),
            {
                "name": "IT",
                "email": "",
                "auto_assignment": "off",
                "is_active": "on",
                **inline_data("memberships", [{"agent": ryan.pk, "role": "agent"}]),
            },
        )

        assert response.status_code == 302, form_errors(response)
        assert only("membership_added").target_label == "Ryan"
        assert only("admin_added").target_type == "accounts.department"
