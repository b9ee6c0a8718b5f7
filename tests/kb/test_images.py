"""Article images: checked by content as ticket attachments are, stored under random
names, recorded in the article's history (kb.services.article_image_add)."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kb.models import IMAGE_URL_PREFIX, ArticleImage
from kb.rendering import render_markdown
from kb.services import (
    IMAGE_MAX_BYTES,
    NOT_AN_EDITOR,
    KBError,
    article_image_add,
    article_image_delete,
)

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(content: bytes, name="shot.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_an_editor_adds_an_image_detected_by_its_content(kb, desk):
    # Named like a GIF and claimed as one: what counts is that the bytes are a PNG.
    image = article_image_add(
        article=kb.draft, upload=upload(PNG, "cable.gif", "image/gif"), by=desk.agent.user
    )
    assert image.content_type == "image/png"
    assert image.filename == "cable.gif"
    assert image.size == len(PNG)
    assert image.file.read() == PNG
    assert "cable" not in image.file.name  # stored under a random name
    assert image.get_absolute_url() == reverse("portal:help_image", args=[image.token])
    assert image.get_absolute_url().startswith(IMAGE_URL_PREFIX)
    assert image.markdown == f"![cable]({image.get_absolute_url()})"
    assert kb.draft.revisions.first().change == "image added"
    # Its Markdown survives the sanitiser.
    assert f'src="{image.get_absolute_url()}"' in render_markdown(image.markdown)


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (SVG, "logo.svg", "image/svg+xml"),
        (SVG, "logo.png", "image/png"),  # a name and a type that lie
        (b"<html><script>alert(1)</script></html>", "x.png", "image/png"),
        (b"%PDF-1.7\n...", "doc.png", "image/png"),  # an allowed attachment, not an image
        (b"just some words", "notes.png", "image/png"),
        (b"MZ\x90\x00\x03", "tool.jpg", "image/jpeg"),
    ],
)
def test_anything_but_a_raster_image_is_refused(kb, desk, content, name, content_type):
    with pytest.raises(KBError) as refused:
        article_image_add(
            article=kb.draft, upload=upload(content, name, content_type), by=desk.agent.user
        )
    assert refused.value.message == (
        f"{name} is not a kind of file we accept. Allowed: PNG, JPEG, GIF or WebP images."
    )
    assert not ArticleImage.objects.exists()


def test_empty_and_oversized_images_are_refused(kb, desk):
    with pytest.raises(KBError, match="empty"):
        article_image_add(article=kb.draft, upload=upload(b""), by=desk.agent.user)
    big = PNG + b"\x00" * IMAGE_MAX_BYTES
    with pytest.raises(KBError, match="too large"):
        article_image_add(article=kb.draft, upload=upload(big), by=desk.agent.user)
    assert not ArticleImage.objects.exists()


def test_only_the_departments_editors_add_or_delete_images(kb, desk, tmp_path):
    with pytest.raises(KBError, match=NOT_AN_EDITOR):
        article_image_add(article=kb.published, upload=upload(PNG), by=desk.sales_agent.user)
    assert not ArticleImage.objects.exists()
    assert not any(tmp_path.rglob("*-*"))  # the refused file was not left behind
    image = article_image_add(article=kb.published, upload=upload(PNG), by=desk.agent.user)
    with pytest.raises(KBError, match=NOT_AN_EDITOR):
        article_image_delete(image=image, by=desk.sales_agent.user)
    assert ArticleImage.objects.filter(pk=image.pk).exists()


def test_deleting_an_image_removes_its_row_and_file(kb, desk, django_capture_on_commit_callbacks):
    image = article_image_add(article=kb.published, upload=upload(PNG), by=desk.agent.user)
    storage, name = image.file.storage, image.file.name
    with django_capture_on_commit_callbacks(execute=True):
        article_image_delete(image=image, by=desk.agent.user)
    assert not ArticleImage.objects.exists()
    assert not storage.exists(name)
    assert kb.published.revisions.first().change == "image removed"
