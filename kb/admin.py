"""Admin for the knowledge base: categories, and articles written through kb.services.

Articles are edited in the desk (/agent/kb/) by knowledge base editors; the admin writes
through the same services, so every save leaves its revision and keeps the search
document current.
"""

from django import forms
from django.contrib import admin, messages

from accounts.admin import AuditedAdminMixin
from kb.models import Article, ArticleFeedback, ArticleRevision, Category
from kb.services import (
    KBError,
    article_create,
    article_set_state,
    article_update,
    category_check_depth,
)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "slug", "parent", "description", "position")

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        try:
            category_check_depth(parent=parent)
        except KBError as error:
            raise forms.ValidationError(error.message) from None
        if (
            parent is not None
            and self.instance.pk
            and (parent.pk == self.instance.pk or self.instance.children.exists())
        ):
            raise forms.ValidationError(
                "A category with sub-categories, or the category itself, cannot be a parent here."
            )
        return parent


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = CategoryForm
    list_display = ("name", "parent", "slug", "position")
    list_filter = ("parent",)
    list_select_related = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    fields = ("created_at", "editor_label", "change", "state", "title")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "state", "category", "department", "updated_at", "reviewed_at")
    list_filter = ("state", "department", "category")
    list_select_related = ("category", "department")
    search_fields = ("title",)
    autocomplete_fields = ("help_topics",)
    fields = ("title", "category", "department", "state", "body", "help_topics")
    readonly_fields = ()
    inlines = (RevisionInline,)

    def get_readonly_fields(self, request, obj=None):
        # The department decides who edits; it is chosen once.
        return ("department",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                saved = article_create(
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    department=data["department"],
                    state=data["state"],
                    by=request.user,
                )
            else:
                saved = article_update(
                    article=obj, title=data["title"], body=data["body"],
                    category=data["category"], by=request.user,
                )  # fmt: skip
                saved = article_set_state(article=saved, state=data["state"], by=request.user)
        except KBError as error:
            messages.error(request, error.message)
            return
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Topics go through the service too (it records the revision).
        if form.instance.pk is None:
            return
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        article_update(
            article=form.instance,
            title=form.instance.title,
            body=form.instance.body,
            category=form.instance.category,
            help_topics=form.cleaned_data.get("help_topics", []),
            by=request.user,
        )


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ("article", "helpful", "comment", "updated_at")
    list_filter = ("helpful",)
    search_fields = ("comment", "article__title")
    list_select_related = ("article",)
    readonly_fields = (
        "article",
        "visitor",
        "user",
        "helpful",
        "comment",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False
