"""Editing a plan or a calendar recomputes the open tickets' deadlines in the background."""

import datetime as dt
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sla.models import Holiday, WorkingInterval
from tests.support.admin_helpers import admin_url
from tests.support.factories import BusinessCalendarFactory, SLAPlanFactory
from tickets.clocks import (
    deadlines_recompute_request,
    deadlines_recompute_resume,
    deadlines_recompute_run,
)
from tickets.models import ClockKind, DeadlineRecomputation, SLAClock
from tickets.services import ticket_close, ticket_set_plan

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday


def live(ticket, kind=ClockKind.RESOLUTION):
    return SLAClock.objects.get(
        ticket=ticket, kind=kind, met_at__isnull=True, stopped_at__isnull=True
    )


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_a_shorter_target_moves_open_tickets_deadlines(
    desk, traveller, django_capture_on_commit_callbacks
):
    ticket, closed = desk.ticket(), desk.ticket()
    ticket_close(ticket=closed, by=desk.agent.user)
    desk.standard.resolution_minutes = 240
    desk.standard.save()

    with django_capture_on_commit_callbacks(execute=True):
        job = deadlines_recompute_request(plan=desk.standard, by=desk.manager.user)

    assert live(ticket).due_at == START + timedelta(minutes=240)
    ticket.refresh_from_db()
    assert ticket.next_due_at == START + timedelta(minutes=60)  # first response is sooner
    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 1, 1)
    assert not SLAClock.objects.filter(ticket=closed, stopped_at__isnull=True, met_at__isnull=True)


def test_same_terms_leave_the_clocks_alone(desk, traveller, django_capture_on_commit_callbacks):
    ticket = desk.ticket()
    before = list(SLAClock.objects.filter(ticket=ticket).values_list("id", "due_at"))

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_recompute_request(plan=desk.standard)

    assert list(SLAClock.objects.filter(ticket=ticket).values_list("id", "due_at")) == before


def test_a_new_holiday_pushes_business_hours_deadlines(
    desk, traveller, django_capture_on_commit_callbacks
):
    calendar = BusinessCalendarFactory(weekdays_nine_to_five=False)
    for weekday in range(5):
        WorkingInterval.objects.create(
            calendar=calendar, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    plan = SLAPlanFactory(calendar=calendar, first_response_minutes=None, resolution_minutes=480)
    ticket = desk.ticket()
    ticket_set_plan(ticket=ticket, plan=plan, by=desk.manager.user)
    assert live(ticket).due_at == dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    Holiday.objects.create(calendar=calendar, date=dt.date(2026, 3, 3))

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_recompute_request(calendar=calendar)

    assert live(ticket).due_at == dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)


def test_an_abandoned_job_is_resumed_and_a_live_one_is_left_to_its_worker(desk, traveller):
    desk.ticket()
    desk.standard.resolution_minutes = 100
    desk.standard.save()
    abandoned = DeadlineRecomputation.objects.create(
        plan=desk.standard,
        started_at=START - timedelta(hours=1),
        heartbeat_at=START - timedelta(hours=1),
    )
    busy = DeadlineRecomputation.objects.create(
        plan=desk.standard, started_at=START, heartbeat_at=START
    )

    assert deadlines_recompute_resume() == 1

    abandoned.refresh_from_db()
    busy.refresh_from_db()
    assert abandoned.status == "done"
    assert busy.status == "running"
    assert deadlines_recompute_run(job_id=abandoned.pk) == 0  # finished jobs stay finished


def test_admin_edit_queues_the_recomputation_and_shows_its_progress(
    admin_client, desk, traveller, django_capture_on_commit_callbacks
):
    desk.ticket()
    data = {
        "name": "Standard",
        "description": "",
        "first_response_minutes": "60",
        "next_response_minutes": "120",
        "resolution_minutes": "240",
        "calendar": "",
        "warning_percent": "75",
        "pause_when_pending": "on",
        "escalate_notify_assignee": "on",
        "is_default": "on",
        "is_active": "on",
    }
    url = admin_url(desk.standard.__class__, "change", desk.standard.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert "The deadlines of 1 open ticket are being recomputed" in response.content.decode()
    page = admin_client.get(url).content.decode()
    assert "Done: 1 of 1 open tickets recomputed" in page

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {**data, "description": "Renamed only"}, follow=True)
    assert DeadlineRecomputation.objects.count() == 1  # nothing that moves deadlines changed


def test_job_progress_is_recorded_as_it_goes(desk, traveller):
    for _ in range(3):
        desk.ticket()
    job = DeadlineRecomputation.objects.create(plan=desk.standard, total=3)

    assert deadlines_recompute_run(job_id=job.pk) == 3
    job.refresh_from_db()
    assert (job.done, job.total) == (3, 3)
    assert job.finished_at == timezone.now()
