"""The reports dashboard's satisfaction and help-centre cards: CSAT of the period and
filters (good / (good + bad)), the deflection funnel of the period, each linking to the
page that lists what is behind it."""

import datetime

import pytest
from django.utils import timezone

from kb.selectors import deflection_funnel
from kb.services import article_record_view, search_record, views_link_ticket
from reports.figures import period_of, report_help_centre
from tests.desk.test_satisfaction import rate
from tests.support.inert import assert_inert

pytestmark = pytest.mark.django_db

URL = "/agent/reports/"


def _card(page: str, card_id: str) -> str:
    start = page.index(f'id="{card_id}"')
    return page[start : page.index("</div>", start)]


def test_the_csat_card_counts_the_periods_ratings_for_the_filters(desk, client_for):
    rate(desk, "good")
    rate(desk, "good")
    rate(desk, "bad")
    client = client_for(desk.manager.user)
    response = client.get(URL, {"period": "last_7"})
    assert response.status_code == 200
    csat = response.context["csat"]
    assert (csat.good, csat.bad) == (2, 1)
    card = _card(response.content.decode(), "report-csat")
    assert ">67%</a>" in card
    assert "2 good of 3 ratings" in card
    assert 'href="/agent/reports/satisfaction/?days=7"' in card
    assert_inert(response.content.decode().split('id="report-kb-csat"')[1])
    # A filter none of these tickets match (they have a help topic): no ratings.
    other = client.get(URL, {"period": "last_7", "help_topic": "none"})
    assert other.status_code == 200, other.content
    assert (other.context["csat"].good, other.context["csat"].bad) == (0, 0)
    assert "—</a>" in _card(other.content.decode(), "report-csat")


def test_ratings_of_other_departments_and_periods_are_left_out(desk, client_for):
    rate(desk, "good")
    # The Sales agent's reports cover Sales only.
    sales = client_for(desk.sales_agent.user).get(URL, {"period": "last_7"})
    assert (sales.context["csat"].good, sales.context["csat"].bad) == (0, 0)
    last_month = client_for(desk.manager.user).get(URL, {"period": "last_month"})
    assert last_month.context["csat"].rated == 0
    assert 'href="/agent/reports/satisfaction/"' in _card(
        last_month.content.decode(), "report-csat"
    )


def test_the_help_centre_card_shows_the_deflection_funnel(kb, desk, client_for):
    for visitor in ("a", "b", "c"):
        search_record(visitor=visitor, source="search", query="monitor", results=1)
    read = [
        article_record_view(article=kb.published, visitor=visitor, source="search")
        for visitor in ("a", "b")
    ]
    views_link_ticket(visitor="b", ticket=desk.ticket())
    for view in read:  # their 24 hours have passed
        view.created_at = timezone.now() - datetime.timedelta(days=2)
        view.save(update_fields=["created_at"])
    article_record_view(article=kb.published, visitor="c", source="search")  # undecided
    response = client_for(desk.agent.user).get(URL, {"period": "last_7"})
    funnel = response.context["help_centre"]
    assert (funnel.searches, funnel.reading_visitors) == (3, 3)
    assert (funnel.ticket_visitors, funnel.deflected_visitors, funnel.undecided_visitors) == (
        1,
        1,
        1,
    )
    page = response.content.decode()
    assert ">3</a>" in _card(page, "report-help-searches")
    assert ">3</a>" in _card(page, "report-help-readers")
    deflected = _card(page, "report-help-deflected")
    assert ">1</a>" in deflected and "50%" in deflected and "1 still undecided" in deflected
    assert 'href="/agent/kb/figures/?days=7"' in deflected


def test_the_funnel_keeps_to_its_period(kb, desk):
    search_record(visitor="a", source="search", query="monitor", results=1)
    article_record_view(article=kb.published, visitor="a", source="search")
    now = timezone.now()
    zone = timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    earlier = period_of(
        preset="custom",
        zone=zone,
        today=today,
        first_day=today - datetime.timedelta(days=20),
        last_day=today - datetime.timedelta(days=10),
    )
    assert report_help_centre(period=earlier, now=now).searches == 0
    assert deflection_funnel(since=now - datetime.timedelta(days=1)).searches == 1
    before = deflection_funnel(
        since=now - datetime.timedelta(days=1), until=now - datetime.timedelta(hours=1)
    )
    assert before.searches == 0
