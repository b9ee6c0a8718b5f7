"""Drafts: kept per agent, ticket and box in one write, removed when sent, pruned after close."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import SYSTEM
from tests.support.factories import CannedResponseFactory
from tickets.errors import InvalidInput, NewMessageArrived, NotPermitted
from tickets.models import Draft
from tickets.services import (
    BODY_MAX_LENGTH,
    DRAFT_TOO_LONG,
    draft_discard,
    draft_save,
    drafts_prune,
    ticket_add_message,
    ticket_add_note,
    ticket_claim,
    ticket_close,
    ticket_reply,
)

REPLY, NOTE = Draft.Box.REPLY, Draft.Box.NOTE


def writes(queries) -> list[str]:
    dml = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(dml)]


def test_a_save_is_one_write_and_saving_again_updates_the_same_draft(desk):
    ticket = desk.ticket()
    ryan = desk.agent.user
    with CaptureQueriesContext(connection) as queries:
        draft_save(ticket=ticket, by=ryan, box=REPLY, body="Hi Jim")
    assert len(writes(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        draft_save(ticket=ticket, by=ryan, box=REPLY, body="Hi Jim, we're on it  ")
    assert len(writes(queries)) == 1

    [draft] = Draft.objects.all()
    assert (draft.author, draft.box, draft.body) == (ryan, REPLY, "Hi Jim, we're on it  ")


def test_each_agent_and_box_has_its_own(desk):
    ticket = desk.ticket()
    draft_save(ticket=ticket, by=desk.agent.user, box=REPLY, body="Ryan's reply")
    draft_save(ticket=ticket, by=desk.agent.user, box=NOTE, body="Ryan's note")
    draft_save(ticket=ticket, by=desk.manager.user, box=REPLY, body="Kevin's reply")
    assert Draft.objects.count() == 3


def test_canned_response_and_chosen_files_are_kept(desk):
    ticket = desk.ticket()
    canned = CannedResponseFactory(department=desk.it)
    draft = draft_save(
        ticket=ticket,
        by=desk.agent.user,
        box=REPLY,
        body="",
        canned_response=canned,
        attachment_names=["crm-error.png", " ", "log.txt"],
    )
    draft.refresh_from_db()
    assert (draft.canned_response, draft.attachment_names) == (
        canned,
        ["crm-error.png", "log.txt"],
    )


def test_an_emptied_box_keeps_nothing(desk):
    ticket = desk.ticket()
    draft_save(ticket=ticket, by=desk.agent.user, box=REPLY, body="Hi")
    assert draft_save(ticket=ticket, by=desk.agent.user, box=REPLY, body="   ") is None
    assert not Draft.objects.exists()


def test_only_agents_of_the_department_and_never_the_system(desk):
    ticket = desk.ticket()
    for stranger in (desk.sales_agent.user, desk.requester, None, SYSTEM):
        with pytest.raises(NotPermitted):
            draft_save(ticket=ticket, by=stranger, box=NOTE, body="Hello")
    assert not Draft.objects.exists()


def test_too_long_is_refused_with_a_message_and_nul_is_dropped(desk):
    ticket = desk.ticket()
    with pytest.raises(InvalidInput) as refused:
        draft_save(ticket=ticket, by=desk.agent.user, box=REPLY, body="x" * (BODY_MAX_LENGTH + 1))
    assert refused.value.message == DRAFT_TOO_LONG
    draft = draft_save(ticket=ticket, by=desk.agent.user, box=REPLY, body="a\x00b")
    draft.refresh_from_db()
    assert draft.body == "ab"


def test_sending_removes_the_draft_of_that_box_only(desk):
    ticket = desk.ticket()
    ryan = desk.agent.user
    draft_save(ticket=ticket, by=ryan, box=REPLY, body="Hi Jim")
    draft_save(ticket=ticket, by=ryan, box=NOTE, body="Checked the logs")

    ticket_add_note(ticket=ticket, body="Checked the logs", by=ryan)
    assert list(Draft.objects.values_list("box", flat=True)) == [REPLY]

    ticket_reply(ticket=ticket, body="Hi Jim", by=ryan)
    assert not Draft.objects.exists()


def test_a_reply_held_back_by_a_new_message_keeps_its_draft(desk):
    ticket = desk.ticket()
    ryan = desk.agent.user
    seen = ticket.entries.get().pk
    draft_save(ticket=ticket, by=ryan, box=REPLY, body="Please restart the CRM.")
    ticket_add_message(ticket=ticket, body="It works again!", by=desk.requester)

    with pytest.raises(NewMessageArrived):
        ticket_reply(
            ticket=ticket, body="Please restart the CRM.", by=ryan, last_seen_entry_id=seen
        )

    assert Draft.objects.get(author=ryan, box=REPLY).body == "Please restart the CRM."


def test_drafts_of_tickets_closed_30_days_ago_are_pruned(desk):
    start = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        old, recent, open_ = desk.ticket(), desk.ticket(), desk.ticket()
        for ticket in (old, recent, open_):
            draft_save(ticket=ticket, by=desk.agent.user, box=NOTE, body="For later")
        ticket_claim(ticket=old, by=desk.agent.user)
        ticket_close(ticket=old, by=desk.agent.user)
    with time_machine.travel(start + dt.timedelta(days=5), tick=False):
        ticket_close(ticket=recent, by=desk.agent.user)

    assert drafts_prune(now=start + dt.timedelta(days=31)) == 1

    assert set(Draft.objects.values_list("ticket", flat=True)) == {recent.pk, open_.pk}


def test_discard_removes_only_the_agents_own(desk):
    ticket = desk.ticket()
    draft_save(ticket=ticket, by=desk.agent.user, box=REPLY, body="Mine")
    draft_save(ticket=ticket, by=desk.manager.user, box=REPLY, body="Kevin's")
    draft_discard(ticket=ticket, by=desk.agent.user, box=REPLY)
    assert list(Draft.objects.values_list("body", flat=True)) == ["Kevin's"]
