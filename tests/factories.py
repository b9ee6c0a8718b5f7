"""factory_boy factories for configuration rows.

Tickets and everything that happens to them are made through the services, as the
product makes them, so their audit rows exist; see tests/tickets/helpers.py.
"""

import factory

from accounts.models import Agent, Department, DepartmentMembership, User
from sla.models import BusinessCalendar, SLAPlan
from tickets.models import HelpTopic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n}")


class AgentFactory(factory.django.DjangoModelFactory):
    """An agent; pass departments=[...] (role agent) or managed=[...] (role manager)."""

    class Meta:
        model = Agent
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def departments(obj, create, extracted, **kwargs):
        for department in extracted or []:
            DepartmentMembership.objects.create(agent=obj, department=department)

    @factory.post_generation
    def managed(obj, create, extracted, **kwargs):
        for department in extracted or []:
            DepartmentMembership.objects.create(
                agent=obj, department=department, role=DepartmentMembership.Role.MANAGER
            )


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "UTC"


class SLAPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480


class HelpTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpTopic

    name = factory.Sequence(lambda n: f"Topic {n}")
    department = factory.SubFactory(DepartmentFactory)
