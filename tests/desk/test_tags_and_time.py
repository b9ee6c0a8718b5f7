"""Tags and time spent in the agent workspace: the ticket page adds and removes tags and
logs time (htmx and plain posts), replies and notes carry minutes, errors are said and
change nothing, the queue filters by tag and its bulk bar tags many tickets, and hostile
tags stay text."""

import pytest

from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import EventKind, Tag, TicketEvent, TimeEntry
from tickets.selectors import ticket_tags
from tickets.services import MINUTES_INVALID, ticket_add_tag, ticket_log_time
from tickets.services.tags import TAG_BAD_CHARACTER, TAG_TOO_LONG

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(client, ticket) -> str:
    return client.get(f"/agent/tickets/{ticket.number}/").content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_an_agent_adds_and_removes_a_tag_on_the_page(client_for, desk, htmx):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    headers = HTMX if htmx else {}
    response = client.post(
        f"/agent/tickets/{ticket.number}/add-tag/", {"tag": "Printer"}, **headers
    )
    assert response.status_code == (200 if htmx else 302)
    if htmx:
        body = response.content.decode()
        assert 'id="ticket-aside" hx-swap-oob="true"' in body
        assert "Printer" in body and "Tag added." in body
    assert [t.name for t in ticket_tags(ticket=ticket)] == ["Printer"]
    html = _page(client, ticket)
    assert 'id="ticket-tags"' in html
    assert 'aria-label="Remove tag Printer"' in html
    assert "tagged the ticket Printer" in html

    response = client.post(
        f"/agent/tickets/{ticket.number}/remove-tag/", {"tag": "printer"}, **headers
    )
    assert response.status_code == (200 if htmx else 302)
    assert ticket_tags(ticket=ticket) == []
    assert "removed tag Printer" in _page(client, ticket)


def test_a_bad_tag_is_said_and_changes_nothing(client_for, desk):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    for name, message in (("x" * 60, TAG_TOO_LONG), ("a\u0007b", TAG_BAD_CHARACTER)):
        response = client.post(
            f"/agent/tickets/{ticket.number}/add-tag/", {"tag": name}, follow=True
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    response = client.post(f"/agent/tickets/{ticket.number}/add-tag/", {}, follow=True)
    assert response.status_code == 200
    assert not Tag.objects.exists()


def test_agents_of_other_departments_get_not_found(client_for, desk):
    ticket = desk.ticket()
    client = client_for(desk.sales_agent.user)
    for action, data in (("add-tag", {"tag": "x"}), ("log-time", {"minutes": "5"})):
        response = client.post(f"/agent/tickets/{ticket.number}/{action}/", data)
        assert response.status_code == 404
    assert not Tag.objects.exists() and not TimeEntry.objects.exists()


def test_hostile_tags_are_inert_on_the_ticket_page_and_in_the_queue(client_for, desk):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    added = 0
    for payload in PAYLOADS:
        response = client.post(f"/agent/tickets/{ticket.number}/add-tag/", {"tag": payload})
        assert response.status_code == 302
        added = len(ticket_tags(ticket=ticket))
        if added >= 30:
            break
    assert added >= 10
    assert_inert(_page(client, ticket))
    assert_inert(client.get("/agent/?view=all").content.decode())
    tag = ticket_tags(ticket=ticket)[0]
    assert_inert(client.get(f"/agent/?view=all&tag={tag.pk}").content.decode())


@pytest.mark.parametrize("htmx", [False, True])
def test_an_agent_logs_time_on_its_own(client_for, desk, htmx):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    headers = HTMX if htmx else {}
    response = client.post(
        f"/agent/tickets/{ticket.number}/log-time/",
        {"minutes": "90", "note": "Rebuilt the profile"},
        **headers,
    )
    assert response.status_code == (200 if htmx else 302)
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.minutes, entry.note, entry.agent) == (90, "Rebuilt the profile", desk.agent.user)
    html = _page(client, ticket)
    assert '<strong id="time-total">1 h 30 min</strong>' in html
    assert "logged 1 h 30 min spent" in html


def test_bad_minutes_are_said_and_log_nothing(client_for, desk):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    for minutes in ("0", "-3", "abc", "1441", ""):
        response = client.post(
            f"/agent/tickets/{ticket.number}/log-time/", {"minutes": minutes}, follow=True
        )
        assert response.status_code == 200
        assert MINUTES_INVALID in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_the_page_shows_the_total_per_agent(client_for, desk):
    ticket = desk.ticket()
    ticket_log_time(ticket=ticket, minutes=20, by=desk.agent.user)
    ticket_log_time(ticket=ticket, minutes=45, by=desk.manager.user)
    ticket_log_time(ticket=ticket, minutes=5, by=desk.agent.user)
    html = _page(client_for(desk.agent.user), ticket)
    assert '<strong id="time-total">1 h 10 min</strong>' in html
    table = html[html.index('class="table table-sm small mb-2 time-by-agent"') :]
    table = table[: table.index("</table>")]
    assert table.index("Kevin Benavides") < table.index("Ryan Howard")
    assert "45 min" in table and "25 min" in table


