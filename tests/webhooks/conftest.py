import pytest

from tests.support.webhook_receiver import webhook_receiver  # noqa: F401 (a fixture)
from webhooks.models import EventType
from webhooks.services import webhook_endpoint_create, webhook_endpoint_settings_check

ALL_TICKET_EVENTS = [t for t in EventType.values if t != EventType.NOTE_CREATED]


@pytest.fixture
def make_endpoint(db):
    """make_endpoint(url, events=..., departments=..., include_notes=...) -> (endpoint,
    secret), made through the service as the admin makes it."""

    def make(url="https://hooks.example.com/in", *, departments=(), events=None, **options):
        checked = webhook_endpoint_settings_check(
            url=url,
            events=ALL_TICKET_EVENTS if events is None else events,
            **options,
        )
        return webhook_endpoint_create(settings_=checked, departments=departments, by=None)

    return make
