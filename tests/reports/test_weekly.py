"""The managers' weekly email (reports/weekly.py): due from Monday 07:00 in the manager's
zone, exactly once per manager, department and week, the week's figures and the link to
its dashboard, never to someone who switched it off."""

import datetime as dt
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection

from reports import weekly
from reports.models import WeeklyReportEmail
from reports.weekly import week_due, weekly_emails_queue, weekly_emails_run
from tests.reports.scenario import NEW_YORK, office_weeks  # noqa: F401  (the fixture)
from tests.support.factories import AgentFactory, DepartmentFactory

pytestmark = pytest.mark.postgres

MONDAY_MORNING = dt.datetime(2024, 3, 18, 8, tzinfo=NEW_YORK)  # after the scenario's weeks


@pytest.mark.parametrize(
    "local, monday",
    [
        (dt.datetime(2024, 3, 18, 6, 59), dt.date(2024, 3, 4)),  # not yet: the week before
        (dt.datetime(2024, 3, 18, 7, 0), dt.date(2024, 3, 11)),
        (dt.datetime(2024, 3, 24, 23, 0), dt.date(2024, 3, 11)),  # all week long
        (dt.datetime(2024, 3, 25, 7, 0), dt.date(2024, 3, 18)),
    ],
)
def test_the_week_due_turns_on_monday_at_seven_local_time(local, monday):
    for zone in ("America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"):
        tz = zoneinfo.ZoneInfo(zone)
        assert week_due(local.replace(tzinfo=tz).astimezone(dt.UTC), tz) == monday


@pytest.fixture
def new_york_manager(desk):
    user = desk.manager.user
    user.time_zone = "America/New_York"
    user.save(update_fields=["time_zone"])
    return user


def test_the_email_has_the_weeks_figures_and_its_dashboard(
    office_weeks,  # noqa: F811
    new_york_manager,
    desk,
    mailoutbox,
    settings,
):
    settings.SITE_URL = "https://help.example.com"
    assert weekly_emails_run(now=MONDAY_MORNING) == 1
    (email,) = mailoutbox
    assert email.to == [new_york_manager.email]
    assert email.subject == "IT: the week of 11 Mar 2024 · " + settings.SITE_NAME
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    text = email.body
    html = email.alternatives[0][0]
    link = (
        "https://help.example.com/agent/reports/?period=custom&start=2024-03-11"
        f"&end=2024-03-17&department={desk.it.pk}"
    )
    assert link in text and link.replace("&", "&amp;") in html
    assert "11 Mar 2024 to 17 Mar 2024 (days in America/New_York)" in text
    for label in (
        "First response SLA achieved:",
        "Next response SLA achieved:",
        "Resolution SLA achieved:",
        "First response time (median / p90):",
        "Resolution time (median / p90):",
        "Created:",
        "Resolved:",
        "Backlog at the end of the week (open or pending):",
    ):
        assert label in text
    # What the dashboard shows for that week and department, as the manager sees it.
    from reports.figures import CUSTOM, Period, ReportFilters, report_dashboard

    dashboard = report_dashboard(
        user=new_york_manager,
        period=Period(dt.date(2024, 3, 11), dt.date(2024, 3, 17), NEW_YORK, CUSTOM),
        filters=ReportFilters(department=desk.it.pk),
        now=MONDAY_MORNING,
    )
    total = dashboard.total
    assert f"Created: {total.flow.created}\n" in text
    assert f"Resolved: {total.flow.resolved}\n" in text
    rate = total.sla["first_response"].rate
    assert f"First response SLA achieved: {rate * 100:.0f}% (" in text
    assert (
        f"Backlog at the end of the week (open or pending): {dashboard.days[-1].backlog}" in text
    )
    assert "Unsubscribe" not in text and "Weekly report email" in text  # how to stop it
    # An hour later, and the next day: nothing more.
    assert weekly_emails_run(now=MONDAY_MORNING + dt.timedelta(hours=1)) == 0
    assert weekly_emails_run(now=MONDAY_MORNING + dt.timedelta(days=1)) == 0
    assert len(mailoutbox) == 1
    assert WeeklyReportEmail.objects.get().sent_at is not None


def test_managers_who_switched_it_off_get_none(desk, new_york_manager, mailoutbox):
    new_york_manager.weekly_report_email = False
    new_york_manager.save(update_fields=["weekly_report_email"])
    assert weekly_emails_run(now=MONDAY_MORNING) == 0
    assert mailoutbox == [] and not WeeklyReportEmail.objects.exists()


def test_switching_it_off_after_it_was_written_stops_it_too(desk, new_york_manager, mailoutbox):
    assert weekly_emails_queue(now=MONDAY_MORNING) == 1
    new_york_manager.weekly_report_email = False
    new_york_manager.save(update_fields=["weekly_report_email"])
    assert weekly.weekly_emails_send_pending() == 0
    assert mailoutbox == []
    assert WeeklyReportEmail.objects.get().last_error == weekly.OPTED_OUT


def test_who_gets_it(desk, mailoutbox):
    """Each department's manager (Department.manager, or the manager role in it), once per
    department; agents without the role and inactive managers none."""
    accounting = DepartmentFactory(name="Accounting")
    oscar = AgentFactory(user__display_name="Oscar Martinez", managed=[accounting, desk.it])
    desk.sales.manager = desk.sales_agent  # the escalation contact, an agent in Sales
    desk.sales.save(update_fields=["manager"])
    AgentFactory(user__display_name="Gone", managed=[accounting], is_active=False)
    DepartmentFactory(name="Closed", is_active=False, manager=oscar)
    weekly_emails_run(now=MONDAY_MORNING)
    got = sorted((m.to[0], m.subject.split(":")[0]) for m in mailoutbox)
    assert got == sorted(
        [
            (desk.manager.user.email, "IT"),
            (oscar.user.email, "Accounting"),
            (oscar.user.email, "IT"),
            (desk.sales_agent.user.email, "Sales"),
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_and_send_one_email(
    desk, new_york_manager, mailoutbox, monkeypatch
):
    both_rendered = threading.Barrier(2, timeout=30)
    render = weekly._render

    def render_then_wait(**kwargs):
        rendered = render(**kwargs)
        both_rendered.wait()  # both runs have the figures and found no row: a real race
        return rendered

    monkeypatch.setattr(weekly, "_render", render_then_wait)
    written, errors = [], []

    def run():
        try:
            written.append(weekly_emails_queue(now=MONDAY_MORNING))
        except Exception as error:  # pragma: no cover: reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(written) == [0, 1]
    assert WeeklyReportEmail.objects.count() == 1
    sent = [weekly.weekly_emails_send_pending(), weekly.weekly_emails_send_pending()]
    assert sent == [1, 0] and len(mailoutbox) == 1


def test_nothing_is_due_before_monday_seven(desk, new_york_manager, mailoutbox):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        weekly_emails_run(now=MONDAY_MORNING - dt.timedelta(hours=1, minutes=1))
    # Sunday night's run sends the week before (4 March), not the week just ending.
    assert [e.week_start for e in WeeklyReportEmail.objects.all()] == [dt.date(2024, 3, 4)]
