"""The help centre's pages: what requesters see, what they send, what is recorded."""

import pytest
from django.test import Client
from django.urls import reverse

from kb.models import ArticleFeedback, ArticleView, SearchRecord
from kb.services import article_create
from portal.help import THANKS_NO, THANKS_YES
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def article_url(article, **params):
    url = reverse("portal:help_article", args=[article.slug])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_the_home_page_leads_with_the_search_box_and_the_categories(client, kb):
    page = client.get("/").content.decode()
    assert 'action="/help/search/"' in page
    assert "Hardware" in page
    assert "Submit a new ticket" in page
    help_home = client.get(reverse("portal:help_home")).content.decode()
    assert "Hardware" in help_home and "Monitors" in help_home


def test_a_category_lists_its_published_articles_only(client, kb):
    page = client.get(reverse("portal:help_category", args=["monitors"])).content.decode()
    assert kb.published.title in page
    assert kb.internal.title not in page
    assert client.get(reverse("portal:help_category", args=["nope"])).status_code == 404


@pytest.mark.parametrize("who", ["guest", "requester", "agent", "editor"])
def test_drafts_and_internal_articles_are_never_shown_in_the_help_centre(
    client_for, kb, desk, who
):
    user = {
        "guest": None,
        "requester": desk.requester,
        "agent": desk.sales_agent.user,
        "editor": desk.agent.user,
    }[who]
    client = client_for(user)
    assert client.get(article_url(kb.published)).status_code == 200
    for hidden in (kb.internal, kb.draft):
        assert client.get(article_url(hidden)).status_code == 404
    search = client.get(reverse("portal:help_search"), {"q": "monitor"}).content.decode()
    assert kb.internal.title not in search and kb.draft.title not in search


def test_an_article_page_shows_the_text_related_articles_and_carries_the_words(client, kb, desk):
    other = article_create(
        title="Second screen stays black",
        body="Press the input button.",
        category=kb.monitors,
        department=desk.it,
        state="published",
        by=desk.agent.user,
    )
    page = client.get(
        article_url(kb.published, **{"from": "search", "q": "flicker"})
    ).content.decode()
    assert "<strong>cable</strong>" in page
    assert other.title in page  # related: same category
    assert f"/tickets/new/?subject=flicker&amp;help_topic={desk.topic.pk}" in page
    view = ArticleView.objects.get()
    assert (view.source, view.query, view.article) == ("search", "flicker", kb.published)


def test_the_search_records_the_search_and_offers_a_ticket_with_its_words(client, kb):
    page = client.get(reverse("portal:help_search"), {"q": "monitor flickering"}).content.decode()
    assert kb.published.title in page
    assert "/tickets/new/?subject=monitor+flickering" in page
    record = SearchRecord.objects.get()
    assert (record.source, record.query, record.results) == ("search", "monitor flickering", 1)


def test_the_new_ticket_form_takes_the_subject_from_the_link(client):
    page = client.get(
        reverse("portal:ticket_new"), {"subject": "monitor  flickers"}
    ).content.decode()
    assert 'value="monitor flickers"' in page
    assert 'hx-get="/help/suggest/"' in page
    assert "Search the help centre" in page  # the way without JavaScript


def test_suggestions_while_typing(client, kb, desk):
    response = client.get(
        reverse("portal:help_suggest"),
        {"subject": "monitor flickering", "help_topic": desk.topic.pk},
    )
    page = response.content.decode()
    assert kb.published.title in page
    assert "from=suggestion&amp;q=monitor%20flickering" in page
    assert kb.internal.title not in page
    assert SearchRecord.objects.get().source == "suggestion"
    empty = client.get(reverse("portal:help_suggest"), {"subject": "", "help_topic": "x"})
    assert empty.status_code == 200
    assert "Search the help centre" in empty.content.decode()


def test_feedback_yes(client, kb):
    response = client.post(
        reverse("portal:help_feedback", args=[kb.published.slug]), {"helpful": "yes"}, follow=True
    )
    assert THANKS_YES in response.content.decode()
    assert ArticleFeedback.objects.get().helpful is True


def test_feedback_no_then_asks_what_was_missing(client, kb):
    url = reverse("portal:help_feedback", args=[kb.published.slug])
    response = client.post(url, {"helpful": "no"})
    assert response.status_code == 302
    assert response["Location"].endswith("?feedback=no#feedback")
    page = client.get(response["Location"]).content.decode()
    assert "What was missing?" in page
    response = client.post(url, {"helpful": "no", "comment": "Nothing about HDMI."}, follow=True)
    assert THANKS_NO in response.content.decode()
    feedback = ArticleFeedback.objects.get()
    assert (feedback.helpful, feedback.comment) == (False, "Nothing about HDMI.")


def test_feedback_bad_input_is_a_message_not_a_500(client, kb):
    url = reverse("portal:help_feedback", args=[kb.published.slug])
    for data in ({}, {"helpful": "maybe"}, {"helpful": "no", "comment": "x" * 600}):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
    assert not ArticleFeedback.objects.exists()
    assert client.get(url).status_code == 405
    assert (
        client.post(
            reverse("portal:help_feedback", args=[kb.internal.slug]), {"helpful": "yes"}
        ).status_code
        == 404
    )


def test_feedback_needs_the_csrf_token(kb):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("portal:help_feedback", args=[kb.published.slug]), {"helpful": "yes"}
    )
    assert response.status_code == 403
    assert not ArticleFeedback.objects.exists()


def test_a_ticket_submitted_after_reading_is_joined_to_the_reading(client, kb, desk):
    client.get(article_url(kb.published, **{"from": "suggestion"}))
    form = client.get(reverse("portal:ticket_new")).context["form"]
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "name": "Pam Beesly",
            "email": "pam@example.com",
            "help_topic": desk.topic.pk,
            "subject": "Monitor still flickers",
            "body": "I read the article, still broken.",
            "intake_token": form.initial["intake_token"],
            "fields_topic": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get(subject="Monitor still flickers")
    assert ArticleView.objects.get().ticket == ticket


@pytest.mark.parametrize("payload", PAYLOADS[:40])
def test_hostile_text_stays_text_in_the_help_centre(client, kb, desk, payload):
    article = article_create(
        title=payload[:200] or "x",
        body=payload,
        category=kb.monitors,
        department=desk.it,
        state="published",
        by=desk.agent.user,
    )
    for url in (
        article_url(article, q=""),
        reverse("portal:help_category", args=["monitors"]),
        reverse("portal:help_home"),
    ):
        assert_inert(client.get(url).content.decode(), where=url)
    search = client.get(reverse("portal:help_search"), {"q": payload[:200]})
    assert search.status_code == 200
    assert_inert(search.content.decode(), where="search")
    suggest = client.get(reverse("portal:help_suggest"), {"subject": payload[:200]})
    assert_inert(suggest.content.decode(), where="suggest")
