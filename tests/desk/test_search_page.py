"""The search page: results with why they matched, for the agent's departments."""

import pytest

pytestmark = pytest.mark.postgres


def test_search_page(desk, client_for):
    ticket = desk.ticket(subject="Printer jams")
    html = client_for(desk.agent.user).get("/agent/search/?q=print").content.decode()
    assert f"/agent/tickets/{ticket.number}/" in html
    assert "1 matching ticket" in html
