"""python manage.py load_demo: the seed story, loaded idempotently and only on request."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Agent, Department, Organization, User
from reports.figures import ReportFilters, period_of, report_dashboard
from sla.models import BusinessCalendar, SLAPlan
from tests.support.admin_helpers import admin_url
from tests.support.factories import SLAPlanFactory, UserFactory
from tickets.demo import HISTORY_REQUESTERS
from tickets.events import event_values
from tickets.models import (
    CannedResponse,
    EntryKind,
    EventKind,
    HelpTopic,
    Notification,
    SatisfactionSurvey,
    SLAClock,
    Ticket,
    TicketEvent,
)
from tickets.outbox import notifications_send_pending
from tickets.selectors import ticket_fields_for_agent
from tickets.services import ticket_add_note, ticket_resolve

pytestmark = pytest.mark.django_db

PEOPLE = ["Kevin Benavides", "Ryan Howard", "Jim Halpert", "Kevin Malone", "Angela Martin"]


def email(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@theoffice.example"


def load_demo(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every model in the project, so that "changes nothing" means nothing."""
    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "sla", "tickets")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def demo(debug):
    return load_demo()


def test_migrations_load_no_demo_data():
    assert not User.objects.filter(email__iendswith="@theoffice.example").exists()
    assert not Ticket.objects.exists()


def test_reports_what_it_created(demo):
    assert "Demo data loaded" in demo
    assert "tickets: 3" in demo
    assert "kevin.benavides@theoffice.example" in demo


def test_second_run_changes_nothing_and_says_so(demo):
    before = row_counts()
    users_before = list(User.objects.order_by("pk").values())

    output = load_demo()

    assert output.strip() == "Demo data already loaded; nothing changed."
    assert row_counts() == before
    assert list(User.objects.order_by("pk").values()) == users_before


def test_a_missing_piece_is_put_back(demo):
    CannedResponse.objects.filter(title="We're on it").delete()
    before = row_counts()

    output = load_demo()

    assert "canned responses: 1" in output
    assert CannedResponse.objects.filter(title="We're on it").exists()
    assert row_counts()["tickets.CannedResponse"] == before["tickets.CannedResponse"] + 1


def test_refused_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        load_demo()
    assert not User.objects.exists()

    assert "Demo data loaded" in load_demo("--force")


class TestPeople:
    def test_everyone_logs_in_with_the_demo_password(self, demo):
        for name in PEOPLE:
            user = authenticate(email=email(name), password="demo")
            assert user is not None, name
            assert user.display_name == name
            assert user.time_zone == "America/New_York"

    def test_kevin_benavides_is_superuser_and_it_manager(self, demo):
        kevin = User.objects.get(email=email("Kevin Benavides"))
        it = Department.objects.get(name="IT")

        assert kevin.is_superuser
        assert kevin.is_staff
        assert kevin.agent.memberships.get(department=it).role == "manager"
        assert it.manager == kevin.agent

    def test_ryan_howard_is_an_it_agent(self, demo):
        ryan = User.objects.get(email=email("Ryan Howard"))

        assert not ryan.is_staff
        assert not ryan.is_superuser
        roles = list(ryan.agent.memberships.values_list("department__name", "role"))
        assert roles == [("IT", "agent")]

    def test_requesters_are_plain_users(self, demo):
        for name in ["Jim Halpert", "Kevin Malone", "Angela Martin"]:
            user = User.objects.get(email=email(name))
            assert not user.is_staff
            assert not Agent.objects.filter(user=user).exists()

    def test_existing_accounts_are_left_alone(self, debug):
        jim = UserFactory(email=email("Jim Halpert"), display_name="Big Tuna")

        load_demo()

        jim.refresh_from_db()
        assert jim.display_name == "Big Tuna"
        assert jim.check_password("pw")
        assert Ticket.objects.filter(requester=jim, subject="CRM is down").exists()


