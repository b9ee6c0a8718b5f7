"""Admins manage tags in the Django admin: rename (case-insensitive names stay unique),
delete (each ticket's history says so) and merge (choose the one to keep; one
transaction); time entries are shown, never written there."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from tests.support.admin_helpers import admin_url
from tickets.models import EventKind, Tag, TicketEvent, TimeEntry
from tickets.selectors import ticket_tags
from tickets.services import ticket_add_tag, ticket_log_time
from tickets.services.tags import TAG_BAD_CHARACTER, TAG_NAME_TAKEN

pytestmark = pytest.mark.django_db


def test_the_list_counts_each_tags_tickets(admin_client, desk):
    for _ in range(2):
        ticket_add_tag(ticket=desk.ticket(), name="VPN", by=desk.agent.user)
    html = admin_client.get(admin_url(Tag, "changelist")).content.decode()
    assert "VPN" in html and '<td class="field-ticket_count">2</td>' in html


def test_an_admin_renames_a_tag(admin_client, desk):
    ticket = desk.ticket()
    tag = ticket_add_tag(ticket=ticket, name="vpn", by=desk.agent.user)
    response = admin_client.post(admin_url(Tag, "change", tag.pk), {"name": "VPN"})
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.name == "VPN"


def test_a_rename_to_another_tags_name_or_a_bad_name_is_refused(admin_client, desk):
    ticket_add_tag(ticket=desk.ticket(), name="Printer", by=desk.agent.user)
    tag = Tag.objects.create(name="toner")
    response = admin_client.post(admin_url(Tag, "change", tag.pk), {"name": "PRINTER"})
    assert response.status_code == 200
    assert TAG_NAME_TAKEN.format(name="Printer") in response.content.decode()
    response = admin_client.post(admin_url(Tag, "change", tag.pk), {"name": "a\nb"})
    assert TAG_BAD_CHARACTER in response.content.decode()
    tag.refresh_from_db()
    assert tag.name == "toner"


def test_merge_asks_which_tag_to_keep_then_merges(admin_client, desk):
    a, b = desk.ticket(), desk.ticket()
    vpn = ticket_add_tag(ticket=a, name="VPN", by=desk.agent.user)
    other = ticket_add_tag(ticket=b, name="vpn access", by=desk.agent.user)
    url = admin_url(Tag, "changelist")
    selected = {"action": "merge_tags", ACTION_CHECKBOX_NAME: [vpn.pk, other.pk]}
    response = admin_client.post(url, selected)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="target"' in html and "vpn access (1 ticket)" in html
    response = admin_client.post(url, {**selected, "apply": "1", "target": vpn.pk}, follow=True)
    assert "Merged 1 tag into VPN; 1 ticket(s) changed." in response.content.decode()
    assert list(Tag.objects.values_list("name", flat=True)) == ["VPN"]
    assert [t.name for t in ticket_tags(ticket=b)] == ["VPN"]
    assert TicketEvent.objects.filter(ticket=b, kind=EventKind.TAG_ADDED).last().data[
        "merged_from"
    ] == {"id": other.pk, "name": "vpn access"}


def test_merge_needs_two_tags(admin_client, desk):
    tag = Tag.objects.create(name="only")
    response = admin_client.post(
        admin_url(Tag, "changelist"),
        {"action": "merge_tags", ACTION_CHECKBOX_NAME: [tag.pk]},
        follow=True,
    )
    assert "Select at least two tags to merge." in response.content.decode()


def test_deleting_tags_records_each_tickets_change(admin_client, desk):
    ticket = desk.ticket()
    tag = ticket_add_tag(ticket=ticket, name="old", by=desk.agent.user)
    response = admin_client.post(
        admin_url(Tag, "changelist"),
        {"action": "delete_tags", ACTION_CHECKBOX_NAME: [tag.pk]},
        follow=True,
    )
    assert "Deleted 1 tag; 1 ticket(s) changed." in response.content.decode()
    assert not Tag.objects.exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAG_REMOVED).exists()


def test_time_entries_are_shown_not_written(admin_client, desk):
    ticket = desk.ticket()
    entry = ticket_log_time(ticket=ticket, minutes=5, note="Checked", by=desk.agent.user)
    html = admin_client.get(admin_url(TimeEntry, "changelist")).content.decode()
    assert f"#{ticket.number}" in html and "Checked" in html
    assert admin_client.get(admin_url(TimeEntry, "add")).status_code == 403
    response = admin_client.post(admin_url(TimeEntry, "change", entry.pk), {"minutes": 9})
    assert response.status_code == 403
