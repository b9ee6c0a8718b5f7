"""Merging and links on the agent's pages: the confirmation page, the redirect of a merged
ticket, undo, links, resolving children, the bulk bar, and who may."""

import pytest

from tests.support.hostile import PAYLOADS
from tickets.models import EventKind, Status, TicketLink, TicketMerge
from tickets.services import (
    ticket_link,
    ticket_merge,
    ticket_resolve,
    ticket_transfer,
)

pytestmark = pytest.mark.postgres
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_merge_from_the_ticket_page_confirm_then_undo(desk, client_for):
    target = desk.ticket(subject="CRM down for Jim")
    source = desk.ticket(requester=desk.other_requester, subject="CRM down for Angela")
    client = client_for(desk.agent.user)

    page = client.get(f"/agent/tickets/{source.number}/").content.decode()
    assert 'id="merge-into"' in page

    confirm = client.get("/agent/merge/", {"sources": source.number, "into": target.number})
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert f"Merge 1 ticket into #{target.number}" in html
    assert "count neither as met nor as breached" in html
    assert not TicketMerge.objects.exists()  # a GET changes nothing

    done = client.post(
        "/agent/merge/", {"sources": source.number, "into": target.number}, follow=True
    )
    html = done.content.decode()
    assert done.redirect_chain[-1][0] == f"/agent/tickets/{target.number}/"
    assert f"Merged #{source.number} into #{target.number}" in html
    assert f"from #{source.number}" in html  # the moved message, marked
    assert "Undo merge" in html

    # The source's page leads to the target, saying so.
    response = client.get(f"/agent/tickets/{source.number}/", follow=True)
    assert response.redirect_chain == [(f"/agent/tickets/{target.number}/", 302)]
    assert f"Ticket #{source.number} was merged into #{target.number}" in (
        response.content.decode()
    )

    undone = client.post(f"/agent/tickets/{source.number}/undo-merge/", follow=True)
    assert undone.redirect_chain[-1][0] == f"/agent/tickets/{source.number}/"
    assert "Merge undone" in undone.content.decode()
    source.refresh_from_db()
    assert source.status == Status.OPEN and source.merged_into_id is None


def test_a_chain_of_merges_leads_to_the_last_ticket(desk, client_for):
    a, b, c = desk.ticket(), desk.ticket(), desk.ticket()
    ticket_merge(sources=[a], target=b, by=desk.agent.user)
    ticket_merge(sources=[b], target=c, by=desk.agent.user)
    response = client_for(desk.agent.user).get(f"/agent/tickets/{a.number}/")
    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{c.number}/"


def test_the_confirmation_page_says_what_cannot_be_done(desk, client_for):
    target, source = desk.ticket(), desk.ticket()
    client = client_for(desk.agent.user)

    html = client.get(
        "/agent/merge/", {"sources": target.number, "into": target.number}
    ).content.decode()
    assert "A ticket cannot be merged into itself." in html
    assert 'type="submit">Merge into' not in html

    response = client.post("/agent/merge/", {"sources": target.number, "into": target.number})
    assert response.status_code == 400
    assert not TicketMerge.objects.exists()

    response = client.get("/agent/merge/", {"sources": source.number, "into": "nope"}, follow=True)
    assert "Choose the tickets to merge" in response.content.decode()
    response = client.get("/agent/merge/", {"sources": source.number, "into": 999999}, follow=True)
    assert "No ticket #999999 in your departments." in response.content.decode()


def test_an_agent_outside_the_department_cannot_merge_or_undo(desk, client_for):
    target, source = desk.ticket(), desk.ticket()
    elsewhere = desk.ticket()
    ticket_transfer(ticket=elsewhere, department=desk.sales, by=desk.agent.user)
    client = client_for(desk.agent.user)

    response = client.post(
        "/agent/merge/", {"sources": elsewhere.number, "into": target.number}, follow=True
    )
    assert f"No ticket #{elsewhere.number} in your departments." in response.content.decode()
    assert not TicketMerge.objects.exists()

    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    sales = client_for(desk.sales_agent.user)
    assert sales.post(f"/agent/tickets/{source.number}/undo-merge/").status_code == 404
    assert sales.get(f"/agent/tickets/{source.number}/").status_code == 404
    assert client_for(desk.requester).get(f"/agent/tickets/{target.number}/").status_code == 403
    assert client_for(desk.requester).post("/agent/merge/", {}).status_code == 403
    source.refresh_from_db()
    assert source.merged_into_id == target.pk


