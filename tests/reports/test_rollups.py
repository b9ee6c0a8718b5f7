"""The rollups' machinery: the listener's change rows, hours marked for refill and
refilled, the fill-state lock, a fill that fails halfway, the fill's version, the beat's
schedule and the rebuild command."""

import datetime as dt
import io
import threading

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from reports.figures import Period, ReportFilters, report_dashboard
from reports.models import (
    ROLLUP_VERSION,
    ReportChange,
    ReportFillState,
    ReportHour,
    ReportHourTicket,
)
from reports.rollups import fill, read
from reports.rollups.fill import (
    pending_hours,
    rollup_changes_absorb,
    rollup_fill_hour,
    rollups_rebuild,
    rollups_refresh,
)
from reports.tasks import REFRESH_TASK
from sla.models import SLAPlan
from tests.reports.compare import assert_matches, dashboard_figures
from tickets.clocks.recompute import deadlines_recompute_request, deadlines_recompute_run
from tickets.services import (
    ticket_merge,
    ticket_merge_undo,
    ticket_reply,
    ticket_resolve,
    ticket_set_plan,
    ticket_transfer,
)

pytestmark = pytest.mark.postgres

UTC = dt.UTC
START = dt.datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


def _history(desk):
    """A ticket created at 9:00, answered at 10:30, resolved at 12:15; at 14:05 the hours
    up to 14:00 are filled."""
    with time_machine.travel(at(0), tick=False):
        ticket = desk.ticket(subject="Printer")
    with time_machine.travel(at(1.5), tick=False):
        ticket_reply(ticket=ticket, body="On it.", by=desk.agent.user)
    with time_machine.travel(at(3.25), tick=False):
        ticket_resolve(ticket=ticket, by=desk.agent.user)
    settled = at(5) + dt.timedelta(minutes=5)
    with time_machine.travel(settled, tick=False):
        rollups_refresh(now=settled)
    return ticket


def _state(hour):
    return ReportFillState.objects.get(hour=hour).state


def test_the_listener_records_changes_in_the_changes_transaction(desk):
    with time_machine.travel(at(0), tick=False):
        ticket = desk.ticket(subject="Printer")
    assert list(ReportChange.objects.values_list("ticket_id", "history")) == [
        (ticket.pk, False)  # created: nothing before it to refill
    ]
    ReportChange.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)
        raise RuntimeError("rolled back")
    assert not ReportChange.objects.exists()
    ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)
    assert list(ReportChange.objects.values_list("ticket_id", "history")) == [(ticket.pk, True)]


def test_hours_are_filled_once_over_and_the_current_hour_stays_live(desk):
    ticket = _history(desk)
    hours = set(ReportFillState.objects.values_list("hour", flat=True))
    # From the first ticket's hour to the last hour that is over (and settled) at 14:05.
    assert hours == {at(h) for h in range(5)}
    assert set(ReportHourTicket.objects.values_list("hour", flat=True)) == {at(0), at(1), at(3)}
    assert ReportHour.objects.get(hour=at(0)).created == 1
    assert ReportHour.objects.get(hour=at(1)).first_reply == 1
    resolved = ReportHour.objects.get(hour=at(3))
    assert (resolved.resolved, resolved.latest_resolution) == (1, 1)
    assert resolved.latest_resolution_calendar == [195.0]
    assert ticket.pk in ReportHourTicket.objects.filter(hour=at(3)).values_list(
        "ticket_id", flat=True
    )


def test_older_tickets_arriving_later_get_their_hours_filled(desk):
    """History imported after the rollups started (osTicket's, say) is older than the
    first hour known: the beat adds and fills the hours before it too."""
    _history(desk)
    with time_machine.travel(at(-30), tick=False):
        desk.ticket(subject="From the old system")
    with time_machine.travel(at(6), tick=False):
        rollups_refresh(now=at(6))
    hours = set(ReportFillState.objects.values_list("hour", flat=True))
    assert hours == {at(h) for h in range(-30, 5)}
    assert _state(at(-30)) == "filled"
    assert ReportHour.objects.get(hour=at(-30)).created == 1


def test_a_transfer_refills_every_hour_the_ticket_counts_in(desk):
    ticket = _history(desk)
    with time_machine.travel(at(6), tick=False):
        ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)
        assert rollup_changes_absorb() == 3
    pending = ReportFillState.objects.filter(state="pending").values_list("hour", flat=True)
    assert set(pending) == {
        at(0),
        at(1),
        at(3),
    }
    with time_machine.travel(at(6), tick=False):
        rollups_refresh(now=at(6))
    assert set(ReportHour.objects.values_list("department_id", flat=True)) == {desk.sales.pk}
    assert _state(at(0)) == "filled"


