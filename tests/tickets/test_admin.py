"""Tickets in the admin: readable, never writable, cheap to list, and safe to display."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from tests.support.admin_helpers import admin_url
from tests.support.factories import AgentFactory, HelpTopicFactory, SLAPlanFactory, UserFactory
from tests.support.hostile import PAYLOADS
from tickets.clocks import sla_sweep
from tickets.models import (
    Attachment,
    CannedResponse,
    HelpTopic,
    Notification,
    SLAClock,
    Ticket,
    TicketEvent,
)
from tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_claim,
    ticket_reply,
    ticket_resolve,
    ticket_set_plan,
)

pytestmark = pytest.mark.django_db


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.fixture
def worked_ticket(desk):
    """CRM down: claimed, re-planned, noted, answered and resolved, as in the seed story."""
    ticket = desk.ticket()
    ticket_claim(ticket=ticket, by=desk.manager.user)
    ticket_set_plan(ticket=ticket, plan=desk.critical, by=desk.manager.user)
    ticket_add_note(ticket=ticket, body="Ruled out an internet outage.", by=desk.manager.user)
    ticket_reply(ticket=ticket, body="The CRM vendor is updating it.", by=desk.manager.user)
    ticket_resolve(ticket=ticket, by=desk.manager.user)
    ticket.refresh_from_db()
    return ticket


class TestTicketPage:
    def test_shows_the_ticket_with_thread_and_events(self, admin_client, worked_ticket):
        response = admin_client.get(admin_url(Ticket, "change", worked_ticket.pk))

        assert response.status_code == 200
        content = response.content.decode()
        assert "CRM is down" in content
        assert "We cannot log in to the CRM." in content
        assert "Ruled out an internet outage." in content
        assert "The CRM vendor is updating it." in content
        for kind in ["Created", "Claimed", "SLA plan changed", "Status changed"]:
            assert kind in content, kind
        assert "Critical" in content
        assert "Kevin Benavides" in content

    def test_events_show_their_old_and_new_values_from_the_data(self, admin_client, worked_ticket):
        response = admin_client.get(admin_url(Ticket, "change", worked_ticket.pk))

        events = next(
            formset
            for formset in response.context["inline_admin_formsets"]
            if formset.opts.model is TicketEvent
        )
        shown = [
            (
                form.original.kind,
                events.opts.old_value(form.original),
                events.opts.new_value(form.original),
            )
            for form in events
        ]
        assert shown == [
            ("created", "", "open"),
            ("claimed", "", "Kevin Benavides"),
            ("plan_changed", "Standard", "Critical"),
            ("status_changed", "open", "resolved"),
        ]
        content = " ".join(response.content.decode().split())
        assert '<td class="field-old_value"> <p>Standard</p> </td>' in content
        assert '<td class="field-new_value"> <p>Critical</p> </td>' in content

    def test_shows_sla_clocks(self, admin_client, worked_ticket):
        response = admin_client.get(admin_url(Ticket, "change", worked_ticket.pk))

        clocks = next(
            formset
            for formset in response.context["inline_admin_formsets"]
            if formset.opts.model is SLAClock
        )
        kinds = {form.original.kind for form in clocks}
        assert {"first_response", "resolution"} <= kinds

    def test_shows_attachments_without_serving_the_file(
        self, admin_client, desk, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        ticket = desk.ticket()
        entry = ticket.entries.get()
        data = b"%PDF-1.4 invoice"
        # No attachment service exists yet; the row is what the intake form will store.
        Attachment.objects.create(
            ticket=ticket,
            entry=entry,
            file=SimpleUploadedFile("invoice.pdf", data),
            token="t0k3n",
            filename="invoice.pdf",
            content_type="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )

        content = admin_client.get(admin_url(Ticket, "change", ticket.pk)).content.decode()

        assert "invoice.pdf" in content
        assert "application/pdf" in content
        assert "/media-not-served/" not in content

    def test_page_queries_do_not_grow_with_the_thread(self, admin_client, desk):
        ticket = desk.ticket()
        ticket_claim(ticket=ticket, by=desk.agent.user)
        url = admin_url(Ticket, "change", ticket.pk)
        few = count_queries(admin_client, url)

        for n in range(5):
            ticket_reply(ticket=ticket, body=f"Reply {n}", by=desk.agent.user)
            ticket_add_note(ticket=ticket, body=f"Note {n}", by=desk.manager.user)
        ticket_assign(ticket=ticket, agent=desk.manager, by=desk.manager.user)

        assert count_queries(admin_client, url) == few


class TestTicketsAreReadOnly:
    def test_no_add(self, admin_client, desk):
        assert admin_client.get(admin_url(Ticket, "add")).status_code == 403
        response = admin_client.post(
            admin_url(Ticket, "add"),
            {"subject": "Sneaky", "requester": desk.requester.pk, "department": desk.it.pk},
        )
        assert response.status_code == 403
        assert not Ticket.objects.exists()

    def test_change_page_offers_no_inputs_or_save(self, admin_client, worked_ticket):
        response = admin_client.get(admin_url(Ticket, "change", worked_ticket.pk))

        content = response.content.decode()
        assert 'name="subject"' not in content
        assert 'name="_save"' not in content
        assert "<textarea" not in content
        assert response.context["has_change_permission"] is False
        assert response.context["has_delete_permission"] is False
        for formset in response.context["inline_admin_formsets"]:
            assert not formset.has_add_permission
            assert not formset.has_change_permission
            assert not formset.has_delete_permission

    def test_post_to_change_is_refused(self, admin_client, worked_ticket):
        entry = worked_ticket.entries.first()

        response = admin_client.post(
            admin_url(Ticket, "change", worked_ticket.pk),
            {
                "subject": "Changed behind the services' back",
                "status": "open",
                "entries-TOTAL_FORMS": "1",
                "entries-INITIAL_FORMS": "1",
                "entries-0-id": entry.pk,
                "entries-0-body": "Rewritten history",
            },
        )

        assert response.status_code == 403
        worked_ticket.refresh_from_db()
        entry.refresh_from_db()
        assert worked_ticket.subject == "CRM is down"
        assert worked_ticket.status == "resolved"
        assert entry.body == "We cannot log in to the CRM."

    def test_no_delete(self, admin_client, worked_ticket):
        url = admin_url(Ticket, "delete", worked_ticket.pk)

        assert admin_client.get(url).status_code == 403
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
        response = admin_client.post(
            admin_url(Ticket, "changelist"),
            {"action": "delete_selected", "_selected_action": [worked_ticket.pk], "post": "yes"},
        )
        assert Ticket.objects.filter(pk=worked_ticket.pk).exists()
        changelist = admin_client.get(admin_url(Ticket, "changelist"))
        assert "delete_selected" not in changelist.content.decode()
        assert response.status_code in {200, 302}

    def test_staff_with_view_permission_can_read(self, client, worked_ticket):
        from django.contrib.auth.models import Permission

        staff = UserFactory(staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_ticket"))
        client.force_login(staff)

        assert client.get(admin_url(Ticket, "changelist")).status_code == 200
        assert client.get(admin_url(Ticket, "change", worked_ticket.pk)).status_code == 200


class TestTicketList:
    def test_changelist_queries_do_not_grow_with_tickets(self, admin_client, desk):
        url = admin_url(Ticket, "changelist")
        desk.ticket()
        desk.ticket(subject="Second")
        few = count_queries(admin_client, url)

        # Different requesters, topics, plans and assignees, so nothing is cached by chance.
        for n in range(8):
            agent = AgentFactory(departments=[desk.it])
            topic = HelpTopicFactory(department=desk.it, sla_plan=SLAPlanFactory())
            ticket = desk.ticket(requester=UserFactory(), subject=f"Ticket {n}", help_topic=topic)
            ticket_assign(ticket=ticket, agent=agent, by=desk.manager.user)

        assert Ticket.objects.count() == 10
        assert count_queries(admin_client, url) == few

    def test_sla_column_shows_state_and_due_time(self, admin_client, desk, worked_ticket):
        running = desk.ticket(subject="Still running")

        response = admin_client.get(admin_url(Ticket, "changelist"))

        content = response.content.decode()
        running.refresh_from_db()
        assert running.sla_state == "ok"
        assert "On track, due " in content
        # A resolved ticket has no running clock.
        assert worked_ticket.sla_state == "none"

    @pytest.mark.parametrize("term", ["{number}", "#{number}", " #{number} "])
    def test_search_by_number(self, admin_client, desk, term):
        ticket = desk.ticket(subject="Monitor flickering")
        desk.ticket(subject="Computer won't boot")

        response = admin_client.get(
            admin_url(Ticket, "changelist"), {"q": term.format(number=ticket.number)}
        )

        assert list(response.context["cl"].result_list) == [ticket]

    def test_search_by_subject_and_requester(self, admin_client, desk):
        crm = desk.ticket(subject="CRM is down")
        monitor = desk.ticket(subject="Monitor flickering", requester=desk.other_requester)

        def search(term):
            response = admin_client.get(admin_url(Ticket, "changelist"), {"q": term})
            return list(response.context["cl"].result_list)

        assert search("flicker") == [monitor]
        assert search("Angela") == [monitor]
        assert search(desk.requester.email) == [crm]

    def test_filter_by_status_assignee_and_plan(self, admin_client, desk, worked_ticket):
        other = desk.ticket(subject="Still open")
        ticket_claim(ticket=other, by=desk.agent.user)
        url = admin_url(Ticket, "changelist")

        def filtered(**params):
            return list(admin_client.get(url, params).context["cl"].result_list)

        assert filtered(status__exact="resolved") == [worked_ticket]
        assert filtered(assignee__id__exact=desk.agent.pk) == [other]
        assert filtered(sla_plan__id__exact=desk.critical.pk) == [worked_ticket]


class TestNotificationOutbox:
    @pytest.fixture
    def notification(self, desk):
        ticket = desk.ticket()
        ticket_claim(ticket=ticket, by=desk.agent.user)
        sla_sweep(now=timezone.now() + datetime.timedelta(days=30))
        return Notification.objects.filter(kind=Notification.Kind.SLA_BREACHED).first()

    def test_readable_not_writable(self, admin_client, notification):
        url = admin_url(Notification, "change", notification.pk)

        assert admin_client.get(url).status_code == 200
        assert admin_client.post(url, {"attempts": "0", "last_error": ""}).status_code == 403
        assert admin_client.get(admin_url(Notification, "add")).status_code == 403
        delete_url = admin_url(Notification, "delete", notification.pk)
        assert admin_client.get(delete_url).status_code == 403

    def test_filter_unsent_and_search_by_ticket_number(self, admin_client, notification):
        url = admin_url(Notification, "changelist")

        unsent = admin_client.get(url, {"sent": "no"}).context["cl"].result_list
        assert notification in unsent
        assert not admin_client.get(url, {"sent": "yes"}).context["cl"].result_list
        found = admin_client.get(url, {"q": f"#{notification.ticket.number}"})
        assert notification in found.context["cl"].result_list


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_text_is_escaped_on_ticket_pages(admin_client, admin_user, desk, payload):
    desk.requester.display_name = payload[:150]
    desk.requester.save(update_fields=["display_name"])
    ticket = desk.ticket(subject=payload, body=payload)
    ticket_reply(ticket=ticket, body=payload, by=desk.agent.user)

    for url in [admin_url(Ticket, "change", ticket.pk), admin_url(Ticket, "changelist")]:
        content = admin_client.get(url).content.decode()
        assert escape(payload) in content, url
        if any(char in payload for char in "<>\"'"):
            assert payload not in content, url
    # Template syntax stays text: nothing was evaluated against the request.
    change_page = admin_client.get(admin_url(Ticket, "change", ticket.pk)).content.decode()
    assert admin_user.password not in change_page


@pytest.mark.parametrize(("model", "field"), [(HelpTopic, "name"), (CannedResponse, "title")])
def test_configuration_text_is_escaped_in_lists(admin_client, desk, model, field):
    payload = "<img src=x onerror=alert(1)>"
    if model is HelpTopic:
        HelpTopicFactory(name=payload, department=desk.it)
    else:
        CannedResponse.objects.create(title=payload, body=payload)

    content = admin_client.get(admin_url(model, "changelist")).content.decode()

    assert escape(payload) in content
    assert payload not in content
