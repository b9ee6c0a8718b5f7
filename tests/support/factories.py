"""factory_boy factories for configuration rows.

Tickets and everything that happens to them are made through the services, as the
product makes them, so their audit rows exist; see the `desk` fixture in
tests/support/desks.py. There is deliberately no TicketFactory.
"""

import datetime

import factory

from accounts.models import Agent, Department, DepartmentMembership, User
from sla.models import BusinessCalendar, Holiday, SLAPlan, WorkingInterval
from tickets.models import CannedResponse, HelpTopic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)

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
    """Monday to Friday, 09:00 to 17:00; pass weekdays_nine_to_five=False for no hours."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "UTC"

    @factory.post_generation
    def weekdays_nine_to_five(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        WorkingInterval.objects.bulk_create(
            WorkingInterval(
                calendar=obj, weekday=day, start=datetime.time(9), end=datetime.time(17)
            )
            for day in range(5)
        )


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = factory.Sequence(lambda n: datetime.date(2030, 1, 1) + datetime.timedelta(days=n))
    name = "Holiday"


class SLAPlanFactory(factory.django.DjangoModelFactory):
    """A 24/7 plan; SLAPlanFactory(business_hours=True) measures in a 9-to-5 calendar."""

    class Meta:
        model = SLAPlan

    class Params:
        business_hours = factory.Trait(calendar=factory.SubFactory(BusinessCalendarFactory))

    name = factory.Sequence(lambda n: f"Plan {n}")
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480


class HelpTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpTopic

    name = factory.Sequence(lambda n: f"Topic {n}")
    department = factory.SubFactory(DepartmentFactory)


class CannedResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Canned response {n}")
    body = "Thanks for reaching out; we are on it."
