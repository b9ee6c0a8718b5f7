"""An article's image is served to whoever may read the article, and nobody else:
published, anyone; internal, agents; a draft, its editors (kb.access)."""

import pytest
from django.urls import reverse

from kb.services import article_image_add
from tests.kb.test_images import PNG, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def images(kb, desk):
    def add(article):
        return article_image_add(article=article, upload=upload(PNG), by=desk.agent.user)

    return {"published": add(kb.published), "internal": add(kb.internal), "draft": add(kb.draft)}


def fetch(client, image):
    return client.get(reverse("portal:help_image", args=[image.token]))


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("guest", {"published"}),
        ("requester", {"published"}),
        ("sales_agent", {"published", "internal"}),  # not an editor of IT: no drafts
        ("editor", {"published", "internal", "draft"}),
    ],
)
def test_images_follow_their_articles_visibility(client_for, desk, images, who, allowed):
    user = {
        "guest": None,
        "requester": desk.requester,
        "sales_agent": desk.sales_agent.user,
        "editor": desk.agent.user,
    }[who]
    client = client_for(user)
    for state, image in images.items():
        response = fetch(client, image)
        assert response.status_code == (200 if state in allowed else 404), (who, state)


def test_an_image_is_served_as_its_detected_type_and_never_sniffed(client_for, images):
    response = fetch(client_for(None), images["published"])
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_unknown_and_malformed_tokens_are_not_found(client_for, images):
    client = client_for(None)
    assert client.get(reverse("portal:help_image", args=["0" * 32])).status_code == 404
    assert client.get(reverse("portal:help_image", args=["not-a-token"])).status_code == 404