class TestOrganization:
    def test_the_office_with_its_units_and_domain(self, demo):
        office = Organization.objects.get(name="The Office")
        assert list(office.domains.values_list("domain", flat=True)) == ["theoffice.example"]
        assert {"Sales", "Accounting", "IT"} <= set(office.units.values_list("name", flat=True))

    def test_requesters_are_in_their_units(self, demo):
        units = {
            user.display_name: (user.organization.name, user.unit.name)
            for user in User.objects.select_related("organization", "unit").filter(
                email__in=[email(name) for name in PEOPLE]
            )
        }
        assert units["Jim Halpert"] == ("The Office", "Sales")
        assert units["Kevin Malone"] == ("The Office", "Accounting")
        assert units["Angela Martin"] == ("The Office", "Accounting")

    def test_a_demo_loaded_before_organizations_joins_it(self, debug):
        jim = UserFactory(email=email("Jim Halpert"), display_name="Big Tuna")
        load_demo()
        jim.refresh_from_db()
        assert (jim.organization.name, jim.unit.name) == ("The Office", "Sales")

    def test_a_person_an_admin_moved_stays_moved(self, demo):
        jim = User.objects.get(email=email("Jim Halpert"))
        User.objects.filter(pk=jim.pk).update(unit=None, organization=None)
        assert load_demo().strip() == "Demo data already loaded; nothing changed."
        jim.refresh_from_db()
        assert jim.organization_id is None

    def test_history_requesters_too(self, history):
        pam = User.objects.get(email=email("Pam Beesly"))
        assert (pam.organization.name, pam.unit.name) == ("The Office", "Reception")


class TestConfiguration:
    def test_departments(self, demo):
        names = set(Department.objects.values_list("name", flat=True))

        assert names == {"Sales", "Accounting", "IT"}

    def test_office_calendar(self, demo):
        calendar = BusinessCalendar.objects.get(name="Scranton office hours")

        assert calendar.time_zone == "America/New_York"
        hours = {(i.weekday, f"{i.start:%H:%M}-{i.end:%H:%M}") for i in calendar.intervals.all()}
        assert hours == {(day, "09:00-17:00") for day in range(5)}
        assert calendar.holidays.filter(name="Christmas Day").count() == 2

    def test_sla_plans(self, demo):
        plans = {plan.name: plan for plan in SLAPlan.objects.select_related("calendar")}

        assert set(plans) == {"Critical", "High Priority", "Standard"}
        critical = plans["Critical"]
        assert critical.calendar is None
        assert (critical.first_response_minutes, critical.resolution_minutes) == (15, 240)
        assert critical.escalate_notify_manager
        assert critical.escalate_raise_priority
        high = plans["High Priority"]
        assert high.calendar.name == "Scranton office hours"
        assert (high.first_response_minutes, high.resolution_minutes) == (60, 480)
        standard = plans["Standard"]
        assert standard.calendar.name == "Scranton office hours"
        assert (standard.first_response_minutes, standard.resolution_minutes) == (240, 1440)
        assert list(SLAPlan.objects.filter(is_default=True)) == [standard]

    def test_an_existing_default_plan_stays_the_default(self, debug):
        gold = SLAPlanFactory(name="Gold", is_default=True)

        load_demo()

        assert list(SLAPlan.objects.filter(is_default=True)) == [gold]

    def test_help_topics_all_in_it(self, demo):
        topics = dict(HelpTopic.objects.values_list("name", "department__name"))

        assert topics == {
            "Business applications (CRM)": "IT",
            "Computer or hardware problem": "IT",
            "Monitor and peripherals": "IT",
            "Account access": "IT",
        }

    def test_canned_responses(self, demo):
        assert CannedResponse.objects.count() >= 2


def story(subject: str) -> Ticket:
    return Ticket.objects.select_related(
        "requester", "assignee__user", "sla_plan", "help_topic", "department"
    ).get(subject=subject)


def events(ticket: Ticket) -> list[tuple[str, str | None, str, str]]:
    """(kind, actor, before, after) of each event, as the admin shows them."""
    return [
        (
            event.kind,
            event.actor.display_name if event.actor else None,
            *event_values(event.kind, event.data),
        )
        for event in ticket.events.select_related("actor")
    ]


def thread(ticket: Ticket) -> list[tuple[str, str]]:
    return [
        (entry.kind, entry.author.display_name)
        for entry in ticket.entries.select_related("author")
    ]


