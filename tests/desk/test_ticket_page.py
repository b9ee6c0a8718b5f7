"""The ticket page: header and clocks, one timeline, reply and note boxes, every action."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.support.factories import CannedResponseFactory
from tickets.clocks import sla_sweep
from tickets.models import EntryKind, EventKind, Priority, Status, ThreadEntry
from tickets.outbox import notifications_send_pending
from tickets.services import (
    ticket_add_message,
    ticket_add_note,
    ticket_claim,
    ticket_reply,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def ticket(desk):
    return desk.ticket()


def page(client, ticket) -> str:
    response = client.get(f"/agent/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_timeline_shows_messages_replies_notes_and_events_in_order(desk, ticket, client_for):
    user = desk.agent.user
    ticket_claim(ticket=ticket, by=user)
    ticket_add_note(ticket=ticket, body="Checked the server: fine.", by=user)
    ticket_reply(ticket=ticket, body="Looking into it, Jim.", by=user)
    html = page(client_for(user), ticket)
    order = [
        html.index("We cannot log in to the CRM."),
        html.index("claimed the ticket"),
        html.index("Checked the server: fine."),
        html.index("Looking into it, Jim."),
    ]
    assert order == sorted(order)
    assert "Internal note</span>" in html and "Sent to requester</span>" in html
    # The two boxes are separate forms with separate buttons and headings.
    assert "Send reply to requester" in html and "Add internal note" in html
    assert "Internal note — only agents see this; never sent" in html


def test_header_shows_each_clock_amber_when_warned_red_when_breached(desk, client_for):
    start = timezone.now() - dt.timedelta(minutes=61)
    with time_machine.travel(start, tick=False):
        ticket = desk.ticket()  # Standard: first response 60 min, resolution 480 min
    sla_sweep()  # first response breached
    html = page(client_for(desk.agent.user), ticket)
    assert "sla sla-breached" in html and "First response: " in html and "overdue" in html
    assert "Resolution: " in html

    with time_machine.travel(timezone.now() - dt.timedelta(minutes=50), tick=False):
        warned = desk.ticket(subject="Warned")
    sla_sweep()
    html = page(client_for(desk.agent.user), warned)
    assert "sla sla-warning" in html and "at risk" in html


def test_reply_is_sent_and_note_is_not(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    client.post(
        f"/agent/tickets/{ticket.number}/reply/",
        {"reply-body": "We are on it.", "reply-last_seen_entry": ""},
    )
    client.post(f"/agent/tickets/{ticket.number}/note/", {"note-body": "Server is fine."})
    kinds = list(ThreadEntry.objects.filter(ticket=ticket).values_list("kind", "body"))
    assert kinds[1:] == [(EntryKind.REPLY, "We are on it."), (EntryKind.NOTE, "Server is fine.")]


def test_a_reply_written_while_the_requester_wrote_is_held_back(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    html = page(client, ticket)
    seen = ThreadEntry.objects.filter(ticket=ticket).latest("id").pk
    assert f'name="reply-last_seen_entry" value="{seen}"' in html

    ticket_add_message(ticket=ticket, body="Actually it works again!", by=desk.requester)
    response = client.post(
        f"/agent/tickets/{ticket.number}/reply/",
        {"reply-body": "Please restart the CRM.", "reply-last_seen_entry": seen},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "your reply was not sent" in html
    assert "Please restart the CRM.</textarea>" in html  # nothing typed is lost
    assert "Actually it works again!" in html  # the new message is on screen now
    assert not ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).exists()

    # Having seen it, the agent sends again and it goes.
    newest = ThreadEntry.objects.filter(ticket=ticket).latest("id").pk
    assert f'name="reply-last_seen_entry" value="{newest}"' in html
    client.post(
        f"/agent/tickets/{ticket.number}/reply/",
        {"reply-body": "Great, closing then.", "reply-last_seen_entry": newest},
    )
    assert ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 1


def test_empty_reply_is_a_form_error_not_a_crash(desk, ticket, client_for):
    response = client_for(desk.agent.user).post(
        f"/agent/tickets/{ticket.number}/reply/", {"reply-body": "  "}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_canned_response_prefills_the_reply_without_javascript(desk, ticket, client_for):
    canned = CannedResponseFactory(
        title="Restart", body="Please restart & tell us.", department=desk.it
    )
    CannedResponseFactory(title="Sales only", department=desk.sales)
    client = client_for(desk.agent.user)
    html = page(client, ticket)
    assert 'data-body="Please restart &amp; tell us."' in html
    assert "Sales only" not in html
    html = client.get(f"/agent/tickets/{ticket.number}/?canned={canned.pk}").content.decode()
    assert "Please restart &amp; tell us.</textarea>" in html


def test_every_action_through_the_page(desk, ticket, client_for):
    manager = client_for(desk.manager.user)
    agent = client_for(desk.agent.user)
    url = f"/agent/tickets/{ticket.number}"

    def state():
        ticket.refresh_from_db()
        return ticket

    agent.post(f"{url}/claim/")
    assert state().assignee_id == desk.agent.pk
    manager.post(f"{url}/assign/", {"agent": desk.manager.pk})
    assert state().assignee_id == desk.manager.pk
    agent.post(f"{url}/priority/", {"priority": Priority.URGENT})
    assert state().priority == Priority.URGENT
    agent.post(f"{url}/plan/", {"plan": desk.critical.pk})
    assert state().sla_plan_id == desk.critical.pk
    agent.post(f"{url}/pending/")
    assert state().status == Status.PENDING
    agent.post(f"{url}/open/")
    assert state().status == Status.OPEN
    agent.post(f"{url}/resolve/")
    assert state().status == Status.RESOLVED
    agent.post(f"{url}/reopen/")
    assert state().status == Status.OPEN
    agent.post(f"{url}/close/")
    assert state().status == Status.CLOSED
    kinds = list(ticket.events.values_list("kind", flat=True))
    for kind in [
        EventKind.CLAIMED,
        EventKind.ASSIGNED,
        EventKind.PRIORITY_CHANGED,
        EventKind.PLAN_CHANGED,
        EventKind.REOPENED,
    ]:
        assert kind in kinds
    html = page(agent, ticket)
    assert "Send reply to requester" not in html  # closed: no reply box, no actions
    assert "Set priority" not in html


def test_transfer_moves_the_ticket_out_of_reach(desk, ticket, client_for):
    agent = client_for(desk.agent.user)
    response = agent.post(
        f"/agent/tickets/{ticket.number}/transfer/", {"department": desk.sales.pk}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.department_id == desk.sales.pk
    assert agent.get(response["Location"]).status_code == 404


def test_buttons_follow_the_transition_table(desk, ticket, client_for):
    client = client_for(desk.agent.user)
    html = page(client, ticket)
    assert ">Set pending<" in html and ">Resolve<" in html and ">Close<" in html
    assert ">Reopen<" not in html and ">Back to open<" not in html
    client.post(f"/agent/tickets/{ticket.number}/resolve/")
    html = page(client, ticket)
    assert ">Reopen<" in html and ">Resolve<" not in html


def test_an_action_refused_by_the_service_says_why(desk, ticket, client_for):
    ticket_claim(ticket=ticket, by=desk.manager.user)
    response = client_for(desk.agent.user).post(
        f"/agent/tickets/{ticket.number}/claim/", follow=True
    )
    assert "already claimed by Kevin Benavides" in response.content.decode()


def _regions(html: str) -> set[str]:
    """The ids an htmx answer swaps, out of band."""
    return set(re.findall(r'id="([\w-]+)"[^>]*hx-swap-oob="true"', html))


CHANGED = {"ticket-messages", "ticket-header", "ticket-timeline", "ticket-aside", "presence-seen"}


def test_htmx_actions_answer_with_the_changed_regions_never_the_compose_boxes(
    desk, ticket, client_for
):
    client = client_for(desk.agent.user)
    n = ticket.number
    html = client.post(f"/agent/tickets/{n}/claim/", HTTP_HX_REQUEST="true").content.decode()
    assert _regions(html) == CHANGED
    assert 'id="ticket-body"' not in html and "You claimed the ticket." in html
    assert 'id="reply-box"' not in html and 'id="note-box"' not in html

    html = client.post(
        f"/agent/tickets/{n}/note/", {"note-body": "Checked"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert _regions(html) == CHANGED | {"note-box"}  # emptied; the reply box is left alone

    html = client.post(
        f"/agent/tickets/{n}/reply/", {"reply-body": "On it"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert _regions(html) == CHANGED | {"reply-box"}

    # Closing takes the reply box away: nothing can be answered any more.
    html = client.post(f"/agent/tickets/{n}/close/", HTTP_HX_REQUEST="true").content.decode()
    assert _regions(html) == CHANGED | {"reply-box"}
    assert "Send reply to requester" not in html


def test_requester_side_panel_lists_their_other_tickets(desk, ticket, client_for):
    other = desk.ticket(subject="Printer jam")
    sales = desk.ticket(subject="Sales secret", help_topic=None, department=desk.sales)
    html = page(client_for(desk.agent.user), ticket)
    assert f"#{other.number} Printer jam" in html
    assert "Sales secret" not in html and str(sales.number) not in html.split("Other tickets")[1]


def _ticket_page_queries(desk, client_for, django_assert_num_queries, rounds, expected):
    ticket = desk.ticket()
    user = desk.manager.user
    ticket_claim(ticket=ticket, by=user)
    for i in range(rounds):
        ticket_add_note(ticket=ticket, body=f"note {i}", by=user)
        ticket_reply(ticket=ticket, body=f"reply {i}", by=user)
        ticket_add_message(ticket=ticket, body=f"message {i}", by=desk.requester)
        desk.ticket(subject=f"Other {i}")
    CannedResponseFactory.create_batch(rounds + 1, department=desk.it)
    client = client_for(user)
    with django_assert_num_queries(expected):
        assert client.get(f"/agent/tickets/{ticket.number}/").status_code == 200


# Session, user, agent, memberships, ticket, entries, attachments, events, clocks, canned
# responses, other tickets, manager check, the agent's drafts, collaborators, bounced
# addresses (mail stops), assignable agents, departments, plans; the user's and their
# groups' permissions (the desk's "API keys" link).
# Tasks: the ticket's tasks (one query, tickets/selectors/tasks.py).
# + custom fields; + tasks; + merge and links (2); + tags and time spent (2);
# + knowledge base (articles sent)
TICKET_PAGE_QUERIES = 27


@pytest.mark.parametrize("rounds", [1, 8])
def test_ticket_page_queries_do_not_grow_with_the_thread(
    desk, client_for, django_assert_num_queries, rounds
):
    _ticket_page_queries(desk, client_for, django_assert_num_queries, rounds, TICKET_PAGE_QUERIES)


def test_notifications_reach_agents_from_the_pages(desk, client_for):
    """New ticket -> department's agents; assigned -> assignee; requester replied -> assignee."""
    ticket = desk.ticket()
    client_for(desk.manager.user).post(
        f"/agent/tickets/{ticket.number}/assign/", {"agent": desk.agent.pk}
    )
    ticket_add_message(ticket=ticket, body="Any news?", by=desk.requester)
    notifications_send_pending()
    agents = {desk.manager.user.email, desk.agent.user.email}
    sent = sorted((m.to[0], m.subject) for m in mail.outbox if m.to[0] in agents)
    n = ticket.number
    assert sent == sorted(
        [
            (desk.manager.user.email, f"[#{n}] New ticket in IT: CRM is down"),
            (desk.agent.user.email, f"[#{n}] New ticket in IT: CRM is down"),
            (desk.agent.user.email, f"[#{n}] Assigned to you: CRM is down"),
            (desk.agent.user.email, f"[#{n}] Jim Halpert replied: CRM is down"),
        ]
    )
    assert desk.sales_agent.user.email not in {m.to[0] for m in mail.outbox}


