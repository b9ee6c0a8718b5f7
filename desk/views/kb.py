"""The knowledge base in the desk: the list, an article's page and its history, writing
and editing with a preview, publishing; the reply box's article search; the figures.

Every agent reads published and internal articles; the knowledge base editors of a
department (a role on their membership) write and publish its articles. Reads through
kb.selectors, writes through kb.services, permissions through kb.access.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desk.kb_forms import ArticleForm, ArticleImageForm
from desk.views.common import agent_required
from kb import selectors
from kb.access import article_get_for_agent, article_get_for_editor, can_edit_article
from kb.models import ArticleState
from kb.rendering import render_markdown
from kb.services import (
    KBError,
    article_create,
    article_image_add,
    article_image_delete,
    article_mark_reviewed,
    article_set_state,
    article_update,
)
from tickets.access import report_department_ids

PAGE_SIZE = 25
FIGURE_PERIODS = {"7": 7, "30": 30, "90": 90}
SAVED = "Article saved."
IMAGE_ADDED = "Image uploaded: put its Markdown in the text where it belongs."
IMAGE_DELETED = "Image deleted."


def _preview(form) -> str | None:
    """The text as the help centre will show it (sanitised), when Preview was pressed."""
    if "preview" not in form.data:
        return None
    return render_markdown(form.data.get("body", ""))


@require_GET
@agent_required
def kb_list(request):
    state = request.GET.get("state", "")
    # `kb_q`: the reply box's article search, sent without JavaScript.
    query = (request.GET.get("q") or request.GET.get("kb_q", ""))[:200]
    articles = selectors.articles_for_desk(user=request.user, state=state, query=query)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "kb/desk_list.html",
        {
            "page": page,
            "state": state,
            "query": query,
            "states": ArticleState.choices,
            "can_create": bool(selectors.editable_departments(request.user)),
        },
    )


@require_http_methods(["GET", "POST"])
@agent_required
def kb_new(request):
    departments = selectors.editable_departments(request.user)
    if not departments:
        raise Http404("You do not edit any department's articles.")
    form = ArticleForm(request.POST or None, departments=departments)
    preview = _preview(form) if request.method == "POST" else None
    if request.method == "POST" and preview is None and form.is_valid():
        data = form.cleaned_data
        try:
            article = article_create(
                title=data["title"],
                body=data["body"],
                category=data["category"],
                department=data["department"],
                help_topics=data["help_topics"],
                state=data["state"],
                by=request.user,
            )
        except KBError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, SAVED)
            return redirect("agent:kb_article", pk=article.pk)
    return render(
        request, "kb/desk_edit.html", {"form": form, "preview": preview, "article": None}
    )


@require_GET
@agent_required
def kb_article(request, pk):
    article = article_get_for_agent(user=request.user, pk=pk)
    context = selectors.article_page_for_desk(article=article)
    context.update(
        {
            "article": article,
            "can_edit": can_edit_article(request.user, article),
            "states": ArticleState.choices,
            "public_url": settings.SITE_URL + article.get_absolute_url(),
        }
    )
    return render(request, "kb/desk_article.html", context)


@require_http_methods(["GET", "POST"])
@agent_required
def kb_edit(request, pk):
    article = article_get_for_editor(user=request.user, pk=pk)
    form = ArticleForm(request.POST or None, initial=_initial(article), creating=False)
    preview = _preview(form) if request.method == "POST" else None
    if request.method == "POST" and preview is None and form.is_valid():
        data = form.cleaned_data
        try:
            saved = article_update(
                article=article,
                title=data["title"],
                body=data["body"],
                category=data["category"],
                help_topics=data["help_topics"],
                by=request.user,
            )
            article_set_state(article=saved, state=data["state"], by=request.user)
        except KBError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, SAVED)
            return redirect("agent:kb_article", pk=article.pk)
    return _edit_page(request, article, form=form, preview=preview)


def _initial(article) -> dict:
    return {
        "title": article.title,
        "category": article.category_id,
        "state": article.state,
        "body": article.body,
        "help_topics": list(article.help_topics.values_list("pk", flat=True)),
    }


def _edit_page(request, article, *, form=None, preview=None, image_form=None, status=200):
    form = form or ArticleForm(initial=_initial(article), creating=False)
    return render(
        request,
        "kb/desk_edit.html",
        {
            "form": form,
            "preview": preview,
            "article": article,
            "image_form": image_form or ArticleImageForm(),
            "images": selectors.article_images(article=article),
        },
        status=status,
    )


@require_POST
@agent_required
def kb_image_add(request, pk):
    """Upload a picture for the article (editors only); a file that is not an image we
    take is a form error on the edit page, and nothing is stored."""
    article = article_get_for_editor(user=request.user, pk=pk)
    image_form = ArticleImageForm(request.POST, request.FILES)
    if image_form.is_valid():
        try:
            article_image_add(
                article=article, upload=image_form.cleaned_data["image"], by=request.user
            )
        except KBError as error:
            image_form.add_error("image", error.message)
        else:
            messages.success(request, IMAGE_ADDED)
            return redirect(reverse("agent:kb_edit", args=[article.pk]) + "#images")
    return _edit_page(request, article, image_form=image_form, status=400)


@require_POST
@agent_required
def kb_image_delete(request, pk, image_pk):
    article = article_get_for_editor(user=request.user, pk=pk)
    image = selectors.article_image_for_editor(article=article, pk=image_pk)
    try:
        article_image_delete(image=image, by=request.user)
    except KBError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, IMAGE_DELETED)
    return redirect(reverse("agent:kb_edit", args=[article.pk]) + "#images")


@require_POST
@agent_required
def kb_state(request, pk):
    """Publish, make internal, take back to draft, or mark as reviewed."""
    article = article_get_for_editor(user=request.user, pk=pk)
    state = request.POST.get("state", "")
    try:
        if state == "reviewed":
            article_mark_reviewed(article=article, by=request.user)
            messages.success(request, "Marked as reviewed today.")
        else:
            article = article_set_state(article=article, state=state, by=request.user)
            messages.success(request, f"The article is now {article.get_state_display()}.")
    except KBError as error:
        messages.error(request, error.message)
    return redirect("agent:kb_article", pk=article.pk)


@require_GET
@agent_required
def kb_lookup(request):
    """htmx, from the reply box: articles to insert as a link or as text."""
    query = request.GET.get("kb_q", "")[:200]
    articles = selectors.article_lookup_for_agent(query=query) if query.strip() else []
    return render(
        request,
        "kb/partials/reply_lookup_results.html",
        {
            "articles": articles,
            "query": query,
            "site_url": settings.SITE_URL,
            "target": request.GET.get("target", "id_body")[:40],
        },
    )


@require_GET
@agent_required
def kb_figures(request):
    days = FIGURE_PERIODS.get(request.GET.get("days", ""), 30)
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    departments = None if request.user.is_superuser else report_department_ids(request.user)
    rows = selectors.article_figures(since=since, department_ids=departments)
    return render(
        request,
        "kb/desk_figures.html",
        {
            "rows": rows,
            "days": days,
            "periods": FIGURE_PERIODS,
            "funnel": selectors.deflection_funnel(since=since, now=now),
            "comments": selectors.feedback_comments(since=since, department_ids=departments),
            "list_url": reverse("agent:kb_list"),
        },
    )
