"""Every change to the knowledge base: articles and their states, what readers did.

Each service runs in one transaction, checks the person against kb/access.py, saves with
`update_fields`, and writes the article's revision (who, when, what it said) in the same
transaction, so the history is never behind the article. Errors are KBError with a
message that is safe to show. See docs/decisions/0032-knowledge-base.md.
"""

import datetime
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.roles import is_system
from kb.access import articles_readable_by, can_edit_article
from kb.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    QUERY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleRevision,
    ArticleState,
    ArticleView,
    Category,
    SearchRecord,
    SentArticle,
    ViewSource,
)
from kb.rendering import excerpt_of, plain_text, render_markdown
from kb.search_index import article_document_update
from tickets.access import can_edit_kb_in_department, can_work_ticket
from tickets.attachments import files_removed_on_error, image_validate
from tickets.errors import InvalidInput
from tickets.models import HelpTopic, ThreadEntry, Ticket

# A reader who submits a ticket within this time after reading an article did not find
# their answer in it; one who does not, did (a deflection, decision 0032).
DEFLECTION_WINDOW = datetime.timedelta(hours=24)
# The same visitor opening the same article again within this time is one reading.
VIEW_DEDUPE = datetime.timedelta(minutes=30)
MAX_TOPICS = 50

NOT_AN_EDITOR = "Only the knowledge base editors of this department may do that."
TITLE_REQUIRED = "An article needs a title."
TITLE_TOO_LONG = f"A title is at most {TITLE_MAX_LENGTH} characters."
BODY_REQUIRED = "An article needs some text."
BODY_TOO_LONG = f"An article is at most {BODY_MAX_LENGTH:,} characters."
CATEGORY_TOO_DEEP = "Categories go two levels deep: choose a top-level category as parent."
UNKNOWN_STATE = "That is not an article state."
COMMENT_TOO_LONG = f"Please keep it under {COMMENT_MAX_LENGTH} characters."
ARTICLE_NOT_PUBLISHED = "Only published articles take feedback."
# Pictures in an article are screenshots: smaller than a ticket's attachments may be.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGES_PER_ARTICLE = 50
TOO_MANY_IMAGES = f"An article has at most {IMAGES_PER_ARTICLE} images."
IMAGE_REQUIRED = "Choose an image to upload."
MAX_SENT_ARTICLES = 20
TOO_MANY_ARTICLES = f"A reply sends at most {MAX_SENT_ARTICLES} articles."


class KBError(Exception):
    """A knowledge base change that the rules do not allow; the message is safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _label(user) -> str:
    return getattr(user, "email", "") or str(user)


def _editor_pk(user):
    return user.pk if getattr(user, "is_authenticated", False) else None


def _clean_text(*, title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    body = (body or "").replace("\r\n", "\n")
    if not title:
        raise KBError(TITLE_REQUIRED)
    if len(title) > TITLE_MAX_LENGTH:
        raise KBError(TITLE_TOO_LONG)
    if not body.strip():
        raise KBError(BODY_REQUIRED)
    if len(body) > BODY_MAX_LENGTH:
        raise KBError(BODY_TOO_LONG)
    return title, body


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(title) or "article")[:100].strip("-") or "article"
    slug, n = base, 1
    taken = Article.objects.exclude(pk=exclude_pk) if exclude_pk else Article.objects.all()
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _render(article: Article) -> None:
    article.body_html = render_markdown(article.body)
    article.excerpt = excerpt_of(article.body_html)


def _reindex(article: Article) -> None:
    article_document_update(
        article_id=article.pk, title=article.title, text=plain_text(article.body_html)
    )


def _revision(article: Article, *, by, change: str) -> ArticleRevision:
    return ArticleRevision.objects.create(
        article=article,
        editor_id=_editor_pk(by),
        editor_label=_label(by),
        created_at=timezone.now(),
        title=article.title,
        body=article.body,
        state=article.state,
        change=change,
    )


def category_check_depth(*, parent: Category | None) -> None:
    """Two levels: a category's parent must itself be top-level."""
    if parent is not None and parent.parent_id is not None:
        raise KBError(CATEGORY_TOO_DEEP)


