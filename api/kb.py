"""The knowledge base in the API: search articles, read one (decision 0032).

Published articles are public (the help centre shows them to guests), so any valid key
or session reads them; agents also read internal ones. Drafts are never served here.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.views import ANY_KEY, ApiMixin
from kb import selectors
from kb.access import readable_states
from kb.models import Article
from kb.rendering import clean_html
from tickets import access


class ArticleSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    state = serializers.CharField()
    excerpt = serializers.CharField()
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, article) -> str:
        return article.get_absolute_url()


class ArticleSerializer(ArticleSummarySerializer):
    body = serializers.CharField(help_text="Markdown, as written.")
    body_html = serializers.SerializerMethodField(help_text="The sanitised rendering.")
    category = serializers.CharField(source="category.name")
    reviewed_at = serializers.DateTimeField(allow_null=True)
    help_topics = serializers.SerializerMethodField()

    def get_body_html(self, article) -> str:
        return clean_html(article.body_html)

    def get_help_topics(self, article) -> list[int]:
        return [topic.pk for topic in article.help_topics.all()]


class ArticleSearch(ApiMixin, APIView):
    """Articles matching `q`, best first (at most 20)."""

    scopes = {"read": ANY_KEY}

    @extend_schema(
        operation_id="kb_articles_search",
        parameters=[OpenApiParameter("q", str, description="Words; each matches a prefix.")],
        responses=ArticleSummarySerializer(many=True),
    )
    def get(self, request):
        query = str(request.query_params.get("q", ""))[:200]
        articles = selectors.article_search(query=query, agent=access.is_agent(request.user))
        return Response(ArticleSummarySerializer(articles, many=True).data)


class ArticleDetail(ApiMixin, APIView):
    scopes = {"read": ANY_KEY}

    @extend_schema(operation_id="kb_article_read", responses=ArticleSerializer)
    def get(self, request, pk: int):
        article = (
            Article.objects.filter(pk=pk, state__in=readable_states(request.user))
            .select_related("category")
            .prefetch_related("help_topics")
            .first()
        )
        if article is None:
            raise Http404("No such article.")
        return Response(ArticleSerializer(article).data)