class TestTheThreeTickets:
    def test_ticket_1_crm_down(self, demo):
        ticket = story("CRM is down")

        assert ticket.requester.display_name == "Jim Halpert"
        assert ticket.help_topic.name == "Business applications (CRM)"
        assert ticket.department.name == "IT"
        assert ticket.status == "resolved"
        assert ticket.assignee.user.display_name == "Kevin Benavides"
        assert ticket.sla_plan.name == "Critical"
        assert events(ticket) == [
            ("created", "Jim Halpert", "", "open"),
            ("claimed", "Kevin Benavides", "", "Kevin Benavides"),
            ("plan_changed", "Kevin Benavides", "Standard", "Critical"),
            ("status_changed", "Kevin Benavides", "open", "resolved"),
        ]
        assert thread(ticket) == [
            (EntryKind.MESSAGE, "Jim Halpert"),
            (EntryKind.NOTE, "Kevin Benavides"),
            (EntryKind.REPLY, "Kevin Benavides"),
        ]
        note = ticket.entries.get(kind=EntryKind.NOTE).body.lower()
        for ruled_out in ["internet outage", "server outage", "security breach", "account"]:
            assert ruled_out in note
        assert "maintenance update" in ticket.entries.get(kind=EntryKind.REPLY).body

    def test_ticket_2_computer_wont_boot(self, demo):
        ticket = story("My computer won't boot")

        assert ticket.requester.display_name == "Kevin Malone"
        assert ticket.status == "resolved"
        assert ticket.assignee.user.display_name == "Ryan Howard"
        assert ticket.sla_plan.name == "High Priority"
        assert events(ticket) == [
            ("created", "Kevin Malone", "", "open"),
            ("assigned", "Kevin Benavides", "", "Ryan Howard"),
            ("plan_changed", "Kevin Benavides", "Standard", "High Priority"),
            ("fields_changed", "Ryan Howard", "", ""),
            ("status_changed", "Ryan Howard", "open", "resolved"),
        ]
        # The Hardware topic's questions: the floor from Kevin's form, the tag from Ryan.
        values = {v.field.name: v.text for v in ticket_fields_for_agent(ticket=ticket)}
        assert values == {"asset_tag": "DM-1138", "office_floor": "2nd floor (accounting)"}
        assert thread(ticket) == [
            (EntryKind.MESSAGE, "Kevin Malone"),
            (EntryKind.NOTE, "Ryan Howard"),
            (EntryKind.REPLY, "Ryan Howard"),
        ]
        note = ticket.entries.get(kind=EntryKind.NOTE).body
        assert "power strip" in note
        assert "Safe Mode" in note

    def test_ticket_3_monitor_flickering(self, demo):
        ticket = story("My monitor keeps flickering")

        assert ticket.requester.display_name == "Angela Martin"
        assert ticket.status == "resolved"
        assert ticket.assignee.user.display_name == "Ryan Howard"
        assert ticket.sla_plan.name == "Standard"
        assert events(ticket) == [
            ("created", "Angela Martin", "", "open"),
            ("assigned", "Kevin Benavides", "", "Ryan Howard"),
            ("status_changed", "Ryan Howard", "open", "resolved"),
        ]
        note = ticket.entries.get(kind=EntryKind.NOTE).body
        for step in ["Confirmed the flicker", "IT inventory", "installed and tested"]:
            assert step in note

    def test_sla_clocks_were_met(self, demo):
        """Worked through the services, the tickets' clocks recorded their answers."""
        for ticket in Ticket.objects.all():
            live = ticket.clocks.filter(stopped_at__isnull=True)
            assert live.exists(), ticket
            assert all(clock.met_at for clock in live), ticket

    def test_kevin_sees_the_tickets_in_the_admin(self, demo, client):
        assert client.login(email=email("Kevin Benavides"), password="demo")

        response = client.get(admin_url(Ticket, "changelist"))

        assert response.status_code == 200
        assert {t.subject for t in response.context["cl"].result_list} == {
            "CRM is down",
            "My computer won't boot",
            "My monitor keeps flickering",
        }
        for ticket in Ticket.objects.all():
            assert client.get(admin_url(Ticket, "change", ticket.pk)).status_code == 200


# --history: a few weeks of the past, for the reports ------------------------------------

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# A Wednesday afternoon: the five weeks before it are what the history writes.
LOADED_AT = dt.datetime(2026, 3, 18, 15, 30, tzinfo=NEW_YORK)


@pytest.fixture
def history(debug):
    with time_machine.travel(LOADED_AT, tick=False):
        return load_demo("--history")


def _history_tickets():
    people = [email(person.name) for person in HISTORY_REQUESTERS]
    return Ticket.objects.filter(requester__email__in=people)