@transaction.atomic
def article_create(
    *,
    title: str,
    body: str,
    category: Category,
    department,
    by,
    help_topics: Iterable[HelpTopic] = (),
    state: str = ArticleState.DRAFT,
) -> Article:
    """A new article, a draft unless said otherwise, by an editor of `department`."""
    if not can_edit_kb_in_department(by, getattr(department, "pk", None)):
        raise KBError(NOT_AN_EDITOR)
    if state not in ArticleState.values:
        raise KBError(UNKNOWN_STATE)
    title, body = _clean_text(title=title, body=body)
    now = timezone.now()
    article = Article(
        title=title,
        slug=_unique_slug(title),
        body=body,
        category=category,
        department=department,
        state=state,
        author_id=_editor_pk(by),
        created_at=now,
        updated_at=now,
        published_at=now if state == ArticleState.PUBLISHED else None,
    )
    _render(article)
    article.save()
    article.help_topics.set(list(help_topics)[:MAX_TOPICS])
    _reindex(article)
    _revision(article, by=by, change="created")
    return article


def _locked(article: Article, by) -> Article:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not can_edit_article(by, locked):
        raise KBError(NOT_AN_EDITOR)
    return locked


@transaction.atomic
def article_update(
    *,
    article: Article,
    title: str,
    body: str,
    category: Category,
    by,
    help_topics: Iterable[HelpTopic] | None = None,
) -> Article:
    """New words, category or topics; the revision keeps what it says now."""
    locked = _locked(article, by)
    title, body = _clean_text(title=title, body=body)
    changed = []
    if locked.title != title:
        locked.title = title
        changed.append("title")
    if locked.body != body:
        locked.body = body
        _render(locked)
        changed += ["body", "body_html", "excerpt"]
    if locked.category_id != category.pk:
        locked.category = category
        changed.append("category")
    topics_changed = False
    if help_topics is not None:
        wanted = {t.pk for t in list(help_topics)[:MAX_TOPICS]}
        if wanted != set(locked.help_topics.values_list("pk", flat=True)):
            locked.help_topics.set(wanted)
            topics_changed = True
    if changed:
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changed, "updated_at"])
        if "title" in changed or "body" in changed:
            _reindex(locked)
    if changed or topics_changed:
        _revision(locked, by=by, change="edited")
    return locked


@transaction.atomic
def article_set_state(*, article: Article, state: str, by) -> Article:
    """Publish, make internal (agents only) or take back to draft."""
    if state not in ArticleState.values:
        raise KBError(UNKNOWN_STATE)
    locked = _locked(article, by)
    if locked.state == state:
        return locked
    was_published = locked.is_published
    locked.state = state
    locked.updated_at = timezone.now()
    fields = ["state", "updated_at"]
    if state == ArticleState.PUBLISHED and locked.published_at is None:
        locked.published_at = locked.updated_at
        fields.append("published_at")
    locked.save(update_fields=fields)
    change = (
        "published"
        if state == ArticleState.PUBLISHED
        else ("unpublished" if was_published else "state")
    )
    _revision(locked, by=by, change=change)
    return locked


@transaction.atomic
def article_mark_reviewed(*, article: Article, by) -> Article:
    """An editor checked the article is still right."""
    locked = _locked(article, by)
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["reviewed_at"])
    _revision(locked, by=by, change="reviewed")
    return locked


# Images ------------------------------------------------------------------------------


def article_image_add(*, article: Article, upload, by) -> ArticleImage:
    """A picture for the article, checked by its content as every attachment is
    (tickets.attachments: PNG, JPEG, GIF, WebP; never SVG, never by name or claimed type),
    stored under a random name; the revision history says who added which file."""
    if upload is None:
        raise KBError(IMAGE_REQUIRED)
    try:
        checked = image_validate(upload, max_bytes=IMAGE_MAX_BYTES)
    except InvalidInput as error:
        raise KBError(error.message) from error
    with files_removed_on_error() as written, transaction.atomic():
        locked = _locked(article, by)
        if locked.images.count() >= IMAGES_PER_ARTICLE:
            raise KBError(TOO_MANY_IMAGES)
        image = ArticleImage(
            article=locked,
            token=secrets.token_hex(16),
            filename=checked.filename,
            content_type=checked.kind.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by_id=_editor_pk(by),
            created_at=timezone.now(),
        )
        image.file.save("upload", ContentFile(checked.content), save=False)
        written.append((image.file.storage, image.file.name))
        image.save()
        _revision(locked, by=by, change="image added")
    return image


