import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla.admin import format_minutes
from sla.models import BusinessCalendar, Holiday, SLAPlan, WorkingInterval
from tests.support.admin_helpers import admin_url, form_errors, inline_data
from tests.support.factories import (
    AgentFactory,
    BusinessCalendarFactory,
    DepartmentFactory,
    HolidayFactory,
    SLAPlanFactory,
)

pytestmark = pytest.mark.django_db


def plan_data(**overrides):
    data = {
        "name": "Critical",
        "description": "",
        "first_response_minutes": "15",
        "next_response_minutes": "",
        "resolution_minutes": "240",
        "calendar": "",
        "warning_percent": "75",
        "pause_when_pending": "on",
        "escalate_notify_assignee": "on",
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def calendar_data(*, intervals=(), holidays=(), initial_holidays=0):
    return {
        "name": "Scranton office hours",
        "time_zone": "America/New_York",
        **inline_data("intervals", list(intervals)),
        **inline_data("holidays", list(holidays), initial=initial_holidays),
    }


class TestSLAPlanAdmin:
    def test_add_with_every_section(self, admin_client):
        calendar = BusinessCalendarFactory()
        manager = AgentFactory()
        it = DepartmentFactory()

        response = admin_client.post(
            admin_url(SLAPlan, "add"),
            plan_data(
                calendar=calendar.pk,
                escalate_notify_manager="on",
                escalate_raise_priority="on",
                escalate_to_agent=manager.pk,
                escalate_to_department=it.pk,
            ),
        )

        assert response.status_code == 302, form_errors(response)
        plan = SLAPlan.objects.get()
        assert plan.first_response_minutes == 15
        assert plan.next_response_minutes is None
        assert plan.resolution_minutes == 240
        assert plan.calendar == calendar
        assert plan.escalate_notify_manager
        assert plan.escalate_raise_priority
        assert plan.escalate_to_agent == manager
        assert plan.escalate_to_department == it

    def test_change_page_groups_fields_in_sections(self, admin_client):
        plan = SLAPlanFactory()

        response = admin_client.get(admin_url(SLAPlan, "change", plan.pk))

        names = [fieldset.name for fieldset in response.context["adminform"]]
        assert names == [
            None,
            "Targets",
            "Calendar & warning",
            "Escalation actions",
            "Open tickets' deadlines",
        ]

    def test_a_second_default_plan_is_a_form_error(self, admin_client):
        SLAPlanFactory(name="Standard", is_default=True)

        response = admin_client.post(admin_url(SLAPlan, "add"), plan_data(is_default="on"))

        assert response.status_code == 200
        assert "Another plan is already the default." in form_errors(response)
        assert SLAPlan.objects.count() == 1

    def test_the_default_plan_can_be_saved_again(self, admin_client):
        plan = SLAPlanFactory(name="Standard", is_default=True)

        response = admin_client.post(
            admin_url(SLAPlan, "change", plan.pk), plan_data(name="Standard", is_default="on")
        )

        assert response.status_code == 302, form_errors(response)

    @pytest.mark.parametrize("percent", ["0", "100", "-5"])
    def test_warning_percent_out_of_range_is_a_form_error(self, admin_client, percent):
        response = admin_client.post(admin_url(SLAPlan, "add"), plan_data(warning_percent=percent))

        assert response.status_code == 200
        assert "warning_percent" in response.context["adminform"].form.errors
        assert not SLAPlan.objects.exists()

    def test_duplicate_name_is_a_form_error(self, admin_client):
        SLAPlanFactory(name="Critical")

        response = admin_client.post(admin_url(SLAPlan, "add"), plan_data())

        assert response.status_code == 200
        assert "name" in response.context["adminform"].form.errors

    def test_list_shows_targets_readably(self, admin_client):
        SLAPlanFactory(
            name="Critical", first_response_minutes=15, resolution_minutes=240, calendar=None
        )

        content = admin_client.get(admin_url(SLAPlan, "changelist")).content.decode()

        assert "15 min" in content
        assert "4 h" in content
        assert "24/7" in content

    def test_changelist_queries_do_not_grow_with_rows(self, admin_client):
        def count():
            with CaptureQueriesContext(connection) as queries:
                admin_client.get(admin_url(SLAPlan, "changelist"))
            return len(queries)

        SLAPlanFactory(business_hours=True)
        few = count()
        for _ in range(5):
            SLAPlanFactory(business_hours=True)
        assert count() == few


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(None, "-"), (0, "0 min"), (15, "15 min"), (60, "1 h"), (90, "1 h 30 min"), (1440, "24 h")],
)
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text


