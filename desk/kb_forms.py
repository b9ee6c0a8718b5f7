"""Forms of the desk's knowledge base pages: an article, written by an editor."""

from django import forms

from accounts.models import Department
from kb.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, ArticleState, Category
from tickets.models import HelpTopic


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name


class ArticleForm(forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH)
    department = forms.ModelChoiceField(
        label="Department",
        queryset=Department.objects.none(),
        help_text="Its knowledge base editors edit the article.",
    )
    category = CategoryChoiceField(label="Category", queryset=Category.objects.none())
    state = forms.ChoiceField(
        label="State",
        choices=ArticleState.choices,
        initial=ArticleState.DRAFT,
        help_text="Internal: agents only. Published: everyone, in the help centre.",
    )
    body = forms.CharField(
        label="Text (Markdown)",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Markdown: **bold**, *italic*, lists, [links](https://example.com). "
        "HTML is reduced to plain formatting.",
    )
    help_topics = forms.ModelMultipleChoiceField(
        label="Suggested for the help topics",
        queryset=HelpTopic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, departments=None, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "parent__position", "parent__name", "position", "name"
        )
        self.fields["help_topics"].queryset = HelpTopic.objects.filter(is_active=True)
        if creating:
            self.fields["department"].queryset = Department.objects.filter(
                pk__in=departments or []
            )
        else:
            del self.fields["department"]


class ArticleImageForm(forms.Form):
    image = forms.FileField(
        label="Image",
        required=False,
        help_text="PNG, JPEG, GIF or WebP, up to 5 MB. Checked by its content, not its name.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