class TestHistory:
    def test_the_plain_load_has_no_history(self, demo):
        assert Ticket.objects.count() == 3
        assert "history" not in demo

    def test_weeks_of_tickets_through_the_services(self, history):
        assert "history tickets: " in history
        tickets = _history_tickets()
        assert tickets.count() > 30
        first = tickets.order_by("created_at").first().created_at
        assert LOADED_AT - dt.timedelta(days=36) <= first < LOADED_AT - dt.timedelta(days=30)
        statuses = set(tickets.values_list("status", flat=True))
        assert {"open", "resolved", "closed"} <= statuses
        # Each ticket's story is in time order and in the past, as the services wrote it.
        for ticket in tickets:
            events = list(ticket.events.order_by("id"))
            times = [e.created_at for e in events]
            assert times == sorted(times), ticket.number
            assert all(ticket.created_at <= t <= LOADED_AT for t in times), ticket.number
            assert events[0].kind == EventKind.CREATED
        kinds = set(TicketEvent.objects.values_list("kind", flat=True))
        assert {EventKind.REOPENED, EventKind.SLA_BREACHED} <= kinds

    def test_sla_clocks_agree_with_the_thread(self, history):
        clocks = SLAClock.objects.filter(ticket__in=_history_tickets())
        met = clocks.filter(kind="first_response", met_at__isnull=False).select_related("ticket")
        assert met.count() > 20
        for clock in met:
            first_reply = clock.ticket.entries.filter(kind=EntryKind.REPLY).earliest("created_at")
            assert clock.met_at == first_reply.created_at
            assert clock.started_at == clock.ticket.created_at
        assert clocks.filter(breached_at__isnull=False).exists()

    def test_the_pasts_emails_are_recorded_as_sent_then_not_sent_now(self, history, mailoutbox):
        past = Notification.objects.filter(ticket__in=_history_tickets())
        assert past.count() > 50
        assert not past.filter(sent_at__isnull=True, created_at__lt=LOADED_AT).exists()
        assert all(n.sent_at == n.created_at for n in past.filter(created_at__lt=LOADED_AT))
        with time_machine.travel(LOADED_AT + dt.timedelta(minutes=1), tick=False):
            notifications_send_pending()
        history_subjects = set(_history_tickets().values_list("subject", flat=True))
        assert not [m for m in mailoutbox if any(s in m.subject for s in history_subjects)]

    def test_the_pasts_surveys_went_out_in_the_past(self, history):
        surveys = SatisfactionSurvey.objects.filter(ticket__in=_history_tickets())
        assert surveys.filter(state="sent", sent_at__lt=LOADED_AT).count() > 10
        overdue = surveys.filter(state="scheduled", due_at__lt=LOADED_AT - dt.timedelta(hours=1))
        assert not overdue.exists()

    def test_a_history_requester_still_gets_the_next_email(self, history, mailoutbox):
        """The past's emails do not count against the hourly cap on automatic emails."""
        ticket = _history_tickets().filter(status="open").first()
        with time_machine.travel(LOADED_AT + dt.timedelta(minutes=5), tick=False):
            kevin = User.objects.get(email=email("Kevin Benavides"))
            ticket_resolve(ticket=ticket, by=kevin)
            notifications_send_pending()
        assert [m for m in mailoutbox if ticket.requester.email in m.to]

    def test_second_run_changes_nothing(self, history):
        before = row_counts()
        with time_machine.travel(LOADED_AT + dt.timedelta(days=1), tick=False):
            output = load_demo("--history")
        assert output.strip() == "Demo data already loaded; nothing changed."
        assert row_counts() == before

    def test_history_after_a_plain_load(self, demo):
        with time_machine.travel(LOADED_AT, tick=False):
            output = load_demo("--history")
        assert "history tickets: " in output and "tickets: 3" not in output
        assert Ticket.objects.filter(subject="CRM is down").count() == 1

    def test_the_clock_is_the_real_one_again(self, history):
        with time_machine.travel(LOADED_AT + dt.timedelta(hours=2), tick=False):
            assert timezone.now() == LOADED_AT + dt.timedelta(hours=2)
            ticket = _history_tickets().filter(status="open").first()
            entry = ticket_add_note(ticket=ticket, body="Later.", by=ticket.assignee.user)
        assert entry.created_at == LOADED_AT + dt.timedelta(hours=2)

    def test_kevin_sees_the_last_30_days_in_the_reports(self, history, client):
        kevin = User.objects.get(email=email("Kevin Benavides"))
        client.force_login(kevin)
        with time_machine.travel(LOADED_AT, tick=False):
            now = timezone.now()
            period = period_of(preset="last_30", zone=NEW_YORK, today=now.date())
            dashboard = report_dashboard(
                user=kevin, period=period, filters=ReportFilters(), now=now
            )
            page = client.get("/agent/reports/?period=last_30").content.decode()
        total = dashboard.total
        assert total.flow.created > 30 and total.flow.resolved > 30
        assert total.flow.reopened_after > 0
        for kind in ("first_response", "next_response", "resolution"):
            sla = total.sla[kind]
            assert sla.achieved > 0 and sla.breached > 0, kind
        assert total.first_response.business.median is not None
        assert sum(day.created for day in dashboard.days) == total.flow.created
        assert max(day.backlog for day in dashboard.days) > 0
        assert sum(w.sla["first_response"].completed for w in dashboard.weeks) > 20
        assert dashboard.response_bands.measured > 20
        assert f'data-count="{total.flow.created}"' in page
        assert page.count('role="img"') == 4
