"""The knowledge base in the API: published articles for any key, internal ones for
agents, drafts never."""

import pytest

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_an_agents_key_searches_published_and_internal_articles(client, kb, make_key):
    headers = bearer(make_key(scopes=["departments:read"])[1])
    found = client.get("/api/v1/kb/articles/", {"q": "monitor"}, **headers).json()
    assert {a["id"] for a in found} == {kb.published.pk, kb.internal.pk}
    article = client.get(f"/api/v1/kb/articles/{kb.published.pk}/", **headers).json()
    assert article["body"] == kb.published.body
    assert "<strong>cable</strong>" in article["body_html"]
    assert article["url"] == f"/help/articles/{kb.published.slug}/"
    assert client.get(f"/api/v1/kb/articles/{kb.draft.pk}/", **headers).status_code == 404


def test_a_signed_in_requester_reads_published_articles_only(client_for, kb, desk):
    client = client_for(desk.requester)
    found = client.get("/api/v1/kb/articles/", {"q": "monitor"}).json()
    assert [a["id"] for a in found] == [kb.published.pk]
    assert client.get(f"/api/v1/kb/articles/{kb.internal.pk}/").status_code == 404


def test_no_key_no_articles(client, kb):
    assert client.get("/api/v1/kb/articles/", {"q": "monitor"}).status_code in (401, 403)


# Replies that send articles (kb.services.ticket_record_sent_articles) ----------------------

REPLY_SCOPES = ["tickets:read", "replies:write", "notes:write"]


def _reply(client, ticket, data, headers):
    return client.post(
        f"/api/v1/tickets/{ticket.number}/replies/",
        data,
        content_type="application/json",
        **headers,
    )


def test_a_reply_records_the_articles_it_sends(client, kb, desk, make_key):
    from kb.models import SentArticle

    headers = bearer(make_key(scopes=REPLY_SCOPES)[1])
    ticket = desk.ticket()
    response = _reply(
        client, ticket, {"body": "Try this article.", "articles": [kb.published.pk]}, headers
    )
    assert response.status_code == 201, response.content
    assert response.json()["articles"] == [kb.published.pk]
    sent = SentArticle.objects.get()
    assert (sent.ticket, sent.article, sent.entry_id, sent.sent_by) == (
        ticket,
        kb.published,
        response.json()["id"],
        desk.agent.user,
    )


def test_a_reply_through_multipart_sends_articles_too(client, kb, desk, make_key):
    headers = bearer(make_key(scopes=REPLY_SCOPES)[1])
    ticket = desk.ticket()
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/replies/",
        {"body": "See these.", "articles": [str(kb.published.pk)]},
        **headers,
    )
    assert response.status_code == 201, response.content
    assert response.json()["articles"] == [kb.published.pk]


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("missing", "No article with id {pk}."),
        ("draft", "No article with id {pk}."),  # the key's agent may not read it
        (
            "internal",
            "Article {pk} is internal: only published articles can be sent to a requester.",
        ),
    ],
)
def test_bad_article_ids_are_a_400_and_no_reply_is_sent(
    client, kb, desk, make_key, which, message
):
    from kb.models import SentArticle

    # The Sales agent reads internal articles but is not an editor of IT's drafts.
    headers = bearer(make_key(user=desk.sales_agent.user, scopes=REPLY_SCOPES)[1])
    ticket = desk.ticket(department=desk.sales)
    pk = {"missing": 999_999, "draft": kb.draft.pk, "internal": kb.internal.pk}[which]
    before = ticket.entries.count()
    response = _reply(
        client, ticket, {"body": "Here.", "articles": [kb.published.pk, pk]}, headers
    )
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["errors"]["articles"] == [message.format(pk=pk)], problem
    assert ticket.entries.count() == before
    assert not SentArticle.objects.exists()


def test_article_ids_must_be_ids(client, kb, desk, make_key):
    headers = bearer(make_key(scopes=REPLY_SCOPES)[1])
    ticket = desk.ticket()
    for bad in (["x"], "1", [0], list(range(1, 30))):
        response = _reply(client, ticket, {"body": "Here.", "articles": bad}, headers)
        assert response.status_code == 400, bad


def test_the_schema_documents_the_replys_articles(client, make_key):
    headers = bearer(make_key()[1])
    schema = client.get("/api/v1/schema/", {"format": "json"}, **headers).json()
    assert "articles" in schema["components"]["schemas"]["ReplyInput"]["properties"]
    assert "articles" in schema["components"]["schemas"]["Reply"]["properties"]
