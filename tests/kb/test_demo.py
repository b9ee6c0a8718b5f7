import io

import pytest
from django.core.management import call_command

from kb.models import Article, ArticleState
from kb.selectors import article_suggestions
from tickets.models import HelpTopic

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_three_articles_linked_to_their_topics_once():
    call_command("load_demo", "--force", stdout=io.StringIO())
    articles = {a.title: a for a in Article.objects.prefetch_related("help_topics")}
    assert set(articles) == {"The CRM is down", "My computer won't start", "My monitor flickers"}
    assert {a.state for a in articles.values()} == {ArticleState.PUBLISHED}
    assert [t.name for t in articles["My monitor flickers"].help_topics.all()] == [
        "Monitor and peripherals"
    ]
    out = io.StringIO()
    call_command("load_demo", "--force", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert Article.objects.count() == 3


@pytest.mark.postgres
def test_a_guest_typing_monitor_flickering_is_offered_the_article():
    call_command("load_demo", "--force", stdout=io.StringIO())
    topic = HelpTopic.objects.get(name="Monitor and peripherals")
    suggested = article_suggestions(subject="monitor flickering", topic_id=topic.pk)
    assert suggested[0].title == "My monitor flickers"
    assert article_suggestions(subject="monitor flickering", topic_id=None)[0].title == (
        "My monitor flickers"
    )
