import pytest

from kb.models import ArticleState
from kb.selectors import article_search, article_suggestions
from kb.services import article_create, article_set_state

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_words_are_stemmed_and_matched_as_prefixes(kb):
    assert [a.pk for a in article_search(query="monitor flickering")] == [kb.published.pk]
    assert [a.pk for a in article_search(query="flick mon")] == [kb.published.pk]
    assert [a.pk for a in article_search(query="cables")] == [kb.published.pk]


def test_requesters_find_published_articles_only_and_agents_internal_too(kb):
    assert {a.pk for a in article_search(query="monitor")} == {kb.published.pk}
    assert {a.pk for a in article_search(query="monitor", agent=True)} == {
        kb.published.pk,
        kb.internal.pk,
    }
    assert kb.draft.pk not in {a.pk for a in article_search(query="calibration", agent=True)}


def test_title_words_rank_above_body_words(kb, desk):
    body_only = article_create(
        title="Display problems",
        body="When the screen flickers, check the refresh rate.",
        category=kb.monitors,
        department=desk.it,
        state=ArticleState.PUBLISHED,
        by=desk.agent.user,
    )
    title_first = [a.pk for a in article_search(query="flickers")]
    assert title_first == [kb.published.pk, body_only.pk]


def test_titles_with_every_word_come_first_then_the_bodies_each_article_once(kb, desk):
    in_body = _published(
        "Paper problems", "Printer jam? A printer jam, again a printer jam.", kb, desk
    )
    in_title = _published("Printer jam on floor two", "Open the tray; printer jam.", kb, desk)
    found = [a.pk for a in article_search(query="printer jam")]
    assert found == [in_title.pk, in_body.pk]


def test_no_article_with_every_word_falls_back_to_any_word(kb):
    assert [a.pk for a in article_search(query="monitor spaceship")] == [kb.published.pk]


def test_tsquery_syntax_in_the_query_is_only_words(kb):
    for query in ("monitor & | ! :*", "'); drop table kb_article; --", "(((", "::"):
        article_search(query=query)
    assert article_search(query="!!!") == []


def test_suggestions_put_the_chosen_topics_articles_first_and_stop_at_five(kb, desk):
    others = [
        article_create(
            title=f"Monitor tip {n}",
            body="Monitor things.",
            category=kb.monitors,
            department=desk.it,
            state=ArticleState.PUBLISHED,
            by=desk.agent.user,
        )
        for n in range(6)
    ]
    suggested = article_suggestions(subject="my monitor is flickering", topic_id=desk.topic.pk)
    assert len(suggested) == 5
    assert suggested[0].pk == kb.published.pk
    assert {a.state for a in suggested} == {"published"}
    assert kb.internal.pk not in {a.pk for a in suggested}
    assert others


def _published(title, body, kb, desk, topics=()):
    return article_create(
        title=title,
        body=body,
        category=kb.monitors,
        department=desk.it,
        help_topics=list(topics),
        state=ArticleState.PUBLISHED,
        by=desk.agent.user,
    )


def test_suggestions_rank_every_title_word_then_any_then_bodies(kb, desk):
    body_only = _published("Display problems", "A printer that flickers.", kb, desk)
    one_word = _published("Printer offline", "Restart it.", kb, desk)
    both_words = _published("Printer display flickers", "Replace the fuser.", kb, desk)
    suggested = [a.pk for a in article_suggestions(subject="printer flickers", topic_id=None)]
    assert suggested[:2] == [both_words.pk, one_word.pk] or suggested[:2] == [
        both_words.pk,
        kb.published.pk,
    ]
    assert set(suggested) == {both_words.pk, one_word.pk, kb.published.pk, body_only.pk}
    assert suggested[-1] == body_only.pk  # only its body holds a word


def test_the_chosen_topics_title_match_comes_first_within_its_pass(kb, desk):
    _published("Printer flickers on floor two", "Text.", kb, desk)
    in_topic = _published("Printer flickers", "Text.", kb, desk, topics=[desk.topic])
    suggested = article_suggestions(subject="printer flickers", topic_id=desk.topic.pk)
    assert suggested[0].pk == in_topic.pk


def test_a_letter_just_typed_does_not_change_the_suggestions(kb, desk):
    _published("Cable chart", "Text.", kb, desk)
    before = [a.pk for a in article_suggestions(subject="monitor", topic_id=None)]
    assert before == [kb.published.pk]
    assert [a.pk for a in article_suggestions(subject="monitor c", topic_id=None)] == before


def test_a_topic_without_words_suggests_its_articles(kb, desk):
    assert [a.pk for a in article_suggestions(subject="", topic_id=desk.topic.pk)] == [
        kb.published.pk
    ]
    assert [a.pk for a in article_suggestions(subject="zzzz", topic_id=desk.topic.pk)] == [
        kb.published.pk
    ]


def test_an_unpublished_article_leaves_the_search(kb, desk):
    article_set_state(article=kb.published, state=ArticleState.DRAFT, by=desk.agent.user)
    assert article_search(query="flickers") == []