def test_a_reply_marks_only_its_own_hour(desk):
    ticket = _history(desk)
    # A reply written at 13:59 and committed after 14:00's fill of hour 13: its hour only.
    with time_machine.travel(at(4) + dt.timedelta(minutes=59), tick=False):
        ticket_reply(ticket=ticket, body="Anything else?", by=desk.agent.user)
    assert rollup_changes_absorb() == 1
    assert _state(at(4)) == "pending"


def test_replaced_clocks_without_events_refill_their_tickets_hours(desk):
    """A deadline recomputation replaces clocks and writes no event: the beat finds the
    new clocks by id."""
    with time_machine.travel(at(0), tick=False):
        ticket = desk.ticket(subject="Printer")
        ticket_set_plan(ticket=ticket, plan=desk.critical, by=desk.manager.user)
    assert ticket.clocks.exists()
    with time_machine.travel(at(2), tick=False):
        rollups_refresh(now=at(2))
    assert _state(at(0)) == "filled"
    ReportChange.objects.all().delete()
    SLAPlan.objects.filter(pk=desk.critical.pk).update(resolution_minutes=999)
    with time_machine.travel(at(2.5), tick=False):
        job = deadlines_recompute_request(plan=desk.critical)
        deadlines_recompute_run(job_id=job.pk)
    assert not ReportChange.objects.exists()
    assert rollup_changes_absorb() >= 1
    assert _state(at(0)) == "pending"


def test_a_fill_that_fails_halfway_leaves_the_hour_as_it_was(desk, monkeypatch):
    _history(desk)
    before = list(ReportHour.objects.filter(hour=at(3)).values_list("resolved", flat=True))
    ReportFillState.objects.filter(hour=at(3)).update(state="pending")
    monkeypatch.setattr(fill, "_fill_sql", lambda hour: ("SELECT 1/0", []))
    with pytest.raises(Exception, match="division by zero"):
        rollup_fill_hour(hour=at(3), now=at(6))
    assert list(ReportHour.objects.filter(hour=at(3)).values_list("resolved", flat=True)) == before
    assert _state(at(3)) == "pending"


def test_filling_twice_gives_the_same_rows(desk):
    _history(desk)
    first = sorted(ReportHour.objects.values_list("hour", "created", "resolved", "first_reply"))
    for hour in range(5):
        assert rollup_fill_hour(hour=at(hour), now=at(7))
    again = sorted(ReportHour.objects.values_list("hour", "created", "resolved", "first_reply"))
    assert again == first


def test_hours_of_another_fill_version_are_filled_again(desk):
    _history(desk)
    assert pending_hours(limit=10) == []
    ReportFillState.objects.filter(hour=at(1)).update(version=ROLLUP_VERSION - 1)
    assert pending_hours(limit=10) == [at(1)]


@pytest.mark.django_db(transaction=True)
def test_an_hour_being_filled_elsewhere_is_skipped_not_waited_for(desk):
    _history(desk)
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                ReportFillState.objects.select_for_update().get(hour=at(3))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert locked.wait(10)
        assert rollup_fill_hour(hour=at(3), now=at(6)) is False
        assert rollup_fill_hour(hour=at(1), now=at(6)) is True
    finally:
        release.set()
        other.join()


def test_the_dashboard_reads_filled_hours_after_a_transfer(desk, admin_user):
    ticket = _history(desk)
    with time_machine.travel(at(6), tick=False):
        ticket_transfer(ticket=ticket, department=desk.sales, by=desk.manager.user)
        rollups_refresh(now=at(6))
        period = Period(START.date(), START.date(), UTC)
        dashboard = report_dashboard(
            user=admin_user, period=period, filters=ReportFilters(), now=at(6)
        )
    assert_matches(dashboard, user=admin_user)
    assert [row.label for row in dashboard.breakdowns["department"]] == ["Sales"]


def test_beat_refreshes_the_rollups_by_name():
    entry = settings.CELERY_BEAT_SCHEDULE["reports-refresh-rollups"]
    assert entry["task"] == REFRESH_TASK == "reports.refresh_rollups"
    from helpdesk.celery import app

    assert REFRESH_TASK in app.tasks