class TestBusinessCalendarAdmin:
    def test_add_with_hours_and_holidays(self, admin_client):
        response = admin_client.post(
            admin_url(BusinessCalendar, "add"),
            calendar_data(
                intervals=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
                holidays=[{"date": "2025-12-25", "name": "Christmas"}],
            ),
        )

        assert response.status_code == 302, form_errors(response)
        calendar = BusinessCalendar.objects.get()
        assert calendar.time_zone == "America/New_York"
        assert calendar.intervals.count() == 5
        assert calendar.holidays.get().name == "Christmas"

    def test_split_day_and_midnight_end_are_accepted(self, admin_client):
        response = admin_client.post(
            admin_url(BusinessCalendar, "add"),
            calendar_data(
                intervals=[
                    {"weekday": 0, "start": "09:00", "end": "12:00"},
                    {"weekday": 0, "start": "13:00", "end": "17:00"},
                    {"weekday": 5, "start": "18:00", "end": "00:00"},
                ]
            ),
        )

        assert response.status_code == 302, form_errors(response)
        assert WorkingInterval.objects.count() == 3

    def test_interval_ending_before_it_starts_is_a_form_error(self, admin_client):
        response = admin_client.post(
            admin_url(BusinessCalendar, "add"),
            calendar_data(intervals=[{"weekday": 0, "start": "17:00", "end": "09:00"}]),
        )

        assert response.status_code == 200
        assert "The interval must end after it starts." in form_errors(response)
        assert not BusinessCalendar.objects.exists()

    def test_overlapping_intervals_are_a_form_error(self, admin_client):
        response = admin_client.post(
            admin_url(BusinessCalendar, "add"),
            calendar_data(
                intervals=[
                    {"weekday": 2, "start": "09:00", "end": "13:00"},
                    {"weekday": 2, "start": "12:00", "end": "17:00"},
                ]
            ),
        )

        assert response.status_code == 200
        assert "Working intervals on Wednesday overlap." in form_errors(response)
        assert not BusinessCalendar.objects.exists()

    def test_duplicate_holiday_in_the_form_is_a_form_error(self, admin_client):
        response = admin_client.post(
            admin_url(BusinessCalendar, "add"),
            calendar_data(
                holidays=[
                    {"date": "2025-07-04", "name": "Independence Day"},
                    {"date": "2025-07-04", "name": "Fourth of July"},
                ]
            ),
        )

        assert response.status_code == 200
        assert any("duplicate" in error.lower() for error in form_errors(response))
        assert not BusinessCalendar.objects.exists()

    def test_holiday_already_on_the_calendar_is_a_form_error(self, admin_client):
        calendar = BusinessCalendarFactory(
            name="Scranton office hours", weekdays_nine_to_five=False
        )
        holiday = HolidayFactory(calendar=calendar, date=datetime.date(2025, 7, 4), name="July 4")

        response = admin_client.post(
            admin_url(BusinessCalendar, "change", calendar.pk),
            calendar_data(
                holidays=[
                    {"id": holiday.pk, "date": "2025-07-04", "name": "July 4"},
                    {"date": "2025-07-04", "name": "again"},
                ],
                initial_holidays=1,
            ),
        )

        assert response.status_code == 200
        assert any("duplicate" in error.lower() for error in form_errors(response))
        assert list(Holiday.objects.values_list("name", flat=True)) == ["July 4"]

    def test_holiday_moved_onto_a_taken_date_is_a_form_error(self, admin_client):
        calendar = BusinessCalendarFactory(weekdays_nine_to_five=False)
        july = HolidayFactory(calendar=calendar, date=datetime.date(2025, 7, 4), name="July 4")
        xmas = HolidayFactory(calendar=calendar, date=datetime.date(2025, 12, 25), name="Xmas")

        response = admin_client.post(
            admin_url(BusinessCalendar, "change", calendar.pk),
            calendar_data(
                holidays=[
                    {"id": july.pk, "date": "2025-07-04", "name": "July 4"},
                    {"id": xmas.pk, "date": "2025-07-04", "name": "Xmas"},
                ],
                initial_holidays=2,
            ),
        )

        assert response.status_code == 200
        assert form_errors(response)
        xmas.refresh_from_db()
        assert xmas.date == datetime.date(2025, 12, 25)

    def test_unknown_time_zone_is_a_form_error(self, admin_client):
        data = calendar_data()
        data["time_zone"] = "Scranton/Paper"

        response = admin_client.post(admin_url(BusinessCalendar, "add"), data)

        assert response.status_code == 200
        assert "time_zone" in response.context["adminform"].form.errors

    def test_change_page_shows_the_inlines(self, admin_client):
        calendar = BusinessCalendarFactory(name="Scranton office hours")
        HolidayFactory(calendar=calendar, name="Dundies day")

        content = admin_client.get(admin_url(BusinessCalendar, "change", calendar.pk)).content

        assert b"Dundies day" in content
        assert content.count(b'value="09:00:00"') == 5
