import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.services import agent_set_kb_editor
from kb.models import ArticleFeedback, ArticleRevision, ArticleState, ArticleView, SentArticle
from kb.services import (
    BODY_REQUIRED,
    COMMENT_TOO_LONG,
    NOT_AN_EDITOR,
    TITLE_REQUIRED,
    KBError,
    article_create,
    article_mark_reviewed,
    article_record_feedback,
    article_record_view,
    article_set_state,
    article_update,
    ticket_record_sent_articles,
    views_link_ticket,
)
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


def test_create_renders_indexes_and_records_the_first_revision(kb, desk):
    article = kb.published
    assert "<strong>cable</strong>" in article.body_html
    assert article.excerpt.startswith("Check the cable first")
    assert article.author == desk.agent.user
    assert article.slug == "my-monitor-flickers"
    revision = ArticleRevision.objects.get(article=article)
    assert (revision.change, revision.editor, revision.state) == (
        "created",
        desk.agent.user,
        ArticleState.PUBLISHED,
    )
    assert article.published_at is not None


def test_slugs_stay_unique(kb, desk):
    again = article_create(
        title="My monitor flickers",
        body="Another take.",
        category=kb.monitors,
        department=desk.it,
        by=desk.agent.user,
    )
    assert again.slug == "my-monitor-flickers-2"


def test_update_keeps_a_revision_with_who_when_and_what(kb, desk):
    with time_machine.travel(datetime.datetime(2027, 5, 4, 10, tzinfo=datetime.UTC), tick=False):
        article_update(
            article=kb.published,
            title="My monitor flickers or goes black",
            body="Try another *cable*.",
            category=kb.hardware,
            by=desk.agent.user,
        )
    kb.published.refresh_from_db()
    assert kb.published.title == "My monitor flickers or goes black"
    assert "<em>cable</em>" in kb.published.body_html
    latest = kb.published.revisions.first()
    assert latest.change == "edited"
    assert latest.body == "Try another *cable*."
    assert latest.editor_label == desk.agent.user.email
    assert latest.created_at == datetime.datetime(2027, 5, 4, 10, tzinfo=datetime.UTC)


def test_an_update_that_changes_nothing_writes_no_revision(kb, desk):
    before = ArticleRevision.objects.count()
    article_update(
        article=kb.published,
        title=kb.published.title,
        body=kb.published.body,
        category=kb.published.category,
        by=desk.agent.user,
    )
    assert ArticleRevision.objects.count() == before


def test_publish_and_review(kb, desk):
    article = article_set_state(article=kb.draft, state=ArticleState.PUBLISHED, by=desk.agent.user)
    assert article.state == ArticleState.PUBLISHED
    assert article.published_at is not None
    reviewed = article_mark_reviewed(article=article, by=desk.agent.user)
    assert reviewed.reviewed_at is not None
    assert [r.change for r in article.revisions.all()][:2] == ["reviewed", "published"]


@pytest.mark.parametrize(
    ("title", "body", "message"), [("", "x", TITLE_REQUIRED), ("T", " ", BODY_REQUIRED)]
)
def test_bad_input_is_refused_with_a_message(kb, desk, title, body, message):
    with pytest.raises(KBError) as error:
        article_create(
            title=title, body=body, category=kb.hardware, department=desk.it, by=desk.agent.user
        )
    assert error.value.message == message


def test_only_editors_of_the_department_write_its_articles(kb, desk):
    # The manager works IT but is no editor; the Sales agent edits Sales only.
    agent_set_kb_editor(agent=desk.sales_agent, department=desk.sales, editor=True)
    for person in (desk.manager.user, desk.sales_agent.user, desk.requester, None):
        with pytest.raises(KBError) as error:
            article_create(
                title="T", body="B", category=kb.hardware, department=desk.it, by=person
            )
        assert error.value.message == NOT_AN_EDITOR
        with pytest.raises(KBError):
            article_set_state(article=kb.draft, state=ArticleState.PUBLISHED, by=person)
    kb.draft.refresh_from_db()
    assert kb.draft.state == ArticleState.DRAFT


def test_the_editor_role_can_be_taken_away(kb, desk):
    agent_set_kb_editor(agent=desk.agent, department=desk.it, editor=False)
    with pytest.raises(KBError):
        article_mark_reviewed(article=kb.published, by=desk.agent.user)