def test_bulk_merge_goes_through_the_confirmation_page(desk, client_for):
    target = desk.ticket()
    sources = [desk.ticket(), desk.ticket()]
    client = client_for(desk.agent.user)
    response = client.post(
        "/agent/bulk/",
        {
            "tickets": [s.number for s in sources],
            "action": "merge",
            "target": target.number,
            "next": "/agent/",
        },
    )
    assert response.status_code == 302
    confirm = client.get(response["Location"]).content.decode()
    assert f"Merge 2 tickets into #{target.number}" in confirm

    response = client.post(
        "/agent/bulk/",
        {"tickets": [sources[0].number], "action": "merge", "next": "/agent/"},
        follow=True,
    )
    assert "Choose the ticket to merge them into" in response.content.decode()
    response = client.post(
        "/agent/bulk/",
        {"tickets": [sources[0].number], "action": "merge", "target": target.number},
        **HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/agent/merge/?")


def test_links_on_both_pages_added_and_removed(desk, client_for):
    parent, child = desk.ticket(subject="Office network down"), desk.ticket(subject="No Wi-Fi")
    client = client_for(desk.agent.user)

    html = client.post(
        f"/agent/tickets/{child.number}/link/",
        {"kind": "child_of", "ticket": parent.number},
        follow=True,
    ).content.decode()
    assert "Tickets linked." in html
    assert f'Child of <a href="/agent/tickets/{parent.number}/">#{parent.number}' in html
    html = client.get(f"/agent/tickets/{parent.number}/").content.decode()
    assert f'Parent of <a href="/agent/tickets/{child.number}/">#{child.number}' in html
    assert f"linked this ticket: parent of #{child.number}" in html

    html = client.post(
        f"/agent/tickets/{parent.number}/unlink/", {"ticket": child.number}, follow=True
    ).content.decode()
    assert "Link removed." in html
    assert not TicketLink.objects.exists()


def test_bad_link_input_is_a_clear_error(desk, client_for):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    for data, message in [
        ({"kind": "related", "ticket": ticket.number}, "cannot be linked to itself"),
        ({"kind": "related", "ticket": 424242}, "No ticket #424242 in your departments."),
        ({"kind": "sibling", "ticket": ticket.number}, "Select a valid choice"),
        ({"kind": "related", "ticket": "x"}, "Enter a whole number"),
    ]:
        response = client.post(f"/agent/tickets/{ticket.number}/link/", data, follow=True)
        assert response.status_code == 200
        assert message in response.content.decode()


def test_a_resolved_parent_offers_to_resolve_its_open_children(desk, client_for):
    by = desk.agent.user
    parent = desk.ticket()
    children = [desk.ticket(), desk.ticket()]
    for child in children:
        ticket_link(ticket=parent, other=child, kind="parent_of", by=by)
    client = client_for(by)
    assert (
        "open child ticket" not in client.get(f"/agent/tickets/{parent.number}/").content.decode()
    )

    ticket_resolve(ticket=parent, by=by)
    html = client.get(f"/agent/tickets/{parent.number}/").content.decode()
    assert "Resolve the 2 open child tickets" in html

    html = client.post(
        f"/agent/tickets/{parent.number}/resolve-children/", follow=True
    ).content.decode()
    assert "Open child tickets resolved." in html
    for child in children:
        child.refresh_from_db()
        assert child.status == Status.RESOLVED
        assert child.events.filter(kind=EventKind.STATUS_CHANGED).exists()


def test_hostile_subjects_stay_inert_on_the_merge_pages_and_links(desk, client_for):
    by = desk.agent.user
    target = desk.ticket(subject=PAYLOADS[0][:255])
    sources = [desk.ticket(subject=p[:255], body=p) for p in PAYLOADS[1:8]]
    client = client_for(by)
    pages = [
        client.get(
            "/agent/merge/", {"sources": [s.number for s in sources], "into": target.number}
        ).content.decode()
    ]
    ticket_link(ticket=target, other=sources[0], kind="related", by=by)
    ticket_merge(sources=sources[1:], target=target, by=by)
    pages.append(client.get(f"/agent/tickets/{target.number}/").content.decode())
    pages.append(client.get(f"/agent/tickets/{sources[0].number}/").content.decode())
    for html in pages:
        assert "<script>alert" not in html
        for tag in ("<img", "<svg", "<iframe", "<details", "<object", "<embed", "<meta http"):
            assert tag not in html
        assert 'href="javascript:' not in html.lower()