def article_image_delete(*, image: ArticleImage, by) -> None:
    """Take a picture away; the file goes once the row is gone for good."""
    with transaction.atomic():
        locked = _locked(image.article, by)
        ArticleImage.objects.filter(pk=image.pk, article=locked).delete()
        _revision(locked, by=by, change="image removed")
        storage, name = image.file.storage, image.file.name
        transaction.on_commit(lambda: storage.delete(name))


# What readers did ---------------------------------------------------------------------


def visitor_key(session_key: str) -> str:
    """A keyed hash of the session: rows join one visitor's steps without storing a key
    that would open their session."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"kb-visitor:{session_key}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:40]


def _query(text: str) -> str:
    """What was typed, as one line of printable text (PostgreSQL refuses NUL in text)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    return " ".join(printable.split())[:QUERY_MAX_LENGTH]


def article_record_view(
    *, article: Article, visitor: str, user=None, source: str, query: str = ""
) -> ArticleView | None:
    """The reader opened the article; again within VIEW_DEDUPE counts once."""
    if source not in ViewSource.values:
        source = ViewSource.LINK
    now = timezone.now()
    recent = ArticleView.objects.filter(
        article=article, visitor=visitor, created_at__gt=now - VIEW_DEDUPE
    )
    if recent.exists():
        return None
    return ArticleView.objects.create(
        article=article,
        visitor=visitor,
        user_id=_editor_pk(user),
        source=source,
        query=_query(query),
        created_at=now,
    )


def search_record(*, visitor: str, source: str, query: str, results: int) -> SearchRecord:
    return SearchRecord.objects.create(
        visitor=visitor, source=source, query=_query(query), results=results
    )


@transaction.atomic
def article_record_feedback(
    *, article: Article, visitor: str, helpful: bool, comment: str = "", user=None
) -> ArticleFeedback:
    """Was this helpful? One answer per visitor and article; a later one replaces it."""
    if not article.is_published:
        raise KBError(ARTICLE_NOT_PUBLISHED)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise KBError(COMMENT_TOO_LONG)
    now = timezone.now()
    try:
        with transaction.atomic():
            feedback, created = ArticleFeedback.objects.select_for_update().get_or_create(
                article=article,
                visitor=visitor,
                defaults={
                    "helpful": helpful,
                    "comment": "" if helpful else comment,
                    "user_id": _editor_pk(user),
                    "created_at": now,
                    "updated_at": now,
                },
            )
    except IntegrityError:  # two posts at once: the other one made the row
        feedback, created = ArticleFeedback.objects.get(article=article, visitor=visitor), False
    if not created:
        feedback.helpful = helpful
        # A comment says what was missing; a later "yes" keeps none.
        feedback.comment = "" if helpful else (comment or feedback.comment)
        feedback.updated_at = now
        feedback.save(update_fields=["helpful", "comment", "updated_at"])
    return feedback


def views_link_ticket(*, visitor: str, ticket: Ticket) -> int:
    """The visitor who just submitted `ticket` had read these articles (within the
    deflection window): they were not deflected. Returns how many readings it marks."""
    since = ticket.created_at - DEFLECTION_WINDOW
    return ArticleView.objects.filter(
        visitor=visitor, ticket__isnull=True, created_at__gte=since
    ).update(ticket=ticket)


# Articles agents send -----------------------------------------------------------------

_ARTICLE_PATH_RE = re.compile(r"/help/articles/([a-z0-9][a-z0-9-]{0,119})/")


def article_slugs_in(text: str) -> list[str]:
    """Help-centre article addresses in a reply's text, in order, once each."""
    return list(dict.fromkeys(_ARTICLE_PATH_RE.findall(text or "")))


