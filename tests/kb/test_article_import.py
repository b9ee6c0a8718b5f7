"""kb.services.article_import: an article as another desk had it (decision 0047)."""

import datetime

import pytest

from accounts.roles import SYSTEM
from kb.models import ArticleState
from kb.services import ONLY_THE_SYSTEM_IMPORTS, KBError, article_import
from tests.support.inert import assert_inert

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2024, 3, 5, 17, tzinfo=datetime.UTC)
UPDATED = datetime.datetime(2024, 3, 6, 9, 30, tzinfo=datetime.UTC)


def imported(kb, desk, *, article=None, **changes):
    values = {
        "title": "Printer jams",
        "body": "Open **tray 2**.<script>alert(1)</script>",
        "category": kb.hardware,
        "department": desk.it,
        "state": ArticleState.DRAFT,
        "help_topics": [desk.topic],
        "created_at": CREATED,
        "updated_at": UPDATED,
        "by": SYSTEM,
        **changes,
    }
    return article_import(article=article, **values)


def test_a_new_article_keeps_its_times_and_is_rendered_safely(kb, desk):
    article = imported(kb, desk)
    assert (article.created_at, article.updated_at, article.published_at) == (
        CREATED,
        UPDATED,
        None,
    )
    assert article.author is None and list(article.help_topics.all()) == [desk.topic]
    assert "<strong>tray 2</strong>" in article.body_html
    assert_inert(article.body_html)
    assert "<script" not in article.body_html
    revision = article.revisions.get()
    assert (revision.change, revision.editor_label) == ("imported", "System")


def test_the_same_article_again_changes_nothing_and_a_change_is_one_revision(kb, desk):
    article = imported(kb, desk)
    assert imported(kb, desk, article=article).revisions.count() == 1
    later = UPDATED + datetime.timedelta(days=1)
    again = imported(
        kb, desk, article=article, state=ArticleState.PUBLISHED, updated_at=later, help_topics=[]
    )
    assert (again.pk, again.state, again.published_at) == (article.pk, "published", later)
    assert not again.help_topics.exists()
    assert again.revisions.count() == 2


def test_only_the_system_imports(kb, desk):
    with pytest.raises(KBError) as caught:
        imported(kb, desk, by=desk.agent.user)
    assert caught.value.message == ONLY_THE_SYSTEM_IMPORTS
