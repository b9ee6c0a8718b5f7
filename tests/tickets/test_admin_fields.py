"""Admins define custom fields in the Django admin: a choice field with its choices, and
a user field refused for requesters."""

import pytest

from tests.support.admin_helpers import admin_url
from tests.support.factories import HelpTopicFactory
from tickets.models import CustomField, FieldChoice, HelpTopic, HelpTopicField

pytestmark = pytest.mark.django_db


def _data(**values):
    data = {
        "label": "Office floor",
        "name": "office_floor",
        "kind": "choice",
        "help_text": "Where we find you.",
        "audience": "everyone",
        "is_active": "on",
        "choices-TOTAL_FORMS": "2",
        "choices-INITIAL_FORMS": "0",
        "choices-0-label": "Ground",
        "choices-0-position": "0",
        "choices-0-is_active": "on",
        "choices-1-label": "First",
        "choices-1-position": "1",
        "choices-1-is_active": "on",
        "topic_links-TOTAL_FORMS": "0",
        "topic_links-INITIAL_FORMS": "0",
    }
    data.update(values)
    return data


def test_a_choice_field_with_its_choices(admin_client):
    response = admin_client.post(admin_url(CustomField, "add"), _data())
    assert response.status_code == 302
    field = CustomField.objects.get(name="office_floor")
    labels = list(FieldChoice.objects.filter(field=field).values_list("label", flat=True))
    assert labels == ["Ground", "First"]


def test_a_user_field_is_for_agents_only(admin_client):
    response = admin_client.post(
        admin_url(CustomField, "add"),
        _data(name="approver", label="Approver", kind="user", **{"choices-TOTAL_FORMS": "0"}),
    )
    assert response.status_code == 200
    assert "A user field is for agents only" in response.content.decode()
    assert not CustomField.objects.filter(name="approver").exists()


def test_the_inlines_name_each_field_and_topic_not_their_ids(admin_client):
    topic = HelpTopicFactory(name="Computer or hardware problem")
    field = CustomField.objects.create(label="Asset tag", name="asset_tag", kind="text")
    HelpTopicField.objects.create(help_topic=topic, field=field)
    title = "Asset tag on Computer or hardware problem"

    for page in (
        admin_url(HelpTopic, "change", topic.pk),
        admin_url(CustomField, "change", field.pk),
    ):
        html = admin_client.get(page).content.decode()
        assert title in html
        assert f"{field.pk} on topic {topic.pk}" not in html
