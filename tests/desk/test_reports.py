"""The reports dashboard at /agent/reports/: figures on the page, every number's link to the
queue showing as many tickets, who may see what, clear errors, constant queries."""

import re
from html.parser import HTMLParser

import pytest
import time_machine

from reports.rollups.fill import rollups_refresh
from tests.reports.scenario import ny, office_weeks  # noqa: F401  (the fixture)
from tests.support.factories import HelpTopicFactory
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.services import ticket_claim, ticket_reply, ticket_resolve

pytestmark = pytest.mark.postgres

NOW = ny(15, 16, 30)  # Friday, after the scenario's last step; 21:30 in Paris
TWO_WEEKS = "/agent/reports/?period=custom&start=2024-03-04&end=2024-03-17"


class _Links(HTMLParser):
    """The dashboard's linked numbers: (href, data-count, text, classes)."""

    def __init__(self):
        super().__init__()
        self.links, self._open = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "data-count" in attrs:
            self._open = [attrs["href"], int(attrs["data-count"]), "", attrs.get("class", "")]

    def handle_data(self, data):
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append(tuple(self._open))
            self._open = None


def linked_numbers(html: str) -> list[tuple]:
    parser = _Links()
    parser.feed(html)
    return parser.links


QUEUE_COUNT = re.compile(r"(\d+)\+? tickets?( match(?:es)? these filters)?\s*· refreshed")


def queue_count(html: str) -> int:
    return int(QUEUE_COUNT.search(html).group(1))


@pytest.fixture
def paris_agent(desk):
    user = desk.agent.user
    user.time_zone = "Europe/Paris"
    user.save(update_fields=["time_zone"])
    return user