def test_feedback_is_one_answer_per_visitor_and_changeable(kb):
    article_record_feedback(article=kb.published, visitor="v1", helpful=True)
    article_record_feedback(
        article=kb.published, visitor="v1", helpful=False, comment="Nothing about HDMI."
    )
    feedback = ArticleFeedback.objects.get()
    assert (feedback.helpful, feedback.comment) == (False, "Nothing about HDMI.")
    article_record_feedback(article=kb.published, visitor="v2", helpful=True)
    assert ArticleFeedback.objects.count() == 2


def test_feedback_refuses_a_long_comment_and_unpublished_articles(kb):
    with pytest.raises(KBError) as error:
        article_record_feedback(
            article=kb.published, visitor="v", helpful=False, comment="x" * 501
        )
    assert error.value.message == COMMENT_TOO_LONG
    with pytest.raises(KBError):
        article_record_feedback(article=kb.internal, visitor="v", helpful=True)


def test_a_reading_counts_once_in_half_an_hour(kb):
    start = datetime.datetime(2027, 5, 4, 10, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        assert article_record_view(article=kb.published, visitor="v", source="search")
        assert article_record_view(article=kb.published, visitor="v", source="search") is None
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert (
            article_record_view(article=kb.published, visitor="v", source="bogus").source == "link"
        )
    assert ArticleView.objects.count() == 2


def test_a_ticket_after_reading_is_joined_to_the_readings_of_the_last_day(kb, desk):
    start = datetime.datetime(2027, 5, 4, 10, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        article_record_view(article=kb.internal, visitor="v", source="search")
    with time_machine.travel(start + datetime.timedelta(hours=23), tick=False):
        article_record_view(article=kb.published, visitor="v", source="suggestion")
        article_record_view(article=kb.published, visitor="other", source="suggestion")
    with time_machine.travel(start + datetime.timedelta(hours=25), tick=False):
        ticket = desk.ticket()
        assert views_link_ticket(visitor="v", ticket=ticket) == 1
    assert ArticleView.objects.get(visitor="v", article=kb.published).ticket == ticket
    assert ArticleView.objects.get(visitor="v", article=kb.internal).ticket is None
    assert ArticleView.objects.get(visitor="other").ticket is None


def test_articles_linked_in_a_reply_are_recorded_as_sent(kb, desk):
    ticket = desk.ticket()
    entry = ticket_reply(
        ticket=ticket,
        body=(
            "See https://help.example/help/articles/my-monitor-flickers/ and again "
            "/help/articles/my-monitor-flickers/ and an internal one "
            f"/help/articles/{kb.internal.slug}/"
        ),
        by=desk.agent.user,
    )
    rows = ticket_record_sent_articles(ticket=ticket, entry=entry, by=desk.agent.user)
    assert [r.article_id for r in rows] == [kb.published.pk]
    # Twice is once: a row per ticket, article and entry.
    ticket_record_sent_articles(
        ticket=ticket, entry=entry, by=desk.agent.user, article_ids=[kb.published.pk]
    )
    assert SentArticle.objects.count() == 1


def test_an_agent_outside_the_department_records_nothing(kb, desk):
    ticket = desk.ticket()
    entry = ticket_reply(
        ticket=ticket, body="/help/articles/my-monitor-flickers/", by=desk.agent.user
    )
    assert ticket_record_sent_articles(ticket=ticket, entry=entry, by=desk.sales_agent.user) == []
    assert not SentArticle.objects.exists()


def test_timestamps_are_aware(kb):
    assert timezone.is_aware(kb.published.created_at)


def test_sent_articles_are_checked_before_a_reply_sends_them(kb, desk):
    from kb.services import sent_articles_check

    assert sent_articles_check(by=desk.agent.user, article_ids=[kb.published.pk] * 2) == [
        kb.published.pk
    ]
    with pytest.raises(KBError, match=r"^No article with id 999999\.$"):
        sent_articles_check(by=desk.agent.user, article_ids=[999_999])
    # A draft is readable by its editors only: to anyone else it does not exist.
    with pytest.raises(KBError, match=rf"^No article with id {kb.draft.pk}\.$"):
        sent_articles_check(by=desk.sales_agent.user, article_ids=[kb.draft.pk])
    with pytest.raises(KBError, match="is a draft: only published articles"):
        sent_articles_check(by=desk.agent.user, article_ids=[kb.draft.pk])
    with pytest.raises(KBError, match="is internal: only published articles"):
        sent_articles_check(by=desk.agent.user, article_ids=[kb.internal.pk])
    with pytest.raises(KBError, match="at most 20"):
        sent_articles_check(by=desk.agent.user, article_ids=range(1, 22))