def test_rebuild_fills_a_range(desk):
    _history(desk)
    ReportHour.objects.all().delete()
    ReportFillState.objects.all().delete()
    out = io.StringIO()
    with time_machine.travel(at(8), tick=False):
        call_command(
            "rebuild_report_rollups",
            "--from",
            "2024-05-06",
            "--to",
            "2024-05-06T12:00",
            stdout=out,
        )
    assert "12 hours filled" in out.getvalue()  # from midnight UTC, empty hours too
    assert ReportFillState.objects.filter(state="filled").count() == 12
    assert ReportHour.objects.filter(hour=at(1)).get().first_reply == 1


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("yesterday", "2024-05-07", "--from must be a date (YYYY-MM-DD) or a UTC time"),
        ("2024-05-06", "2024-13-01", "--to must be a date (YYYY-MM-DD)"),
        ("2024-05-06T09:30", "2024-05-07", "--from must fall on a whole hour (UTC)"),
        ("2024-05-07", "2024-05-06", "--to must be after --from."),
        ("2024-05-06", "2024-05-06", "--to must be after --from."),
        ("2999-01-01", "2999-02-01", "--from is in the future"),
    ],
)
def test_rebuild_refuses_dates_that_make_no_range(db, start, end, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("rebuild_report_rollups", "--from", start, "--to", end)
    assert not ReportFillState.objects.exists()


def test_rollups_rebuild_leaves_hours_not_over(desk):
    _history(desk)
    with time_machine.travel(at(2.5), tick=False):
        assert list(rollups_rebuild(start=at(0), end=at(10), now=at(2.5))) == [at(0), at(1)]


def test_with_rollups_off_nothing_is_recorded_or_filled(desk, settings):
    settings.REPORT_ROLLUPS = False
    with time_machine.travel(at(0), tick=False):
        desk.ticket(subject="Printer")
    assert not ReportChange.objects.exists()
    assert rollups_refresh(now=at(3)) == 0
    assert not ReportFillState.objects.exists()


def test_a_merged_tickets_clocks_leave_the_figures_and_come_back_with_an_undo(desk, admin_user):
    ticket = _history(desk)  # answered and resolved: two achieved clocks
    with time_machine.travel(at(6), tick=False):
        target = desk.ticket(subject="Printers everywhere")
        ticket_merge(sources=[ticket], target=target, by=desk.agent.user)
        rollups_refresh(now=at(6))
        period = Period(START.date(), START.date(), UTC)
        merged = report_dashboard(
            user=admin_user, period=period, filters=ReportFilters(), now=at(6)
        )
    assert_matches(merged, user=admin_user)
    with time_machine.travel(at(7), tick=False):
        ticket_merge_undo(ticket=ticket, by=desk.agent.user)
        rollups_refresh(now=at(7))
        undone = report_dashboard(
            user=admin_user, period=period, filters=ReportFilters(), now=at(7)
        )
    assert_matches(undone, user=admin_user)
    assert dashboard_figures(merged) != dashboard_figures(undone)


def test_filled_hours_are_read_as_ranges_and_by_hour_when_gaps_are_many(desk, admin_user):
    """The stored rows are picked by ranges of consecutive filled hours (what the
    (department, hour) index serves), or hour by hour past MAX_HOUR_RANGES runs; the
    figures are the same either way."""
    hours = [at(h) for h in (0, 1, 2, 5, 6)]
    condition, params = read._stored_hours(hours, at(0))
    assert condition.count("h.hour >= %s") == 2
    assert params == [at(0), at(3), at(5), at(7)]
    every_other = [at(2 * h) for h in range(read.MAX_HOUR_RANGES + 1)]
    condition, params = read._stored_hours(every_other, at(0))
    assert "unnest" in condition and params[2] == every_other
    assert read._stored_hours([], at(0))[1] == [at(0), at(0)]

    # A ticket every other hour, and the hours between them left to fill again: as many
    # runs of filled hours as tickets.
    for h in range(0, 2 * (read.MAX_HOUR_RANGES + 2), 2):
        with time_machine.travel(at(h), tick=False):
            desk.ticket(subject=f"Ticket {h}")
    settled = at(2 * (read.MAX_HOUR_RANGES + 2) + 1)
    with time_machine.travel(settled, tick=False):
        rollups_refresh(now=settled)
    between = [at(h) for h in range(1, 2 * (read.MAX_HOUR_RANGES + 2), 2)]
    ReportFillState.objects.filter(hour__in=between).update(state=ReportFillState.State.PENDING)
    period = Period(START.date(), settled.date(), dt.UTC)
    assert len(read.plan_of(period, settled).live) > read.MAX_HOUR_RANGES
    figures = []
    for limit in (read.MAX_HOUR_RANGES, 10_000):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(read, "MAX_HOUR_RANGES", limit)
            with time_machine.travel(settled, tick=False):
                dashboard = report_dashboard(
                    user=admin_user, period=period, filters=ReportFilters(), now=settled
                )
        assert_matches(dashboard, user=admin_user)
        figures.append(dashboard_figures(dashboard))
    assert figures[0] == figures[1]
    assert dashboard.total.flow.created == read.MAX_HOUR_RANGES + 2
