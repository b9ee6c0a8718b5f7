"""The autosave endpoints and the page: a draft saved as typed comes back on the page."""

import json

import pytest

from tests.support.factories import CannedResponseFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import Draft

pytestmark = pytest.mark.postgres

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ticket(desk):
    return desk.ticket()


def save(client, ticket, box, **data):
    return client.post(f"/agent/tickets/{ticket.number}/draft/{box}/", data, **HTMX)


def test_typing_saves_a_draft_that_the_page_gives_back(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    response = save(client, ticket, "reply", **{"reply-body": "Hi Jim, we are on it."})
    assert response.status_code == 200
    assert "Draft saved at" in response.content.decode()
    assert "Discard draft" in response.content.decode()
    save(client, ticket, "note", **{"note-body": "Vendor maintenance."})

    html = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "Hi Jim, we are on it.</textarea>" in html
    assert "Vendor maintenance.</textarea>" in html
    assert html.count("Draft saved at") == 2

    # Another agent's page shows none of it.
    other = client_for(desk.manager.user).get(f"/agent/tickets/{ticket.number}/").content
    assert b"we are on it" not in other and b"Draft saved at" not in other


def test_chosen_files_and_canned_response_come_back_named(desk, ticket, client_for):
    canned = CannedResponseFactory(department=desk.it, title="Restart")
    client = client_for(desk.agent.user)
    save(
        client,
        ticket,
        "reply",
        **{
            "reply-body": "See attached",
            "canned": canned.pk,
            "attachment_names": json.dumps(["crm-error.png"]),
        },
    )
    html = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "You had chosen crm-error.png: choose it again before sending" in html
    assert f'<option value="{canned.pk}" data-body=' in html and " selected>Restart<" in html


def test_a_canned_response_of_another_department_is_refused(desk, ticket, client_for):
    sales_only = CannedResponseFactory(department=desk.sales)
    client = client_for(desk.agent.user)
    response = save(client, ticket, "reply", **{"reply-body": "Hi", "canned": sales_only.pk})
    assert "could not be saved" in response.content.decode()
    assert "still in the box" in response.content.decode()
    assert not Draft.objects.exists()


def test_a_draft_too_long_says_so_and_keeps_nothing(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    response = save(client, ticket, "note", **{"note-body": "x" * 100_001})
    assert response.status_code == 200
    assert "too long to keep" in response.content.decode()
    assert not Draft.objects.exists()


def test_garbage_in_the_file_names_is_ignored(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    for junk in ("not json", "{}", "[1, 2]", "null"):
        assert save(client, ticket, "reply", **{"reply-body": "x", "attachment_names": junk})
    assert Draft.objects.get().attachment_names == []


def test_an_unknown_box_is_not_found(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    assert save(client, ticket, "diary", body="x").status_code == 404
    assert client.post(f"/agent/tickets/{ticket.number}/draft/diary/discard/").status_code == 404


def test_discard_answers_with_the_emptied_box(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    save(client, ticket, "reply", **{"reply-body": "Throw me away"})
    response = client.post(f"/agent/tickets/{ticket.number}/draft/reply/discard/", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="reply-box"')
    assert "Throw me away" not in html and "Draft saved" not in html
    assert not Draft.objects.exists()
    # Without htmx: back to the page.
    response = client.post(f"/agent/tickets/{ticket.number}/draft/reply/discard/")
    assert response.status_code == 302


def test_hostile_drafts_stay_text(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    for payload in PAYLOADS:
        save(
            client,
            ticket,
            "reply",
            **{"reply-body": payload, "attachment_names": json.dumps([payload])},
        )
        html = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
        assert_inert(html, where=f"draft {payload!r}")
