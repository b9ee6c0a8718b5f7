"""The dashboard's time spent: the period's entries per agent and per department, in the
viewer's departments only, the report's filters applied, the page's table."""

import datetime
import zoneinfo

import pytest
import time_machine

from reports.figures import ReportFilters, report_time_spent
from reports.figures.periods import Period
from tickets.models import Priority
from tickets.services import ticket_log_time, ticket_reply, ticket_transfer

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")
MARCH = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31), UTC)


def _at(day, hour=10):
    return time_machine.travel(
        datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def logged(desk):
    with _at(2):
        first = desk.ticket()
        ticket_log_time(ticket=first, minutes=30, by=desk.agent.user)
        ticket_reply(ticket=first, body="Done", by=desk.manager.user, minutes=45)
    with _at(3):
        second = desk.ticket(priority=Priority.LOW)
        ticket_log_time(ticket=second, minutes=15, by=desk.agent.user)
        sales = desk.ticket(department=desk.sales)
        ticket_log_time(ticket=sales, minutes=100, by=desk.sales_agent.user)
    with time_machine.travel("2026-04-01 00:00Z", tick=False):
        ticket_log_time(ticket=first, minutes=500, by=desk.agent.user)  # after the period
    return first, second, sales


def _rows(rows):
    return [(row.label, row.minutes, row.entries) for row in rows]


def test_per_agent_and_per_department_for_the_period(desk, logged):
    figures = report_time_spent(user=desk.manager.user, period=MARCH, filters=ReportFilters())
    assert (figures.total.minutes, figures.total.entries) == (90, 3)
    # Equal time: by name.
    assert _rows(figures.by_agent) == [("Kevin Benavides", 45, 1), ("Ryan Howard", 45, 2)]
    assert _rows(figures.by_department) == [("IT", 90, 3)]


def test_a_superuser_sees_every_department(desk, logged, admin_user):
    figures = report_time_spent(user=admin_user, period=MARCH, filters=ReportFilters())
    assert _rows(figures.by_department) == [("Sales", 100, 1), ("IT", 90, 3)]
    assert figures.total.minutes == 190


def test_the_reports_filters_apply(desk, logged):
    figures = report_time_spent(
        user=desk.manager.user, period=MARCH, filters=ReportFilters(priority=Priority.LOW)
    )
    assert _rows(figures.by_agent) == [("Ryan Howard", 15, 1)]
    figures = report_time_spent(
        user=desk.manager.user, period=MARCH, filters=ReportFilters(department=desk.sales.pk)
    )
    assert figures.total.entries == 0


def test_time_stays_with_the_department_it_was_spent_in(desk, logged, admin_user):
    first, _second, _sales = logged
    ticket_transfer(ticket=first, department=desk.sales, by=desk.manager.user)
    figures = report_time_spent(user=admin_user, period=MARCH, filters=ReportFilters())
    assert {r.label: r.minutes for r in figures.by_department} == {"IT": 90, "Sales": 100}


def test_the_dashboard_shows_the_table(desk, logged, client_for):
    client = client_for(desk.manager.user)
    with _at(31, 12):
        html = client.get(
            "/agent/reports/?period=custom&start=2026-03-01&end=2026-03-31"
        ).content.decode()
    section = html[html.index('id="report-time-spent"') :]
    section = section[: section.index("</section>")]
    assert "By agent" in section and "By department" in section
    assert "Ryan Howard" in section and "1 h 30 min" in section
