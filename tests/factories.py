"""Test data for configuration and people.

Tickets and everything that happens to them are created through tickets/services.py in
tests, as in the product, so that their audit rows exist; there is deliberately no
TicketFactory here.
"""

import datetime

import factory

from accounts.models import Agent, Department, DepartmentMembership, User
from sla.models import BusinessCalendar, Holiday, SLAPlan, WorkingInterval
from tickets.models import CannedResponse, HelpTopic

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)


class DepartmentFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Department {n}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '-')}@example.com")

    class Meta:
        model = Department


class AgentFactory(factory.django.DjangoModelFactory):
    """An agent; `AgentFactory(departments=[it])` or `departments={it: "manager"}`."""

    user = factory.SubFactory(UserFactory)

    class Meta:
        model = Agent
        skip_postgeneration_save = True

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        roles = (
            extracted
            if isinstance(extracted, dict)
            else dict.fromkeys(extracted, DepartmentMembership.Role.AGENT)
        )
        for department, role in roles.items():
            add_membership(self, department, role)


def add_membership(
    agent: Agent, department: Department, role: str = DepartmentMembership.Role.AGENT
) -> DepartmentMembership:
    membership, _ = DepartmentMembership.objects.update_or_create(
        agent=agent, department=department, defaults={"role": role}
    )
    return membership


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """Monday to Friday, 09:00 to 17:00, in the given zone (UTC by default)."""

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "UTC"

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    @factory.post_generation
    def weekdays_nine_to_five(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        WorkingInterval.objects.bulk_create(
            WorkingInterval(
                calendar=self, weekday=day, start=datetime.time(9), end=datetime.time(17)
            )
            for day in range(5)
        )


class HolidayFactory(factory.django.DjangoModelFactory):
    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = factory.Sequence(lambda n: datetime.date(2030, 1, 1) + datetime.timedelta(days=n))
    name = "Holiday"

    class Meta:
        model = Holiday


class SLAPlanFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Plan {n}")
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 8 * 60
    calendar = None

    class Meta:
        model = SLAPlan

    class Params:
        business_hours = factory.Trait(calendar=factory.SubFactory(BusinessCalendarFactory))


class HelpTopicFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Topic {n}")
    department = factory.SubFactory(DepartmentFactory)
    sla_plan = None

    class Meta:
        model = HelpTopic


class CannedResponseFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Canned response {n}")
    body = "Thanks for reaching out; we are on it."
    department = None

    class Meta:
        model = CannedResponse
