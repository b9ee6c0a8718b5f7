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
