"""The knowledge base in the desk: editors write, preview and publish; every agent reads;
the reply box finds articles; a reply records the articles it links; the figures."""

import pytest
from django.urls import reverse

from kb.models import Article, ArticleFeedback, ArticleState, SentArticle
from kb.services import article_record_view, views_link_ticket
from tests.support.inert import assert_inert
from tickets.services import ticket_reopen, ticket_resolve

pytestmark = pytest.mark.django_db


def test_every_agent_reads_internal_and_published_articles_editors_see_drafts(
    client_for, kb, desk
):
    sales = client_for(desk.sales_agent.user).get(reverse("agent:kb_list")).content.decode()
    assert kb.published.title in sales and kb.internal.title in sales
    assert kb.draft.title not in sales
    assert "New article" not in sales
    editor = client_for(desk.agent.user).get(reverse("agent:kb_list")).content.decode()
    assert kb.draft.title in editor and "New article" in editor
    assert (
        client_for(desk.sales_agent.user)
        .get(reverse("agent:kb_article", args=[kb.draft.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(desk.sales_agent.user)
        .get(reverse("agent:kb_article", args=[kb.internal.pk]))
        .status_code
        == 200
    )


def test_requesters_and_guests_have_no_desk_pages(client_for, kb, desk):
    assert client_for(desk.requester).get(reverse("agent:kb_list")).status_code == 403
    assert (
        client_for(None).get(reverse("agent:kb_article", args=[kb.internal.pk])).status_code == 302
    )


def test_an_editor_previews_then_creates_an_article(client_for, kb, desk):
    client = client_for(desk.agent.user)
    data = {
        "title": "Printer jams",
        "department": desk.it.pk,
        "category": kb.hardware.pk,
        "state": "draft",
        "body": "Open **tray 2**. <script>alert(1)</script> [x](javascript:alert(1))",
        "help_topics": [desk.topic.pk],
    }
    preview = client.post(reverse("agent:kb_new"), {**data, "preview": "1"})
    page = preview.content.decode()
    assert "<strong>tray 2</strong>" in page
    assert_inert(page)
    assert not Article.objects.filter(title="Printer jams").exists()
    response = client.post(reverse("agent:kb_new"), data)
    article = Article.objects.get(title="Printer jams")
    assert response["Location"] == reverse("agent:kb_article", args=[article.pk])
    assert list(article.help_topics.all()) == [desk.topic]
    assert article.author == desk.agent.user


def test_an_editor_of_another_department_cannot_create_there(client_for, kb, desk):
    client = client_for(desk.agent.user)
    response = client.post(
        reverse("agent:kb_new"),
        {
            "title": "T",
            "department": desk.sales.pk,
            "category": kb.hardware.pk,
            "state": "draft",
            "body": "B",
        },
    )
    assert response.status_code == 200
    assert not Article.objects.filter(title="T").exists()
    assert client_for(desk.manager.user).get(reverse("agent:kb_new")).status_code == 404


def test_an_editor_edits_and_publishes_and_the_history_says_who(client_for, kb, desk):
    client = client_for(desk.agent.user)
    url = reverse("agent:kb_edit", args=[kb.draft.pk])
    assert client.get(url).status_code == 200
    client.post(
        url,
        {
            "title": "Monitor calibration",
            "category": kb.hardware.pk,
            "state": "draft",
            "body": "Use the wizard.",
        },
    )
    client.post(reverse("agent:kb_state", args=[kb.draft.pk]), {"state": "published"})
    kb.draft.refresh_from_db()
    assert (kb.draft.title, kb.draft.state) == ("Monitor calibration", ArticleState.PUBLISHED)
    page = client.get(reverse("agent:kb_article", args=[kb.draft.pk])).content.decode()
    assert "published by " + desk.agent.user.email in page
    assert "edited by " + desk.agent.user.email in page


def test_other_agents_cannot_edit_or_publish(client_for, kb, desk):
    client = client_for(desk.manager.user)
    assert client.get(reverse("agent:kb_edit", args=[kb.published.pk])).status_code == 404
    assert (
        client.post(
            reverse("agent:kb_state", args=[kb.draft.pk]), {"state": "published"}
        ).status_code
        == 404
    )
    kb.draft.refresh_from_db()
    assert kb.draft.state == ArticleState.DRAFT


def test_a_bad_state_is_a_message(client_for, kb, desk):
    response = client_for(desk.agent.user).post(
        reverse("agent:kb_state", args=[kb.draft.pk]), {"state": "gone"}, follow=True
    )
    assert "That is not an article state." in response.content.decode()


def test_the_reply_box_finds_articles_to_insert(client_for, kb, desk):
    client = client_for(desk.sales_agent.user)
    page = client.get(
        reverse("agent:kb_lookup"), {"kb_q": "monitor", "target": "id_body"}
    ).content.decode()
    assert kb.published.title in page and kb.internal.title in page
    assert kb.draft.title not in page
    assert f"/help/articles/{kb.published.slug}/" in page
    assert "Insert link" in page and "Insert text" in page
    ticket = desk.ticket()
    ticket_page = (
        client_for(desk.agent.user)
        .get(reverse("agent:ticket", args=[ticket.number]))
        .content.decode()
    )
    assert 'id="kb-lookup-q"' in ticket_page


def test_a_reply_linking_an_article_records_it_and_the_ticket_page_shows_it(client_for, kb, desk):
    ticket = desk.ticket()
    client = client_for(desk.agent.user)
    page = client.get(reverse("agent:ticket", args=[ticket.number]))
    last_seen = page.context["reply_form"].initial["last_seen_entry"]
    client.post(
        reverse("agent:reply", args=[ticket.number]),
        {
            "reply-body": f"Please read http://testserver/help/articles/{kb.published.slug}/",
            "reply-last_seen_entry": last_seen,
        },
    )
    sent = SentArticle.objects.get()
    assert (sent.ticket, sent.article, sent.sent_by) == (ticket, kb.published, desk.agent.user)
    page = client.get(reverse("agent:ticket", args=[ticket.number])).content.decode()
    assert "Articles sent" in page and kb.published.title in page


def test_the_figures_per_article_and_the_funnel(client_for, kb, desk):
    article_record_view(article=kb.published, visitor="a", source="search")
    article_record_view(article=kb.published, visitor="b", source="suggestion")
    ArticleFeedback.objects.create(article=kb.published, visitor="a", helpful=True)
    ArticleFeedback.objects.create(
        article=kb.published, visitor="b", helpful=False, comment="More <b>HDMI</b>"
    )
    ticket = desk.ticket()
    views_link_ticket(visitor="b", ticket=ticket)
    entry_ticket = desk.ticket(subject="Flicker again")
    from tickets.services import ticket_reply

    entry = ticket_reply(
        ticket=entry_ticket, body=f"/help/articles/{kb.published.slug}/", by=desk.agent.user
    )
    from kb.services import ticket_record_sent_articles

    ticket_record_sent_articles(ticket=entry_ticket, entry=entry, by=desk.agent.user)
    ticket_resolve(ticket=entry_ticket, by=desk.agent.user)
    ticket_reopen(ticket=entry_ticket, by=desk.agent.user)
    response = client_for(desk.agent.user).get(reverse("agent:kb_figures"))
    rows = {row.pk: row for row in response.context["rows"]}
    row = rows[kb.published.pk]
    assert (
        row.readings,
        row.helpful_yes,
        row.helpful_no,
        row.tickets_after,
        row.tickets_sent,
        row.tickets_reopened,
    ) == (2, 1, 1, 1, 1, 1)
    funnel = response.context["funnel"]
    assert (funnel.reading_visitors, funnel.ticket_visitors, funnel.undecided_visitors) == (
        2,
        1,
        1,
    )
    page = response.content.decode()
    assert "More &lt;b&gt;HDMI&lt;/b&gt;" in page


# Images ---------------------------------------------------------------------------------


def _png(name="screen.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.kb.test_images import PNG

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_an_editor_uploads_an_image_and_gets_its_markdown(
    client_for, kb, desk, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(desk.agent.user)
    response = client.post(reverse("agent:kb_image_add", args=[kb.draft.pk]), {"image": _png()})
    assert response.status_code == 302
    image = kb.draft.images.get()
    page = client.get(reverse("agent:kb_edit", args=[kb.draft.pk])).content.decode()
    assert f'value="![screen]({image.get_absolute_url()})"' in page
    assert "Upload image" in page


def test_a_hostile_file_is_a_form_error_not_a_500(client_for, kb, desk, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = client_for(desk.agent.user)
    svg = SimpleUploadedFile(
        "cat.png", b"<svg onload=alert(1)><script>alert(1)</script></svg>", "image/png"
    )
    response = client.post(reverse("agent:kb_image_add", args=[kb.draft.pk]), {"image": svg})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "cat.png is not a kind of file we accept. Allowed: PNG, JPEG, GIF or WebP images." in page
    )
    assert_inert(page)
    assert not kb.draft.images.exists()
    nothing = client.post(reverse("agent:kb_image_add", args=[kb.draft.pk]), {})
    assert nothing.status_code == 400
    assert "Choose an image to upload." in nothing.content.decode()


def test_only_editors_upload_or_delete_images(client_for, kb, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("agent:kb_image_add", args=[kb.published.pk])
    assert client_for(desk.sales_agent.user).post(url, {"image": _png()}).status_code == 404
    assert client_for(desk.requester).post(url, {"image": _png()}).status_code == 403
    assert not kb.published.images.exists()
    client_for(desk.agent.user).post(url, {"image": _png()})
    image = kb.published.images.get()
    delete = reverse("agent:kb_image_delete", args=[kb.published.pk, image.pk])
    assert client_for(desk.sales_agent.user).post(delete).status_code == 404
    assert kb.published.images.exists()
    assert client_for(desk.agent.user).post(delete).status_code == 302
    assert not kb.published.images.exists()
