"""The Hardware topic with custom fields, for the tests of custom fields.

asset_tag (text, requesters see it, required at intake), office_floor (a choice),
notes_for_it (long text, agents only) and warranty_until (a date, agents only, required
to resolve), in that order on the form.
"""

from dataclasses import dataclass

import pytest

from tests.support.factories import HelpTopicFactory
from tickets.models import CustomField, FieldAudience, FieldChoice, FieldKind, HelpTopicField


@dataclass
class Hardware:
    topic: object
    asset_tag: CustomField
    office_floor: CustomField
    notes_for_it: CustomField
    warranty_until: CustomField
    floors: dict[str, FieldChoice]


def make_field(topic, position, **values) -> CustomField:
    field = CustomField(**values)
    field.full_clean()
    field.save()
    HelpTopicField.objects.create(help_topic=topic, field=field, position=position)
    return field


@pytest.fixture
def hardware(desk) -> Hardware:
    topic = HelpTopicFactory(name="Hardware", department=desk.it)
    asset_tag = make_field(
        topic,
        1,
        name="asset_tag",
        label="Asset tag",
        kind=FieldKind.TEXT,
        help_text="The sticker under the laptop.",
        required_at_intake=True,
    )
    office_floor = make_field(topic, 2, name="office_floor", label="Office floor", kind="choice")
    floors = {
        label: FieldChoice.objects.create(field=office_floor, label=label, position=i)
        for i, label in enumerate(["Ground", "First", "Second"])
    }
    notes = make_field(
        topic,
        3,
        name="notes_for_it",
        label="Notes for IT",
        kind=FieldKind.LONG_TEXT,
        audience=FieldAudience.AGENTS,
    )
    warranty = make_field(
        topic,
        4,
        name="warranty_until",
        label="Warranty until",
        kind=FieldKind.DATE,
        audience=FieldAudience.AGENTS,
        required_to_resolve=True,
    )
    return Hardware(topic, asset_tag, office_floor, notes, warranty, floors)
