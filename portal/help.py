"""The help centre: search, categories, articles, "was this helpful?", suggestions.

Thin views over kb.selectors (every read), kb.services (every write) and kb.access
(published articles only, here, whoever asks). A reader is a visitor: a keyed hash of
their session (kb.services.visitor_key), so that a search, the articles opened after it
and the ticket perhaps submitted afterwards join up without storing who they were. See
docs/decisions/0032-knowledge-base.md.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.ratelimit import public_form_allowed
from kb import selectors
from kb.access import article_get_for_requester, article_image_get_for_reader
from kb.models import COMMENT_MAX_LENGTH, Category, SearchSource, ViewSource
from kb.services import (
    KBError,
    article_record_feedback,
    article_record_view,
    search_record,
    visitor_key,
)
from web.files import image_response

THANKS_YES = "Thanks for telling us: glad it helped."
THANKS_NO = "Thanks: your note goes to the people who write these articles."
TOO_MANY = "We received many answers from you in a short time. Please try again later."
SUBJECT_PREFILL_LENGTH = 120


def visitor_of(request) -> str:
    """This browser's visitor key; the session is started if it was not yet."""
    if not request.session.session_key:
        request.session["kb_visitor"] = True
        request.session.save()
    return visitor_key(request.session.session_key)


def submit_ticket_url(*, words: str = "", topic_id: int | None = None) -> str:
    """The new-ticket form with the words the requester searched for as its subject."""
    params = {}
    if words:
        params["subject"] = " ".join(words.split())[:SUBJECT_PREFILL_LENGTH]
    if topic_id:
        params["help_topic"] = topic_id
    url = reverse("portal:ticket_new")
    return f"{url}?{urlencode(params)}" if params else url


def _topic_id(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@require_GET
def help_home(request):
    return render(
        request,
        "kb/help_home.html",
        {"categories": selectors.category_tree_for_portal(), "submit_url": submit_ticket_url()},
    )


@require_GET
def help_search(request):
    query = " ".join(request.GET.get("q", "").split())[: selectors.QUERY_MAX_LENGTH]
    results = selectors.article_search(query=query) if query else []
    if query:
        search_record(
            visitor=visitor_of(request),
            source=SearchSource.SEARCH,
            query=query,
            results=len(results),
        )
    return render(
        request,
        "kb/help_search.html",
        {"query": query, "results": results, "submit_url": submit_ticket_url(words=query)},
    )


@require_GET
def help_category(request, slug: str):
    try:
        category, children, articles = selectors.category_page_for_portal(slug=slug)
    except Category.DoesNotExist:
        raise Http404("No such category.") from None
    return render(
        request,
        "kb/help_category.html",
        {
            "category": category,
            "children": children,
            "articles": articles,
            "submit_url": submit_ticket_url(),
        },
    )


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")])
    comment = forms.CharField(
        label="What was missing?",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )


def _source(value: str) -> str:
    return value if value in ViewSource.values else ViewSource.LINK


@require_GET
def help_article(request, slug: str):
    article = article_get_for_requester(slug=slug)
    query = " ".join(request.GET.get("q", "").split())[: selectors.QUERY_MAX_LENGTH]
    source = _source(request.GET.get("from", ""))
    article_record_view(
        article=article,
        visitor=visitor_of(request),
        user=request.user,
        source=source,
        query=query,
    )
    topics = list(article.help_topics.all())
    asking_more = request.GET.get("feedback") == "no"
    return render(
        request,
        "kb/help_article.html",
        {
            "article": article,
            "related": selectors.related_articles(article=article),
            "feedback_form": FeedbackForm(initial={"helpful": "no"}) if asking_more else None,
            "asking_more": asking_more,
            "submit_url": submit_ticket_url(
                words=query or article.title, topic_id=topics[0].pk if topics else None
            ),
        },
    )


@require_POST
def help_feedback(request, slug: str):
    article = article_get_for_requester(slug=slug)
    form = FeedbackForm(request.POST)
    back = reverse("portal:help_article", args=[article.slug])
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back + "#feedback")
    if not public_form_allowed(request, scope="kb_feedback", email=""):
        messages.error(request, TOO_MANY)
        return redirect(back + "#feedback")
    helpful = form.cleaned_data["helpful"] == "yes"
    comment = form.cleaned_data["comment"]
    try:
        article_record_feedback(
            article=article,
            visitor=visitor_of(request),
            helpful=helpful,
            comment=comment,
            user=request.user,
        )
    except KBError as error:
        messages.error(request, error.message)
        return redirect(back + "#feedback")
    if not helpful and not comment:
        # "No" first, then what was missing: the second step of the same answer.
        return redirect(back + "?feedback=no#feedback")
    messages.success(request, THANKS_YES if helpful else THANKS_NO)
    return redirect(back + "#feedback")


@require_GET
def help_suggest(request):
    """htmx, from the new-ticket form: articles for the subject typed and topic chosen."""
    subject = " ".join(request.GET.get("subject", "").split())[: selectors.QUERY_MAX_LENGTH]
    topic_id = _topic_id(request.GET.get("help_topic"))
    articles = (
        selectors.article_suggestions(subject=subject, topic_id=topic_id)
        if subject or topic_id
        else []
    )
    if subject:
        search_record(
            visitor=visitor_of(request),
            source=SearchSource.SUGGESTION,
            query=subject,
            results=len(articles),
        )
    return render(
        request,
        "kb/partials/suggestions.html",
        {"suggestions": articles, "subject": subject, "searched": bool(subject or topic_id)},
    )


@require_GET
def help_image(request, token: str):
    """An article's image, for whoever may read the article (a published one: anyone; an
    internal one: agents; a draft: its editors), with the type detected from its content."""
    return image_response(article_image_get_for_reader(user=request.user, token=token))