@pytest.mark.parametrize("box", ["reply", "note"])
def test_a_reply_or_note_carries_the_minutes_spent(client_for, desk, box):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    response = client.post(
        f"/agent/tickets/{ticket.number}/{box}/",
        {f"{box}-body": "Replaced the cable.", f"{box}-minutes": "35"},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get(ticket=ticket)
    assert entry.minutes == 35 and entry.entry.kind == box
    html = _page(client, ticket)
    assert f'name="{box}-minutes"' in html
    assert f"logged 35 min spent on a {box}" in html


def test_a_reply_with_bad_minutes_is_kept_and_not_sent(client_for, desk):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    response = client.post(
        f"/agent/tickets/{ticket.number}/reply/",
        {"reply-body": "Replaced the cable.", "reply-minutes": "0"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert MINUTES_INVALID in html and "Replaced the cable." in html
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TIME_LOGGED).exists()


def test_the_queue_filters_by_tag(client_for, desk):
    tagged = desk.ticket(subject="Tagged one")
    desk.ticket(subject="Plain one")
    tag = ticket_add_tag(ticket=tagged, name="VPN", by=desk.agent.user)
    client = client_for(desk.agent.user)
    html = client.get("/agent/?view=all").content.decode()
    assert 'name="tag"' in html and f'<option value="{tag.pk}">VPN</option>' in html
    html = client.get(f"/agent/?view=all&tag={tag.pk}").content.decode()
    assert "Tagged one" in html and "Plain one" not in html
    # A tag that is not offered is dropped, as any bad filter value is.
    html = client.get("/agent/?view=all&tag=nope").content.decode()
    assert "Tagged one" in html and "Plain one" in html


def test_the_bulk_bar_tags_the_selected_tickets(client_for, desk):
    first, second = desk.ticket(), desk.ticket()
    client = client_for(desk.agent.user)
    html = client.get("/agent/").content.decode()
    assert '<option value="add-tag">Add tag…</option>' in html
    assert 'id="bulk-tag"' in html
    response = client.post(
        "/agent/bulk/",
        {"tickets": [first.number, second.number], "action": "add-tag", "tag": "Outage"},
        follow=True,
    )
    assert "2 tickets updated" in response.content.decode()
    assert [t.name for t in ticket_tags(ticket=first)] == ["Outage"]
    response = client.post(
        "/agent/bulk/",
        {"tickets": [first.number], "action": "remove-tag", "tag": "outage"},
        follow=True,
    )
    assert ticket_tags(ticket=first) == []
    assert [t.name for t in ticket_tags(ticket=second)] == ["Outage"]
    response = client.post(
        "/agent/bulk/", {"tickets": [first.number], "action": "add-tag", "tag": ""}, follow=True
    )
    assert "Type a tag." in response.content.decode()


def test_the_queue_shows_each_tickets_tags_as_chips_linking_to_the_filter(client_for, desk):
    vpn_ticket = desk.ticket(subject="VPN drops")
    desk.ticket(subject="Untagged one")
    vpn = ticket_add_tag(ticket=vpn_ticket, name="VPN", by=desk.agent.user)
    hostile = ticket_add_tag(ticket=vpn_ticket, name="<b>a&b</b>", by=desk.agent.user)
    client = client_for(desk.agent.user)

    html = client.get("/agent/?view=all").content.decode()

    assert ">Tags</th>" in html
    row = html[html.index(f'id="pick-{vpn_ticket.number}"') :]
    row = row[: row.index("</tr>")]
    cell = row[row.index('<td class="queue-tags">') :]
    # By name, case-insensitively ("<" sorts before "V"); the name is text, never markup.
    assert cell.index("&lt;b&gt;a&amp;b&lt;/b&gt;") < cell.index(">VPN</a>")
    assert "<b>a&b</b>" not in html
    assert f'href="/agent/?view=all&amp;tag={vpn.pk}" title="Tickets tagged VPN">VPN</a>' in cell
    assert f"tag={hostile.pk}" in cell
    untagged = html[html.index("Untagged one") :]
    assert '<td class="queue-tags"></td>' in untagged[: untagged.index("</tr>")]

    # The chip's link is the queue filtered by that tag.
    html = client.get(f"/agent/?view=all&tag={vpn.pk}").content.decode()
    assert "VPN drops" in html and "Untagged one" not in html
