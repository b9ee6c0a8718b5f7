"""The small help desk most tests start from (the `desk` fixture, made global by
tests/conftest.py)."""

from dataclasses import dataclass

import pytest

from accounts.models import Agent, Department, User
from sla.models import SLAPlan
from tests.support.factories import (
    AgentFactory,
    DepartmentFactory,
    HelpTopicFactory,
    SLAPlanFactory,
    UserFactory,
)
from tickets.models import HelpTopic, Priority, Ticket
from tickets.services import ticket_create


@dataclass
class Desk:
    """A small help desk: IT (a manager and an agent), Sales (an agent), two requesters."""

    it: Department
    sales: Department
    manager: Agent
    agent: Agent
    sales_agent: Agent
    requester: User
    other_requester: User
    standard: SLAPlan
    critical: SLAPlan
    topic: HelpTopic

    def ticket(self, **kwargs) -> Ticket:
        fields = {
            "requester": self.requester,
            "by": kwargs.get("requester", self.requester),
            "subject": "CRM is down",
            "body": "We cannot log in to the CRM.",
            "help_topic": self.topic,
        }
        fields.update(kwargs)
        return ticket_create(**fields)


@pytest.fixture
def desk(db) -> Desk:
    standard = SLAPlanFactory(name="Standard", is_default=True)
    critical = SLAPlanFactory(name="Critical", first_response_minutes=15)
    it = DepartmentFactory(name="IT", default_sla_plan=standard)
    sales = DepartmentFactory(name="Sales")
    return Desk(
        it=it,
        sales=sales,
        manager=AgentFactory(user__display_name="Kevin Benavides", managed=[it]),
        agent=AgentFactory(user__display_name="Ryan Howard", departments=[it]),
        sales_agent=AgentFactory(user__display_name="Dwight Schrute", departments=[sales]),
        requester=UserFactory(display_name="Jim Halpert"),
        other_requester=UserFactory(display_name="Angela Martin"),
        standard=standard,
        critical=critical,
        topic=HelpTopicFactory(
            name="Business applications", department=it, default_priority=Priority.HIGH
        ),
    )