def test_every_kind_of_event_reads_as_a_sentence_from_its_data(desk, client_for):
    """The timeline reads TicketEvent.data: the sentences are the ones it always showed."""
    from tests.support.factories import DepartmentFactory
    from tickets.services import (
        ticket_assign,
        ticket_close,
        ticket_reopen,
        ticket_resolve,
        ticket_revoke_access_link,
        ticket_set_open,
        ticket_set_pending,
        ticket_set_plan,
        ticket_set_priority,
        ticket_transfer,
    )

    escalations = DepartmentFactory(name="Escalations")
    desk.standard.escalate_to_department = escalations
    desk.standard.escalate_notify_assignee = True
    desk.standard.save()
    kevin, ryan = desk.manager.user, desk.agent.user
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = desk.ticket()
        ticket_claim(ticket=ticket, by=ryan)
        ticket_assign(ticket=ticket, agent=desk.manager, by=kevin)
        ticket_set_priority(ticket=ticket, priority=Priority.URGENT, by=kevin)
        ticket_set_pending(ticket=ticket, by=kevin)
        ticket_set_open(ticket=ticket, by=kevin)
        ticket_revoke_access_link(ticket=ticket, by=kevin)
    sla_sweep(now=start + dt.timedelta(hours=2))  # Standard's first response: 60 minutes
    kevin.agent.memberships.create(department=escalations)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        ticket_transfer(ticket=ticket, department=desk.it, by=kevin)
        ticket_set_plan(ticket=ticket, plan=desk.critical, by=kevin)
        ticket_resolve(ticket=ticket, by=kevin)
        ticket_reopen(ticket=ticket, by=kevin)
        ticket_close(ticket=ticket, by=kevin)

    html = page(client_for(kevin), ticket)

    expected = [
        "Ryan Howard</strong> claimed the ticket",
        "Kevin Benavides</strong> assigned the ticket to Kevin Benavides (was Ryan Howard)",
        "Kevin Benavides</strong> changed the priority from High to Urgent",
        "Kevin Benavides</strong> changed the status from Open to Pending",
        "Kevin Benavides</strong> changed the status from Pending to Open",
        "Kevin Benavides</strong> revoked the requester&#x27;s private link",
        "System</strong> SLA warning: the first response target is at risk",
        "System</strong> SLA breached: the first response target was missed",
        # Kevin does not work in Escalations: the transfer lets him go, so there is no
        # assignee left to notify.
        "System</strong> unassigned Kevin Benavides",
        "System</strong> transferred the ticket from IT to Escalations",
        "System</strong> escalated: Transferred to Escalations",
        "Kevin Benavides</strong> transferred the ticket from Escalations to IT",
        "Kevin Benavides</strong> changed the SLA plan from Standard to Critical",
        "Kevin Benavides</strong> changed the status from Open to Resolved",
        "Kevin Benavides</strong> reopened the ticket",
        "Kevin Benavides</strong> changed the status from Open to Closed",
    ]
    positions = [html.find(sentence) for sentence in expected]
    assert -1 not in positions, [s for s, p in zip(expected, positions, strict=True) if p < 0]
    assert positions == sorted(positions)  # in the order they happened
