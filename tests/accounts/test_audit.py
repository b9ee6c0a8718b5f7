"""accounts.audit: recording, the CSV export (formula-safe), pruning by beat."""

import csv
import datetime
import io

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory
from django.utils import timezone

from accounts.audit import (
    AuditKind,
    audit_csv_rows,
    audit_prune,
    audit_record,
    csv_safe,
    login_method,
)
from accounts.models import AuditEntry, DepartmentMembership
from accounts.services import agent_create, agent_set_role
from accounts.tasks import prune_audit_log
from tests.support.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = DepartmentMembership.Role


def a_request(user=None, **meta):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", **meta)
    if user is not None:
        request.user = user
    return request


class TestAuditRecord:
    def test_records_actor_address_agent_target_and_data(self):
        admin = UserFactory(email="kevin@example.com")
        target = UserFactory(display_name="Jim")

        entry = audit_record(
            kind=AuditKind.PASSWORD_CHANGED,
            actor=admin,
            request=a_request(HTTP_USER_AGENT="Firefox" + "x" * 400),
            target=target,
            data={"sessions_ended": 2},
        )

        entry.refresh_from_db()
        assert entry.kind == "password_changed"
        assert (entry.actor, entry.actor_label) == (admin, "kevin@example.com")
        assert entry.ip_address == "203.0.113.7"
        assert entry.user_agent.startswith("Firefox") and len(entry.user_agent) == 255
        assert (entry.target_type, entry.target_id, entry.target_label) == (
            "accounts.user",
            str(target.pk),
            "Jim",
        )
        assert entry.data == {"sessions_ended": 2}
        assert entry.created_at.tzinfo is not None

    def test_without_an_actor_the_requests_user_acts(self):
        user = UserFactory()

        entry = audit_record(kind="logout", request=a_request(user))

        assert entry.actor == user

    def test_nobody_and_nothing(self):
        entry = audit_record(kind=AuditKind.LOGIN_FAILED)

        assert entry.actor is None and entry.actor_label == ""
        assert entry.ip_address is None and entry.target_type == ""

    def test_a_forwarded_address_that_is_no_address_is_not_stored(self, settings):
        settings.NUM_PROXIES = 1

        entry = audit_record(
            kind=AuditKind.LOGIN_FAILED, request=a_request(HTTP_X_FORWARDED_FOR="<script>")
        )

        assert entry.ip_address is None

    def test_an_unknown_kind_is_refused(self):
        with pytest.raises(ValueError):
            audit_record(kind="made_up")

    @pytest.mark.parametrize(
        ("backend", "method"),
        [
            ("django.contrib.auth.backends.ModelBackend", "password"),
            ("django_auth_ldap.backend.LDAPBackend", "ldap"),
            ("mozilla_django_oidc.auth.OIDCAuthenticationBackend", "oidc"),
            ("", "password"),
        ],
    )
    def test_the_login_method_comes_from_the_backend_path(self, backend, method):
        assert login_method(backend) == method


class TestMembershipServices:
    def test_agent_create_and_role_changes_are_recorded(self):
        it = DepartmentFactory(name="IT")
        admin = UserFactory()
        ryan = UserFactory(display_name="Ryan")

        agent = agent_create(user=ryan, departments={it: "agent"}, by=admin)
        agent_set_role(agent=agent, department=it, role=Role.MANAGER, by=admin)

        kinds = list(AuditEntry.objects.order_by("id").values_list("kind", flat=True))
        assert kinds == ["agent_created", "membership_added", "membership_role_changed"]
        changed = AuditEntry.objects.get(kind="membership_role_changed")
        assert changed.actor == admin and changed.target_label == "Ryan"
        assert changed.data["department"] == {"id": it.pk, "label": "IT"}
        assert (changed.data["role"], changed.data["previous_role"]) == ("manager", "agent")

    def test_setting_the_same_role_again_records_nothing(self):
        it = DepartmentFactory(name="IT")
        agent = agent_create(user=UserFactory(), departments={it: "agent"})
        before = AuditEntry.objects.count()

        agent_set_role(agent=agent, department=it, role="agent")

        assert AuditEntry.objects.count() == before


class TestCsv:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("plain", "plain"),
            (None, ""),
        ],
    )
    def test_cells_that_a_spreadsheet_would_run_are_quoted(self, value, expected):
        assert csv_safe(value) == expected

    def test_export_has_a_header_and_one_safe_row_per_entry(self):
        attacker = UserFactory(email="mallory@example.com")
        audit_record(
            kind=AuditKind.LOGIN_FAILED,
            request=a_request(HTTP_USER_AGENT="=cmd|' /C calc'!A0"),
            data={"email": "=1+1@example.com"},
        )
        audit_record(kind=AuditKind.LOGOUT, actor=attacker, target=attacker)

        rows = list(csv.reader(io.StringIO("".join(audit_csv_rows(AuditEntry.objects.all())))))

        assert rows[0][:3] == ["time (UTC)", "kind", "actor"]
        failed, logout = rows[1:]
        assert failed[1] == "login_failed" and failed[4] == "'=cmd|' /C calc'!A0"
        assert '"email": "=1+1@example.com"' in failed[8]
        assert logout[2] == "mallory@example.com" and logout[0].endswith("+00:00")


class TestPrune:
    def test_entries_older_than_the_retention_are_deleted(self, settings):
        settings.AUDIT_RETENTION_DAYS = 30
        now = timezone.now()
        with time_machine.travel(now - datetime.timedelta(days=31)):
            old = audit_record(kind=AuditKind.LOGOUT)
        with time_machine.travel(now - datetime.timedelta(days=29)):
            recent = audit_record(kind=AuditKind.LOGOUT)

        assert prune_audit_log() == 1

        assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]
        assert not AuditEntry.objects.filter(pk=old.pk).exists()
        assert audit_prune() == 0

    def test_beat_prunes_daily_with_the_default_of_a_year(self):
        entry = settings.CELERY_BEAT_SCHEDULE["prune-audit-log"]
        assert entry == {"task": "accounts.prune_audit_log", "schedule": 24 * 60 * 60.0}
        assert settings.AUDIT_RETENTION_DAYS == 365
