"""The knowledge base many tests start from (the `kb` fixture, made global by
tests/conftest.py): two categories, Ryan Howard as IT's editor, and an article in each
state (made through kb.services, as the desk makes them)."""

from dataclasses import dataclass

import pytest

from accounts.services import agent_set_kb_editor
from kb.models import Article, ArticleState, Category
from kb.services import article_create


@dataclass
class KB:
    hardware: Category
    monitors: Category
    published: Article
    internal: Article
    draft: Article


@pytest.fixture
def kb(desk) -> KB:
    hardware = Category.objects.create(name="Hardware", slug="hardware")
    monitors = Category.objects.create(name="Monitors", slug="monitors", parent=hardware)
    agent_set_kb_editor(agent=desk.agent, department=desk.it, editor=True)
    by = desk.agent.user
    return KB(
        hardware=hardware,
        monitors=monitors,
        published=article_create(
            title="My monitor flickers",
            body="Check the **cable** first, then the refresh rate.",
            category=monitors,
            department=desk.it,
            help_topics=[desk.topic],
            state=ArticleState.PUBLISHED,
            by=by,
        ),
        internal=article_create(
            title="Monitor vendor warranty numbers",
            body="Call the vendor's internal line; our contract number is 42.",
            category=monitors,
            department=desk.it,
            state=ArticleState.INTERNAL,
            by=by,
        ),
        draft=article_create(
            title="Monitor calibration (draft)",
            body="Not ready yet.",
            category=hardware,
            department=desk.it,
            by=by,
        ),
    )
