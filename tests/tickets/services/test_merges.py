"""tickets.services.ticket_merge / ticket_merge_undo: what moves, what the clocks do, who may."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.errors import InvalidInput, NotPermitted
from tickets.models import (
    Attachment,
    ClockKind,
    Collaborator,
    EventKind,
    SLAClock,
    Status,
    ThreadEntry,
    TicketMerge,
)
from tickets.selectors.measures import counted_clocks
from tickets.services import (
    UNDO_WINDOW,
    ticket_add_message,
    ticket_merge,
    ticket_merge_undo,
    ticket_reply,
    ticket_set_pending,
    ticket_transfer,
)
from tickets.services import merges as merge_messages

T0 = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)


def _clock(ticket, kind):
    return SLAClock.objects.filter(ticket=ticket, kind=kind).order_by("-id").first()


@pytest.fixture
def travel():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_entries_and_files_move_to_the_target_marked_with_their_origin(desk, travel):
    by = desk.agent.user
    target = desk.ticket(subject="CRM down for Jim")
    source = desk.ticket(
        requester=desk.other_requester,
        subject="CRM down for Angela",
        attachments=[SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)],
    )
    travel.shift(60)
    ticket_reply(ticket=source, body="Looking into it.", by=by)

    [merge] = ticket_merge(sources=[source], target=target, by=by)

    source.refresh_from_db()
    assert source.status == Status.CLOSED
    assert source.merged_into_id == target.pk
    moved = list(ThreadEntry.objects.filter(ticket=target, origin=source))
    assert len(moved) == 2
    assert sorted(merge.entry_ids) == sorted(e.pk for e in moved)
    assert not ThreadEntry.objects.filter(ticket=source).exists()
    assert Attachment.objects.filter(ticket=target, entry__origin=source).count() == 1
    # The source's requester follows the target now.
    assert Collaborator.objects.filter(ticket=target, user=desk.other_requester).exists()
    assert source.events.filter(kind=EventKind.MERGED_INTO).get().data["to"]["number"] == (
        target.number
    )
    merged = target.events.get(kind=EventKind.TICKET_MERGED)
    assert merged.data["from"]["number"] == source.number
    assert merged.data["merge"] == merge.pk
    assert merged.actor == by


def test_undo_puts_everything_back(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester, subject="Also the CRM")
    ticket_set_pending(ticket=source, by=by)
    ticket_merge(sources=[source], target=target, by=by)
    travel.shift(3600)

    ticket_merge_undo(ticket=source, by=by)

    source.refresh_from_db()
    assert source.status == Status.PENDING
    assert source.merged_into_id is None
    assert source.closed_at is None
    assert ThreadEntry.objects.filter(ticket=source, origin__isnull=True).count() == 1
    assert not ThreadEntry.objects.filter(ticket=target, origin=source).exists()
    assert not Collaborator.objects.filter(ticket=target, user=desk.other_requester).exists()
    assert source.events.filter(kind=EventKind.MERGE_UNDONE).count() == 1
    assert target.events.filter(kind=EventKind.MERGE_UNDONE).count() == 1
    assert TicketMerge.objects.get(source=source).undone_at == T0 + datetime.timedelta(hours=1)


def test_a_running_clock_stops_counts_nowhere_and_restarts_with_the_merged_time_paused(
    desk, travel
):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    target_due = _clock(target, ClockKind.RESOLUTION).due_at
    before = _clock(source, ClockKind.RESOLUTION)
    travel.shift(30 * 60)

    ticket_merge(sources=[source], target=target, by=by)

    stopped = _clock(source, ClockKind.RESOLUTION)
    assert stopped.stopped_at == T0 + datetime.timedelta(minutes=30)
    assert stopped.merged_at is not None
    source.refresh_from_db()
    assert source.next_due_at is None
    assert not counted_clocks().filter(ticket=source).exists()
    # The target's clocks are untouched.
    assert _clock(target, ClockKind.RESOLUTION).due_at == target_due
    assert _clock(target, ClockKind.RESOLUTION).stopped_at is None

    travel.shift(2 * 3600)
    ticket_merge_undo(ticket=source, by=by)

    clock = _clock(source, ClockKind.RESOLUTION)
    assert clock.pk == before.pk
    assert clock.stopped_at is None and clock.merged_at is None
    assert clock.paused_minutes == pytest.approx(120)
    assert clock.due_at == before.due_at + datetime.timedelta(hours=2)
    source.refresh_from_db()
    assert source.next_due_at is not None


def test_a_paused_clock_stays_paused_from_when_it_paused(desk, travel):
    by = desk.agent.user
    desk.standard.pause_when_pending = True
    desk.standard.save()
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    travel.shift(10 * 60)
    ticket_set_pending(ticket=source, by=by)
    paused_at = _clock(source, ClockKind.RESOLUTION).paused_at
    travel.shift(10 * 60)
    ticket_merge(sources=[source], target=target, by=by)
    travel.shift(3600)

    ticket_merge_undo(ticket=source, by=by)

    clock = _clock(source, ClockKind.RESOLUTION)
    assert clock.stopped_at is None
    assert clock.paused_at == paused_at
    assert clock.paused_minutes == 0
    source.refresh_from_db()
    assert source.status == Status.PENDING


def test_met_and_breached_clocks_count_nowhere_while_merged_and_again_after_undo(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    travel.shift(10 * 60)
    ticket_reply(ticket=source, body="On it.", by=by)  # first response met
    resolution = _clock(source, ClockKind.RESOLUTION)
    SLAClock.objects.filter(pk=resolution.pk).update(breached_at=T0)  # as the sweep marks it
    assert set(counted_clocks().filter(ticket=source).values_list("outcome", flat=True)) == {
        "achieved",
        "breached",
    }

    ticket_merge(sources=[source], target=target, by=by)
    assert not counted_clocks().filter(ticket=source).exists()

    ticket_merge_undo(ticket=source, by=by)
    assert set(counted_clocks().filter(ticket=source).values_list("outcome", flat=True)) == {
        "achieved",
        "breached",
    }
    clock = _clock(source, ClockKind.RESOLUTION)
    assert clock.breached_at == T0 and clock.stopped_at is None


def test_undo_is_refused_after_seven_days(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    ticket_merge(sources=[source], target=target, by=by)

    travel.shift(UNDO_WINDOW + datetime.timedelta(seconds=1))
    with pytest.raises(InvalidInput) as refused:
        ticket_merge_undo(ticket=source, by=by)

    assert refused.value.message == merge_messages.UNDO_TOO_LATE.format(into=target.number)
    source.refresh_from_db()
    assert source.merged_into_id == target.pk


def test_undo_just_inside_seven_days_works(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    ticket_merge(sources=[source], target=target, by=by)
    travel.shift(UNDO_WINDOW)
    ticket_merge_undo(ticket=source, by=by)
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_several_sources_merge_at_once(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    sources = [desk.ticket(requester=desk.other_requester) for _ in range(3)]
    merges = ticket_merge(sources=sources, target=target, by=by)
    assert len(merges) == 3
    assert ThreadEntry.objects.filter(ticket=target).count() == 4
    assert target.events.filter(kind=EventKind.TICKET_MERGED).count() == 3
    # One collaborator, though three tickets had the same requester.
    assert Collaborator.objects.filter(ticket=target).count() == 1


def test_refusals(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket()
    other = desk.ticket()

    with pytest.raises(InvalidInput) as refused:
        ticket_merge(sources=[target], target=target, by=by)
    assert refused.value.message == merge_messages.INTO_ITSELF
    with pytest.raises(InvalidInput):
        ticket_merge(sources=[], target=target, by=by)

    ticket_merge(sources=[source], target=target, by=by)
    with pytest.raises(InvalidInput) as refused:
        ticket_merge(sources=[source], target=other, by=by)
    assert refused.value.message == merge_messages.SOURCE_MERGED.format(
        number=source.number, into=target.number
    )
    with pytest.raises(InvalidInput) as refused:
        ticket_merge(sources=[other], target=source, by=by)
    assert refused.value.message == merge_messages.TARGET_MERGED.format(
        number=source.number, into=target.number
    )
    with pytest.raises(InvalidInput):
        ticket_merge_undo(ticket=other, by=by)


def test_chains_resolve_and_undo_goes_in_order(desk, travel):
    by = desk.agent.user
    a, b, c = desk.ticket(), desk.ticket(), desk.ticket()
    ticket_merge(sources=[a], target=b, by=by)
    ticket_merge(sources=[b], target=c, by=by)

    # a's entry went along to c, still marked as a's.
    assert ThreadEntry.objects.filter(ticket=c, origin=a).count() == 1
    with pytest.raises(InvalidInput) as refused:
        ticket_merge(sources=[desk.ticket()], target=a, by=by)
    assert f"#{c.number}" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        ticket_merge_undo(ticket=a, by=by)
    assert refused.value.message == merge_messages.UNDO_TARGET_FIRST.format(
        number=b.number, into=c.number
    )

    ticket_merge_undo(ticket=b, by=by)
    assert ThreadEntry.objects.filter(ticket=b, origin=a).count() == 1
    ticket_merge_undo(ticket=a, by=by)
    assert ThreadEntry.objects.filter(ticket=a, origin__isnull=True).count() == 1


def test_the_agent_must_work_every_source_and_the_target(desk, travel):
    target = desk.ticket()
    source = desk.ticket()
    elsewhere = desk.ticket()
    ticket_transfer(ticket=elsewhere, department=desk.sales, by=desk.agent.user)

    with pytest.raises(NotPermitted):
        ticket_merge(sources=[source, elsewhere], target=target, by=desk.agent.user)
    with pytest.raises(NotPermitted):
        ticket_merge(sources=[source], target=elsewhere, by=desk.agent.user)
    with pytest.raises(NotPermitted):
        ticket_merge(sources=[source], target=target, by=desk.requester)
    with pytest.raises(NotPermitted):
        ticket_merge(sources=[source], target=target, by=None)
    # Nothing changed: all or nothing.
    source.refresh_from_db()
    assert source.merged_into_id is None
    assert not TicketMerge.objects.exists()

    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    with pytest.raises(NotPermitted):
        ticket_merge_undo(ticket=source, by=desk.sales_agent.user)


def test_a_message_to_the_target_after_a_merge_stays_with_the_target(desk, travel):
    by = desk.agent.user
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    ticket_merge(sources=[source], target=target, by=by)
    entry = ticket_add_message(ticket=target, body="Still down.", by=desk.requester)
    ticket_merge_undo(ticket=source, by=by)
    entry.refresh_from_db()
    assert entry.ticket_id == target.pk
