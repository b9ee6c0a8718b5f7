"""Who may read and edit which articles: the one place the knowledge base decides.

Everyone (guests too) reads published articles; agents also read internal ones, in every
department; drafts are seen only by the knowledge base editors of the article's
department (tickets.access.kb_editor_department_ids) and superusers. The `*_get_for_*`
helpers raise Http404 for a missing article and a forbidden one alike.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from kb.models import Article, ArticleImage, ArticleState
from tickets.access import (
    can_edit_kb_in_department,
    is_agent,
    kb_editor_department_ids,
)

PUBLIC_STATES = (ArticleState.PUBLISHED,)
AGENT_STATES = (ArticleState.PUBLISHED, ArticleState.INTERNAL)


def readable_states(user) -> tuple[str, ...]:
    return AGENT_STATES if is_agent(user) else PUBLIC_STATES


def articles_readable_by(user) -> QuerySet[Article]:
    """Articles the user may open: published (everyone), internal (agents), drafts of the
    departments they edit."""
    query = Q(state__in=readable_states(user))
    editing = kb_editor_department_ids(user) if is_agent(user) else set()
    if editing:
        query |= Q(department_id__in=editing)
    return Article.objects.filter(query)


def articles_published() -> QuerySet[Article]:
    return Article.objects.filter(state=ArticleState.PUBLISHED)


def article_get_for_requester(*, slug: str) -> Article:
    """The help centre's article page: published articles only, whoever asks.

    Agents open internal articles in the desk, so that an internal article never renders
    in the requester-facing layout (and a screenshot of it never looks public)."""
    article = (
        articles_published().select_related("category__parent").filter(slug=slug[:120]).first()
    )
    if article is None:
        raise Http404("No such article.")
    return article


def article_get_for_agent(*, user, pk) -> Article:
    """An article an agent may read in the desk (internal included)."""
    if not is_agent(user) or not str(pk).isdigit():
        raise Http404("No such article.")
    article = (
        articles_readable_by(user)
        .select_related("category", "department", "author")
        .filter(pk=int(pk))
        .first()
    )
    if article is None:
        raise Http404("No such article.")
    return article


def article_get_for_editor(*, user, pk) -> Article:
    """An article the user may change: one of a department they edit the articles of."""
    article = article_get_for_agent(user=user, pk=pk)
    if not can_edit_article(user, article):
        raise Http404("No such article.")
    return article


def can_edit_article(user, article: Article) -> bool:
    return can_edit_kb_in_department(user, article.department_id)


def editable_department_ids(user) -> set[int]:
    return kb_editor_department_ids(user) if is_agent(user) else set()


def article_image_get_for_reader(*, user, token: str) -> ArticleImage:
    """An article's image, for whoever may read the article: published, anyone; internal,
    agents; a draft, its department's editors. Http404 for missing and forbidden alike."""
    token = str(token or "")
    if len(token) != 32 or not all(ch in "0123456789abcdef" for ch in token):
        raise Http404("No such image.")
    image = (
        ArticleImage.objects.filter(token=token, article__in=articles_readable_by(user))
        .only("file", "filename", "content_type", "token", "article_id")
        .first()
    )
    if image is None:
        raise Http404("No such image.")
    return image
