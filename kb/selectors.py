"""Every read the help centre, the desk and the figures need from the knowledge base.

Search is PostgreSQL full text over each article's document (title A, body B, English
stemming), every word matched as a prefix, as the queue's search does (tickets/selectors/
search.py): "flick mon" finds "My monitor flickers". Candidates are capped before ranking,
so a word in half the articles never ranks them all. On SQLite (the embedded mode) the
title is matched by substring. See docs/decisions/0032-knowledge-base.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from kb.access import AGENT_STATES, PUBLIC_STATES, articles_readable_by, editable_department_ids
from kb.models import (
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleRevision,
    ArticleState,
    ArticleView,
    Category,
    SearchRecord,
    SentArticle,
)
from kb.services import DEFLECTION_WINDOW
from tickets.models import EventKind, TicketEvent
from tickets.search_index import CONFIG, search_words

SEARCH_CANDIDATES = 2000
# Suggestions rank fewer: every-word matches come in their own first pass, and within the
# any-word pass one title word is as good as another, so what matters is the topic.
SUGGESTION_CANDIDATES = 500
SEARCH_LIMIT = 20
SUGGESTION_LIMIT = 5
QUERY_MAX_LENGTH = 200
# Only what list pages show: the body stays in the database.
LIST_FIELDS = ("id", "title", "slug", "excerpt", "state", "category_id", "updated_at")


@dataclass
class CategoryNode:
    category: Category
    children: list[Category]
    article_count: int


def _cleaned(query: str) -> str:
    return " ".join((query or "").split())[:QUERY_MAX_LENGTH]


def _tsquery(words: list[str], *, any_word: bool) -> str:
    return (" | " if any_word else " & ").join(f"{word}:*" for word in words)


def _ranked_ids(
    words: list[str],
    *,
    states: tuple[str, ...],
    limit: int,
    any_word: bool,
    topic_id: int | None = None,
    category_ids: list[int] | None = None,
    titles_only: bool = False,
    candidates: int = SEARCH_CANDIDATES,
) -> list[int]:
    """Ids of matching articles, best first (PostgreSQL). An article of `topic_id` ranks
    above one that only matches the words. `titles_only` matches published titles, through
    their own small index (kb_article_title_published)."""
    document, state_filter = "search_document", "a.state = ANY(%s)"
    states_param: list = [[str(state) for state in states]]
    if titles_only:
        if tuple(states) != PUBLIC_STATES:
            raise ValueError("titles are indexed for published articles only")
        # A literal, so that the planner can use the partial index.
        document, state_filter, states_param = "title_document", "a.state = 'published'", []
    extra, params = "", []
    if category_ids:
        extra = " AND a.category_id = ANY(%s)"
        params.append(category_ids)
    topic_boost = ""
    boost_params: list = []
    if topic_id is not None:
        # A probe of the (article, topic) unique index per candidate; as EXISTS, the
        # planner hashes every article of the topic first, which costs more.
        topic_boost = (
            "(SELECT 1 FROM kb_article_help_topics h "
            "WHERE h.article_id = c.id AND h.helptopic_id = %s LIMIT 1) IS NOT NULL DESC, "
        )
        boost_params.append(topic_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH q AS (SELECT to_tsquery(%s, %s) AS q)
            SELECT c.id
            FROM q, (
                SELECT a.id, a.{document} AS document
                FROM kb_article a, q
                WHERE a.{document} @@ q.q AND {state_filter}{extra}
                LIMIT %s
            ) c
            ORDER BY {topic_boost}ts_rank(c.document, q.q) DESC, c.id DESC
            LIMIT %s
            """,  # nosec B608 # fixed SQL fragments; every value is a placeholder
            [
                CONFIG,
                _tsquery(words, any_word=any_word),
                *states_param,
                *params,
                candidates,
                *boost_params,
                limit,
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def _substring_ids(
    words: list[str], *, states: tuple[str, ...], limit: int, topic_id: int | None = None
) -> list[int]:
    """SQLite: titles holding any of the words, the topic's first."""
    match = Q()
    for word in words:
        match |= Q(title__icontains=word)
    found = Article.objects.filter(match, state__in=states)
    ids = list(found.order_by("-updated_at", "-id").values_list("id", flat=True)[:limit])
    if topic_id is not None:
        in_topic = set(found.filter(help_topics=topic_id).values_list("id", flat=True))
        ids.sort(key=lambda pk: pk not in in_topic)
    return ids


def _articles_in_order(ids: list[int]) -> list[Article]:
    by_id = (
        Article.objects.only(*LIST_FIELDS, "category__name", "category__slug")
        .select_related("category")
        .in_bulk(ids)
    )
    return [by_id[pk] for pk in ids if pk in by_id]


def article_search(*, query: str, agent: bool = False, limit: int = SEARCH_LIMIT) -> list[Article]:
    """Articles matching `query`, best first: published ones, and internal ones for agents.
    Every word must match (as a prefix); if no article holds them all, any word does.

    For requesters, articles whose title holds every word come first, from the titles'
    own index, and the whole documents are searched only for the places left: common
    words ("printer jam") match a third of all bodies, and reading those postings is what
    made the page slow at 100,000 articles (docs/decisions/0048-kb-suggestions-by-title.md).
    Agents search published and internal articles alike, which the titles' index (of
    published ones) does not cover: their search reads the whole documents."""
    words = search_words(_cleaned(query))
    if not words:
        return []
    states = AGENT_STATES if agent else PUBLIC_STATES
    if connection.vendor != "postgresql":
        return _articles_in_order(_substring_ids(words, states=states, limit=limit))
    ids: list[int] = []
    if states == PUBLIC_STATES:
        ids = _ranked_ids(words, states=states, limit=limit, any_word=False, titles_only=True)
    if len(ids) < limit:
        found = _ranked_ids(words, states=states, limit=limit + len(ids), any_word=False)
        ids += [pk for pk in found if pk not in ids][: limit - len(ids)]
    if not ids and len(words) > 1:
        ids = _ranked_ids(words, states=states, limit=limit, any_word=True)
    return _articles_in_order(ids)


def article_suggestions(*, subject: str, topic_id: int | None) -> list[Article]:
    """Up to five published articles for the new-ticket form, best first: those whose title
    holds every word typed, then any of them, then those whose body does (the chosen topic's
    first within each); else the chosen topic's most recently updated.

    Titles first because they are what a requester's subject resembles, and because a
    subject's common words ("monitor", "email") occur in most bodies: matching bodies means
    reading most of the body index's postings, which costs tens of milliseconds at 100,000
    articles, while titles answer in a few (docs/decisions/0048-kb-suggestions-by-title.md).
    The bodies are searched only when the titles leave places free.
    """
    words = search_words(_cleaned(subject))
    if any(len(word) > 1 for word in words):
        # A letter just typed ("cannot login to the c") matches nearly every title as a
        # prefix and tells nothing yet.
        words = [word for word in words if len(word) > 1]
    ids: list[int] = []
    if words and connection.vendor == "postgresql":
        passes = [(True, False), (True, True), (False, True)]
        if len(words) == 1:
            passes.remove((True, True))  # one word: "any" is "every"
        for titles_only, any_word in passes:
            found = _ranked_ids(
                words,
                states=PUBLIC_STATES,
                # Earlier passes' articles may come again: ask for enough to fill up.
                limit=SUGGESTION_LIMIT + len(ids),
                any_word=any_word,
                topic_id=topic_id,
                titles_only=titles_only,
                candidates=SUGGESTION_CANDIDATES,
            )
            ids += [pk for pk in found if pk not in ids]
            if len(ids) >= SUGGESTION_LIMIT:
                break
        ids = ids[:SUGGESTION_LIMIT]
    elif words:
        ids = _substring_ids(
            words, states=PUBLIC_STATES, limit=SUGGESTION_LIMIT, topic_id=topic_id
        )
    if not ids and topic_id is not None:
        ids = list(
            Article.objects.filter(state=ArticleState.PUBLISHED, help_topics=topic_id)
            .order_by("-updated_at", "-id")
            .values_list("id", flat=True)[:SUGGESTION_LIMIT]
        )
    return _articles_in_order(ids)


# The help centre ------------------------------------------------------------------------


def category_tree_for_portal() -> list[CategoryNode]:
    """Top-level categories with their sub-categories and how many published articles
    each holds (its own and its children's); empty ones are left out."""
    published = Q(articles__state=ArticleState.PUBLISHED)
    categories = list(
        Category.objects.annotate(published=Count("articles", filter=published)).order_by(
            "position", "name", "id"
        )
    )
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None and category.published:
            children.setdefault(category.parent_id, []).append(category)
    nodes = []
    for category in categories:
        if category.parent_id is not None:
            continue
        kids = children.get(category.pk, [])
        count = category.published + sum(k.published for k in kids)
        if count:
            nodes.append(CategoryNode(category, kids, count))
    return nodes


def category_page_for_portal(*, slug: str) -> tuple[Category, list[Category], list[Article]]:
    """A category, its sub-categories that have articles, and its own published articles.
    Raises Category.DoesNotExist for an unknown slug."""
    category = Category.objects.select_related("parent").get(slug=slug[:100])
    children = list(
        Category.objects.filter(parent=category)
        .annotate(published=Count("articles", filter=Q(articles__state=ArticleState.PUBLISHED)))
        .filter(published__gt=0)
    )
    articles = list(
        Article.objects.filter(category=category, state=ArticleState.PUBLISHED)
        .only(*LIST_FIELDS)
        .order_by("title", "id")
    )
    return category, children, articles


def related_articles(*, article: Article, limit: int = 5) -> list[Article]:
    """Published articles sharing a help topic with `article`, then its category's."""
    topics = article.help_topics.values("pk")
    shared = (
        Article.objects.filter(state=ArticleState.PUBLISHED)
        .exclude(pk=article.pk)
        .filter(Q(help_topics__in=topics) | Q(category_id=article.category_id))
        .annotate(same_topic=Count("help_topics", filter=Q(help_topics__in=topics), distinct=True))
        .only(*LIST_FIELDS)
        .order_by("-same_topic", "-updated_at", "-id")
    )
    return list(shared[:limit])


# The desk -------------------------------------------------------------------------------


def articles_for_desk(*, user, state: str = "", query: str = "") -> QuerySet[Article]:
    """The desk's list: what the agent may read (drafts of the departments they edit)."""
    articles = articles_readable_by(user)
    if state in ArticleState.values:
        articles = articles.filter(state=state)
    words = search_words(_cleaned(query))
    for word in words:
        articles = articles.filter(title__icontains=word)
    return (
        articles.select_related("category", "department", "author")
        .defer("body", "body_html", "search_document")
        .order_by("-updated_at", "-id")
    )


def article_page_for_desk(*, article: Article) -> dict:
    """An article's desk page: its topics and its history."""
    return {
        "topics": list(article.help_topics.all()),
        "revisions": list(
            ArticleRevision.objects.filter(article=article)
            .defer("body")
            .order_by("-created_at", "-id")[:50]
        ),
    }


def article_images(*, article: Article) -> list[ArticleImage]:
    """The article's images, for its edit page's list (each with its Markdown)."""
    return list(ArticleImage.objects.filter(article=article).order_by("created_at", "id"))


def article_image_for_editor(*, article: Article, pk) -> ArticleImage:
    """One of the article's images; the caller has the article through kb.access."""
    image = (
        ArticleImage.objects.filter(article=article, pk=pk).first() if str(pk).isdigit() else None
    )
    if image is None:
        raise Http404("No such image.")
    return image


def article_lookup_for_agent(*, query: str) -> list[Article]:
    """The reply box's search: published and internal articles, each with its body (the
    agent may insert its text)."""
    articles = article_search(query=query, agent=True, limit=8)
    bodies = dict(
        Article.objects.filter(pk__in=[a.pk for a in articles]).values_list("pk", "body")
    )
    for article in articles:
        article.body = bodies.get(article.pk, "")
    return articles


def sent_articles_for_ticket(*, ticket) -> list[SentArticle]:
    return list(
        SentArticle.objects.filter(ticket=ticket)
        .select_related("article")
        .only("id", "created_at", "entry_id", "article__title", "article__slug")
        .order_by("created_at", "id")
    )


def editable_departments(user) -> set[int]:
    return editable_department_ids(user)


# Figures ---------------------------------------------------------------------------------


@dataclass
class Funnel:
    searches: int
    searching_visitors: int
    reading_visitors: int
    deflected_visitors: int
    ticket_visitors: int
    undecided_visitors: int

    @property
    def deflection_rate(self) -> float | None:
        settled = self.deflected_visitors + self.ticket_visitors
        return self.deflected_visitors / settled if settled else None


def _per_article(model, *, filters: Q, distinct: str | None = None) -> Subquery:
    rows = model.objects.filter(filters, article=OuterRef("pk")).order_by().values("article")
    counted = rows.annotate(n=Count(distinct or "pk", distinct=bool(distinct))).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def article_figures(*, since: datetime.datetime, department_ids: set[int] | None = None):
    """Per article since `since`: readings, helpful yes / no, tickets opened after reading,
    tickets the article was sent in and how many of those were reopened after it was."""
    reopened = TicketEvent.objects.filter(
        ticket=OuterRef("ticket"), kind=EventKind.REOPENED, created_at__gt=OuterRef("created_at")
    )
    sent = SentArticle.objects.filter(created_at__gte=since).annotate(
        was_reopened=Exists(reopened)
    )
    reopened_sent = (
        sent.filter(article=OuterRef("pk"), was_reopened=True)
        .order_by()
        .values("article")
        .annotate(n=Count("ticket", distinct=True))
        .values("n")
    )
    articles = Article.objects.all()
    if department_ids is not None:
        articles = articles.filter(department_id__in=department_ids)
    return list(
        articles.only("id", "title", "slug", "state")
        .annotate(
            readings=_per_article(ArticleView, filters=Q(created_at__gte=since)),
            helpful_yes=_per_article(
                ArticleFeedback, filters=Q(updated_at__gte=since, helpful=True)
            ),
            helpful_no=_per_article(
                ArticleFeedback, filters=Q(updated_at__gte=since, helpful=False)
            ),
            tickets_after=_per_article(
                ArticleView,
                filters=Q(created_at__gte=since, ticket__isnull=False),
                distinct="ticket",
            ),
            tickets_sent=_per_article(
                SentArticle, filters=Q(created_at__gte=since), distinct="ticket"
            ),
            tickets_reopened=Coalesce(Subquery(reopened_sent[:1], output_field=IntegerField()), 0),
        )
        .order_by("-readings", "title", "id")
    )


_FUNNEL_SQL = """
SELECT
  (SELECT COUNT(*) FROM {searches} WHERE created_at >= %s AND created_at < %s),
  (SELECT COUNT(DISTINCT visitor) FROM {searches} WHERE created_at >= %s AND created_at < %s),
  (SELECT COUNT(DISTINCT visitor) FROM {views} WHERE created_at >= %s AND created_at < %s),
  (SELECT COUNT(DISTINCT visitor) FROM {views}
     WHERE created_at >= %s AND created_at < %s AND ticket_id IS NOT NULL),
  (SELECT COUNT(DISTINCT v.visitor) FROM {views} v
     WHERE v.created_at >= %s AND v.created_at < %s AND v.ticket_id IS NULL
       AND v.created_at > %s
       AND NOT EXISTS (
         SELECT 1 FROM {views} w
         WHERE w.visitor = v.visitor AND w.ticket_id IS NOT NULL
           AND w.created_at >= %s AND w.created_at < %s))
"""


def deflection_funnel(
    *,
    since: datetime.datetime,
    now: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> Funnel:
    """Searches -> visitors who opened an article -> those who left without a ticket, of
    what happened from `since` to `until` (default: now).

    A visitor is deflected when they opened an article and submitted no ticket within
    DEFLECTION_WINDOW after their last reading; one whose window is still running is
    undecided (decision 0032). One query (the reports dashboard shows it too)."""
    now = now or timezone.now()
    until = until or now
    window = [since, until]
    sql = _FUNNEL_SQL.format(
        searches=connection.ops.quote_name(SearchRecord._meta.db_table),
        views=connection.ops.quote_name(ArticleView._meta.db_table),
    )
    params = [*window * 4, *window, now - DEFLECTION_WINDOW, *window]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        searches, searching, readers, with_ticket, undecided = cursor.fetchone()
    return Funnel(
        searches=searches,
        searching_visitors=searching,
        reading_visitors=readers,
        deflected_visitors=max(0, readers - with_ticket - undecided),
        ticket_visitors=with_ticket,
        undecided_visitors=undecided,
    )


def feedback_comments(
    *, since: datetime.datetime, department_ids: set[int] | None = None, limit: int = 20
) -> list[ArticleFeedback]:
    """What readers said was missing, newest first (of the departments' articles)."""
    comments = ArticleFeedback.objects.filter(updated_at__gte=since, helpful=False)
    if department_ids is not None:
        comments = comments.filter(article__department_id__in=department_ids)
    return list(
        comments.exclude(comment="")
        .select_related("article")
        .only("id", "comment", "updated_at", "article__title", "article__slug")
        .order_by("-updated_at", "-id")[:limit]
    )
