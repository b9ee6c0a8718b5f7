"""The knowledge base: categories, articles and their history, and what readers did.

Models are thin: every change goes through kb/services.py, every read through
kb/selectors.py, every "may this person see or edit it" through kb/access.py (built on
tickets.access). See docs/decisions/0032-knowledge-base.md.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
COMMENT_MAX_LENGTH = 500
QUERY_MAX_LENGTH = 200


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    INTERNAL = "internal", "Internal (agents only)"
    PUBLISHED = "published", "Published"


class ViewSource(models.TextChoices):
    """How a reader came to an article: the funnel counts the help centre's own ways."""

    SEARCH = "search", "Help centre search"
    SUGGESTION = "suggestion", "Suggested on the new-ticket form"
    BROWSE = "browse", "Browsing the help centre"
    LINK = "link", "A link (a reply, another site)"


class SearchSource(models.TextChoices):
    SEARCH = "search", "Help centre search"
    SUGGESTION = "suggestion", "New-ticket form suggestions"


class Category(models.Model):
    """A shelf of articles, at most two levels deep: Hardware, then Monitors."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="Empty for a top-level category. Categories go two levels deep.",
    )
    description = models.CharField(max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("portal:help_category", args=[self.slug])


class Article(models.Model):
    """An answer, in Markdown; `body_html` is its rendering, sanitised (kb/rendering.py)."""

    State = ArticleState

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    slug = models.SlugField(max_length=120, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    # Whose editors write it; agents of every department read internal articles.
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="articles"
    )
    state = models.CharField(max_length=16, choices=ArticleState.choices, default="draft")
    body = models.TextField(validators=[MaxLengthValidator(BODY_MAX_LENGTH)])
    body_html = models.TextField(editable=False, default="")
    excerpt = models.CharField(max_length=300, editable=False, default="")
    help_topics = models.ManyToManyField(
        "tickets.HelpTopic",
        blank=True,
        related_name="articles",
        help_text="Suggested to requesters who choose these topics.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kb_articles",
    )
    reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When an editor last checked it is still right."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Title weighted A, body B, English stemming; kept by the services, GIN-indexed on
    # PostgreSQL only (migration 0001). Empty on SQLite, where search matches substrings.
    search_document = SearchVectorField(null=True, editable=False)
    # The title alone, for the new-ticket suggestions: a typed subject's common words match
    # most bodies, and scanning those postings is what made suggestions slow (decision
    # 0048). GIN-indexed over published articles only (migration 0003, PostgreSQL).
    title_document = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ArticleState.values), name="kb_article_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "category"], name="kb_article_state_category"),
            models.Index(fields=["department", "state"], name="kb_article_department_state"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("portal:help_article", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.state == ArticleState.PUBLISHED


class ArticleRevision(models.Model):
    """One saved version of an article: who, when, and what it said then."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    editor_label = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body = models.TextField()
    state = models.CharField(max_length=16, choices=ArticleState.choices)
    # "created", "edited", "published", "unpublished", "reviewed", "image added",
    # "image removed"
    change = models.CharField(max_length=16)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="kb_revision_article")]

    def __str__(self):
        return f"{self.change} {self.article_id} by {self.editor_label or 'nobody'}"


class ArticleView(models.Model):
    """An article opened by a reader (one row per visitor and article a day at most).

    `visitor` is a keyed hash of the session, never the session key itself. `ticket` is
    set when the same visitor submits a ticket within DEFLECTION_WINDOW after reading:
    what is left unset once the window passed is a deflection (decision 0032)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views")
    visitor = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=16, choices=ViewSource.choices)
    query = models.CharField(max_length=QUERY_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ViewSource.values), name="kb_view_source_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["visitor", "-created_at"], name="kb_view_visitor"),
            models.Index(fields=["article", "created_at"], name="kb_view_article"),
            models.Index(fields=["created_at"], name="kb_view_created"),
        ]

    def __str__(self):
        return f"Article {self.article_id} read ({self.source})"


class ArticleFeedback(models.Model):
    """ "Was this helpful?": one answer per visitor and article, changeable."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    visitor = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    helpful = models.BooleanField()
    comment = models.CharField(
        "what was missing", max_length=COMMENT_MAX_LENGTH, blank=True, default=""
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "article feedback"
        constraints = [
            models.UniqueConstraint(fields=["article", "visitor"], name="kb_feedback_once"),
        ]

    def __str__(self):
        return f"{'Helpful' if self.helpful else 'Not helpful'}: article {self.article_id}"


class SearchRecord(models.Model):
    """A help-centre search or a suggestion lookup: the top of the deflection funnel."""

    visitor = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=SearchSource.choices)
    query = models.CharField(max_length=QUERY_MAX_LENGTH)
    results = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=SearchSource.values), name="kb_search_source_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="kb_search_created")]

    def __str__(self):
        return f"{self.source}: {self.query}"


class SentArticle(models.Model):
    """An article an agent sent in a reply: one row per ticket, article and entry."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sent_articles"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sendings")
    entry = models.ForeignKey(
        "tickets.ThreadEntry", on_delete=models.CASCADE, related_name="sent_articles"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "article", "entry"], name="kb_sent_article_once"
            ),
        ]
        indexes = [models.Index(fields=["article", "created_at"], name="kb_sent_article")]

    def __str__(self):
        return f"Article {self.article_id} in ticket {self.ticket_id}"


# Article images are served under this path (portal/help.py's help_image); the sanitiser
# (kb/rendering.py) lets an article's <img> point nowhere else.
IMAGE_URL_PREFIX = "/help/images/"


def article_image_path(instance, filename):
    # The stored name is random; the name the browser sent is kept only as data.
    return f"kb/{instance.article_id}/{instance.sha256[:16]}-{instance.token}"


class ArticleImage(models.Model):
    """A picture in an article: checked by its content (tickets.attachments), stored under
    a random name, shown to whoever may read the article (kb.access)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=article_image_path, max_length=255)
    # In the image's address: random, so addresses cannot be guessed or counted.
    token = models.CharField(max_length=32, unique=True, editable=False)
    filename = models.CharField(max_length=255)
    # What the content was detected as, never what the browser claimed.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename

    def get_absolute_url(self):
        return f"{IMAGE_URL_PREFIX}{self.token}/"

    @property
    def markdown(self) -> str:
        """What an editor pastes into the article to show it."""
        alt = self.filename.rsplit(".", 1)[0].replace("[", "").replace("]", "")
        return f"![{alt}]({self.get_absolute_url()})"
