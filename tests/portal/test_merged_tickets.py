"""A requester's view of a merged-away request: where it continues, and nothing more."""

import pytest

from tests.support.factories import UserFactory
from tickets.services import ticket_add_note, ticket_merge, ticket_remove_collaborator

pytestmark = pytest.mark.postgres


def test_the_requester_of_a_source_sees_where_it_continues_and_may_open_it(desk, client_for):
    target = desk.ticket(subject="CRM down for Jim")
    source = desk.ticket(requester=desk.other_requester, subject="CRM down for Angela")
    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    client = client_for(desk.other_requester)

    html = client.get(f"/tickets/{source.number}/").content.decode()
    assert "This request continues in" in html
    assert f'<a href="/tickets/{target.number}/">#{target.number}</a>' in html
    # Made a collaborator of the target by the merge: they may open it.
    html = client.get(f"/tickets/{target.number}/").content.decode()
    assert "CRM down for Jim" in html
    assert "We cannot log in to the CRM." in html


def test_no_link_to_a_target_the_requester_does_not_take_part_in(desk, client_for):
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    ticket_remove_collaborator(ticket=target, user=desk.other_requester, by=desk.agent.user)
    client = client_for(desk.other_requester)

    html = client.get(f"/tickets/{source.number}/").content.decode()
    assert f"This request continues in\n  #{target.number}" in html
    assert f'href="/tickets/{target.number}/"' not in html
    assert client.get(f"/tickets/{target.number}/").status_code == 404
    # And a stranger sees neither.
    stranger = client_for(UserFactory())
    assert stranger.get(f"/tickets/{source.number}/").status_code == 404
    assert stranger.get(f"/tickets/{target.number}/").status_code == 404


def test_internal_notes_of_a_source_stay_internal_on_the_target(desk, client_for):
    target = desk.ticket()
    source = desk.ticket(requester=desk.other_requester)
    ticket_add_note(
        ticket=source, body="Secret: Angela's password is on a sticky", by=desk.agent.user
    )
    ticket_merge(sources=[source], target=target, by=desk.agent.user)
    for user in (desk.requester, desk.other_requester):
        html = client_for(user).get(f"/tickets/{target.number}/").content.decode()
        assert "sticky" not in html
