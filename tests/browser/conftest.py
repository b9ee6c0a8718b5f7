import pytest

from accounts.models import User
from tickets.demo import demo_email, demo_load
from tickets.models import HelpTopic, Ticket
from tickets.services import ticket_create


@pytest.fixture
def crm(db, settings, tmp_path):
    """The demo's desk, and Jim's CRM ticket as it arrives (the story is walked from here)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load()
    Ticket.objects.all().delete()
    jim = User.objects.get(email=demo_email("Jim Halpert"))
    return ticket_create(
        requester=jim,
        by=jim,
        subject="CRM is down",
        body="The CRM system is down and nobody in Sales can work. Please help!",
        help_topic=HelpTopic.objects.get(name="Business applications (CRM)"),
    )