def sent_articles_check(*, by, article_ids: Iterable[int]) -> list[int]:
    """The ids of articles a reply is about to send, checked before the reply is written:
    each must be an article `by` may read (kb.access) and published (the requester reads
    it). KBError names the first that is not; an unknown id and one `by` may not read
    read alike."""
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    if len(ids) > MAX_SENT_ARTICLES:
        raise KBError(TOO_MANY_ARTICLES)
    states = dict(articles_readable_by(by).filter(pk__in=ids).values_list("pk", "state"))
    for pk in ids:
        if pk not in states:
            raise KBError(f"No article with id {pk}.")
        if states[pk] != ArticleState.PUBLISHED:
            what = "a draft" if states[pk] == ArticleState.DRAFT else "internal"
            raise KBError(
                f"Article {pk} is {what}: only published articles can be sent to a requester."
            )
    return ids


@transaction.atomic
def ticket_record_sent_articles(
    *, ticket: Ticket, entry: ThreadEntry, by, article_ids: Iterable[int] = ()
) -> list[SentArticle]:
    """The articles a reply sent: those the agent inserted (`article_ids`) and those whose
    help-centre address is in its text. Only articles the requester may read count (a
    published one); an internal article's text is for agents and is not recorded as sent."""
    if not can_work_ticket(by, ticket) or entry.ticket_id != ticket.pk:
        return []
    slugs = article_slugs_in(entry.body)
    ids = {int(i) for i in article_ids if str(i).isdigit()}
    found = Article.objects.filter(state=ArticleState.PUBLISHED).filter(
        pk__in=ids
    ) | Article.objects.filter(state=ArticleState.PUBLISHED, slug__in=slugs)
    rows = [
        SentArticle(ticket=ticket, article_id=pk, entry=entry, sent_by_id=_editor_pk(by))
        for pk in sorted(set(found.values_list("pk", flat=True)))
    ]
    return SentArticle.objects.bulk_create(rows, ignore_conflicts=True)


# Articles brought over from another help desk -----------------------------------------------

ONLY_THE_SYSTEM_IMPORTS = "Only the system imports articles."


@transaction.atomic
def article_import(
    *,
    article: Article | None,
    title: str,
    body: str,
    category: Category,
    department,
    state: str,
    help_topics: Iterable[HelpTopic],
    created_at: datetime.datetime,
    updated_at: datetime.datetime,
    by,
) -> Article:
    """An article as another desk had it (importers/, decision 0047): new, or the one
    imported before brought in step. Its own times are kept, so the help centre's "updated"
    says when it was last changed there. The import acts as the system (`by=SYSTEM`),
    writing history rather than an editor's change, so the editor check does not apply;
    the text is checked, rendered through nh3 and indexed as every article's is, and a
    revision ("imported") records what it says."""
    if not is_system(by):
        raise KBError(ONLY_THE_SYSTEM_IMPORTS)
    if state not in ArticleState.values:
        raise KBError(UNKNOWN_STATE)
    title, body = _clean_text(title=title, body=body)
    topics = {t.pk for t in list(help_topics)[:MAX_TOPICS]}
    if article is None:
        locked = Article(
            slug=_unique_slug(title),
            created_at=created_at,
            published_at=updated_at if state == ArticleState.PUBLISHED else None,
        )
    else:
        locked = Article.objects.select_for_update().get(pk=article.pk)
    changed = locked.pk is None or (
        (locked.title, locked.body, locked.category_id, locked.state)
        != (title, body, category.pk, state)
    )
    if changed:
        locked.title, locked.body, locked.category, locked.state = title, body, category, state
        locked.department = department if locked.pk is None else locked.department
        locked.updated_at = updated_at
        if state == ArticleState.PUBLISHED and locked.published_at is None:
            locked.published_at = updated_at
        _render(locked)
        locked.save()
        _reindex(locked)
    if topics != set(locked.help_topics.values_list("pk", flat=True)):
        locked.help_topics.set(topics)
        changed = True
    if changed:
        _revision(locked, by=by, change="imported")
    return locked