def test_the_page_shows_the_figures(office_weeks, paris_agent, client_for):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        response = client_for(paris_agent).get(TWO_WEEKS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "4 Mar 2024 to 17 Mar 2024" in html
    assert "days and times in Europe/Paris" in html
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "First response 50% 3 met · 3 breached" in text
    assert "Resolution 80% 4 met · 1 breached" in text
    # First response: business median 45 min, p90 87 min; calendar median 1 h.
    assert "Business time median 45m median · p90 1h 27m" in text
    assert "Calendar time median 1h 0m median" in text
    assert "Reopen rate 25%" in text
    assert "By department" in text and "By agent" in text and "Unassigned" in text
    assert "What the figures mean" in text


def test_every_number_opens_a_queue_of_as_many_tickets(
    office_weeks,  # noqa: F811
    paris_agent,
    client_for,
):
    client = client_for(paris_agent)
    with time_machine.travel(NOW, tick=False):
        html = client.get(TWO_WEEKS).content.decode()
        links = linked_numbers(html)
        assert len(links) > 100
        checked = 0
        for href, count, text, classes in links:
            if "count" in classes.split():
                assert text.strip() == str(count), href
            page = client.get(href)
            assert page.status_code == 200, href
            queue = page.content.decode()
            assert queue_count(queue) == count, (href, text)
            assert queue.count('name="tickets" value=') == count, href
            checked += 1
    assert checked == len(links)


def test_a_click_through_keeps_the_set_across_filter_changes(
    office_weeks,  # noqa: F811
    paris_agent,
    client_for,
):
    client = client_for(paris_agent)
    with time_machine.travel(NOW, tick=False):
        html = client.get(TWO_WEEKS).content.decode()
        href = next(h for h, c, t, k in linked_numbers(html) if "measure=sla_breached&" in h)
        queue = client.get(href).content.decode()
    assert "Tickets behind a report figure" in queue
    assert "First response: SLA breached" in queue
    assert 'name="measure" value="sla_breached"' in queue  # kept when a filter changes
    for subject in ("VPN down", "CRM slow", "Badge reader"):
        assert subject in queue
    assert "Outlook crashes" not in queue


def test_an_agent_sees_their_departments_only(office_weeks, desk, client_for):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        it = client_for(desk.agent.user).get(TWO_WEEKS).content.decode()
        sales = client_for(desk.sales_agent.user).get(TWO_WEEKS).content.decode()
        refused = client_for(desk.agent.user).get(f"{TWO_WEEKS}&department={desk.sales.pk}")
    assert "Quote for Dunmore" not in it
    assert '<th scope="row">IT</th>' in it and '<th scope="row">Sales</th>' not in it
    assert '<th scope="row">Sales</th>' in sales and '<th scope="row">IT</th>' not in sales
    # Another department is not a choice: an error, not somebody else's figures.
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()


def test_requesters_and_strangers_are_refused(desk, client_for):
    assert client_for(desk.requester).get("/agent/reports/").status_code == 403
    anonymous = client_for(None).get("/agent/reports/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "query, message",
    [
        ("period=custom&start=2024-03-10&end=2024-03-01", "The end date is before the start"),
        ("period=custom&start=2024-03-10", "Enter both a start and an end date"),
        ("period=custom&start=2020-01-01&end=2024-03-01", "at most 366 days"),
        ("period=custom&start=2024-13-01&end=2024-03-01", "Enter a valid date"),
        ("start=2099-01-01&end=2099-01-02", "The period starts in the future"),
        ("period=forever", "Select a valid choice"),
        ("priority=urgent", "Select a valid choice"),
        ("agent=%27%3B--", "Select a valid choice"),
    ],
)
def test_bad_input_is_a_clear_400(desk, client_for, query, message):
    response = client_for(desk.agent.user).get(f"/agent/reports/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "These figures cannot be shown" in html
    assert message in html


def test_a_damaged_report_link_is_a_400_on_the_queue(desk, client_for):
    client = client_for(desk.agent.user)
    for query in (
        "view=all&measure=sla_breached&start=2024-03-01T00:00:00%2B00:00&end=2024-03-02T00:00:00%2B00:00",
        "view=all&measure=created&start=yesterday",
        "view=all&measure=nonsense",
    ):
        response = client.get(f"/agent/?{query}")
        assert response.status_code == 400, query
        assert "This link from the reports is incomplete or damaged" in response.content.decode()


def _activity(desk, count):
    for i in range(count):
        with time_machine.travel(ny(12, 9 + i % 8, i % 60), tick=False):
            ticket = desk.ticket(subject=f"Q{i}")
            ticket_claim(ticket=ticket, by=desk.agent.user)
            ticket_reply(ticket=ticket, body="Done.", by=desk.agent.user, minutes=10)
            if i % 2:
                ticket_resolve(ticket=ticket, by=desk.agent.user)


# Session, user, agent, memberships; the filters' departments, topics, agents; now; the
# four flow queries, SLA, first response, both resolutions (live), or the filled hours,
# JIT off, the counts and the minutes in a transaction (a savepoint here: two more;
# rollups); the charts' SLA per week and first-response bands; the rows' department,
# topic and agent names; the user's and their groups' permissions (the desk's "API keys"
# link); the satisfaction card's ratings and the help centre's funnel (one each).
DASHBOARD_QUERIES = {"live": 27, "rollups": 24}  # rollups: the charts read with the figures


@pytest.mark.parametrize("figures", ["live", "rollups"])
@pytest.mark.parametrize("count", [2, 12])
def test_queries_do_not_grow_with_tickets(
    desk, client_for, django_assert_num_queries, settings, count, figures
):
    settings.REPORT_ROLLUPS = figures == "rollups"
    _activity(desk, count)
    if settings.REPORT_ROLLUPS:
        with time_machine.travel(ny(14, 12), tick=False):
            rollups_refresh(now=ny(14, 12))
    client = client_for(desk.manager.user)
    with (
        time_machine.travel(ny(14, 12), tick=False),
        django_assert_num_queries(DASHBOARD_QUERIES[figures]),
    ):
        response = client.get("/agent/reports/?period=last_7")
    assert response.status_code == 200
    assert f">{count}</a>" in response.content.decode()


def test_names_stay_text(desk, client_for):
    desk.agent.user.display_name = PAYLOADS[0][:150]
    desk.agent.user.save()
    for i, payload in enumerate(PAYLOADS[:20]):
        topic = HelpTopicFactory(name=f"{i} {payload}"[:100], department=desk.it)
        with time_machine.travel(ny(12, 10), tick=False):
            ticket = desk.ticket(subject=payload[:255], help_topic=topic)
            ticket_claim(ticket=ticket, by=desk.agent.user)
    with time_machine.travel(ny(14, 12), tick=False):
        html = client_for(desk.manager.user).get("/agent/reports/?period=last_7").content
    # The charts' own four <details> (assert_inert refuses the tag: payloads use its
    # ontoggle); any other would be a payload's.
    page = html.decode()
    ours = '<details class="chart-numbers">'
    assert page.count(ours) == 4
    assert_inert(page.replace(ours, ""))


def _between(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_charts_and_their_tables(office_weeks, paris_agent, client_for):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        html = client_for(paris_agent).get(TWO_WEEKS).content.decode()
    assert html.count('<svg class="chart-svg') == 4
    assert html.count('role="img"') == 4
    assert html.count("<summary>Show the numbers</summary>") == 4
    assert "<script" not in _between(html, 'id="charts"', 'id="breakdowns"')
    assert " style=" not in _between(html, 'id="charts"', 'id="breakdowns"')

    flow = _between(html, 'id="chart-flow-title"', "</svg>")
    # The fortnight's days up to now: the weekend of 16 and 17 March is still to come.
    assert flow.count('class="chart-bar chart-bar-created"') == 12
    assert flow.count('fill="url(#chart-pattern-resolved)"') == 12
    # The description says what the bars show, with the period's totals.
    assert "All my departments. Tickets created and resolved on each of 12 days" in flow
    assert "8 created and 5 resolved in all" in flow

    weeks = _text(_between(html, "Met of the SLA clocks completed each week", "</table>"))
    assert "4 Mar to 10 Mar — — 100% 1/1" in weeks
    assert "11 Mar to 17 Mar 50% 3/6" in weeks and "75% 3/4" in weeks
    sla = _between(html, 'id="chart-sla-title"', "</svg>")
    assert '<text class="chart-value"' in sla and ">50%</text>" in sla and ">100%</text>" in sla
    assert 'class="chart-reference"' in sla

    bands = _text(_between(html, "First responses of the period, by business time", "</table>"))
    assert "Under 15 min 0 15 to 60 min 3 1 to 4 h 2 4 to 8 h 0" in bands
    assert "No SLA clock (calendar time only) 1" in bands
    assert "All first responses 6" in bands

    backlog = _between(html, 'id="chart-backlog-title"', "</svg>")
    assert backlog.count('class="chart-marker"') == 12
    assert 'class="chart-line chart-line-backlog"' in backlog


def test_names_in_the_charts_stay_text(desk, client_for):
    payload = '<script>alert(1)</script>"><svg onload=alert(2)>'
    desk.it.name = f"IT {payload}"[:100]
    desk.it.save(update_fields=["name"])
    topic = HelpTopicFactory(name=f"Topic {payload}"[:100], department=desk.it)
    with time_machine.travel(ny(12, 10), tick=False):
        ticket = desk.ticket(subject="Printer", help_topic=topic)
        ticket_claim(ticket=ticket, by=desk.agent.user)
        ticket_reply(ticket=ticket, body="On it.", by=desk.agent.user)
    query = f"period=last_7&department={desk.it.pk}&help_topic={topic.pk}"
    with time_machine.travel(ny(14, 12), tick=False):
        html = client_for(desk.manager.user).get(f"/agent/reports/?{query}").content.decode()
    desc = _between(html, 'id="chart-flow-desc"', "</desc>")
    assert "Department: IT &lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;svg onload" in desc
    assert "Help topic: Topic &lt;script&gt;" in desc
    ours = '<details class="chart-numbers">'
    assert_inert(html.replace(ours, ""))
