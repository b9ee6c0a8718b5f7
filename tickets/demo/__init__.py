"""The demo data: The Office's IT help desk, as the seed document in ../shared/seeds tells it.

Configuration (calendar, plans, departments, topics, canned responses) is what an admin
would enter in the admin; people are made through accounts/services.py; the three tickets
are worked through tickets/services.py, step by step as the story goes, so their thread,
events and SLA clocks are exactly what the product would have recorded.

Loading is idempotent: every row is looked up by its natural key first and nothing that
exists is changed, so a second load creates nothing.
"""

import datetime
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Agent, Department, DepartmentMembership, Organization, User
from accounts.services import (
    agent_create,
    agent_set_role,
    department_set_manager,
    organization_create,
    organization_match_users,
    user_create,
    user_set_organization,
)
from sla.models import BusinessCalendar, Holiday, SLAPlan, WorkingInterval
from tickets.demo.history import demo_history
from tickets.models import (
    CannedResponse,
    CustomField,
    FieldChoice,
    FieldKind,
    HelpTopic,
    HelpTopicField,
    Priority,
    Ticket,
)
from tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_claim,
    ticket_create,
    ticket_reply,
    ticket_resolve,
    ticket_set_fields,
    ticket_set_plan,
)

DEMO_PASSWORD = "demo"  # noqa: S105 (documented demo login, refused outside DEBUG)
DEMO_DOMAIN = "theoffice.example"
OFFICE_TIME_ZONE = "America/New_York"
CALENDAR_NAME = "Scranton office hours"


def demo_email(display_name: str) -> str:
    """ "Jim Halpert" -> "jim.halpert@theoffice.example"."""
    return f"{display_name.lower().replace(' ', '.')}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class Person:
    name: str
    superuser: bool = False


KEVIN_BENAVIDES = Person("Kevin Benavides", superuser=True)
RYAN_HOWARD = Person("Ryan Howard")
JIM_HALPERT = Person("Jim Halpert")
KEVIN_MALONE = Person("Kevin Malone")
ANGELA_MARTIN = Person("Angela Martin")
PEOPLE = [KEVIN_BENAVIDES, RYAN_HOWARD, JIM_HALPERT, KEVIN_MALONE, ANGELA_MARTIN]
# More of the office, who only write in: the requesters of the history (--history).
HISTORY_REQUESTERS = [
    Person(name)
    for name in (
        "Pam Beesly",
        "Dwight Schrute",
        "Oscar Martinez",
        "Stanley Hudson",
        "Phyllis Vance",
        "Meredith Palmer",
        "Creed Bratton",
        "Toby Flenderson",
    )
]

DEPARTMENTS = ["Sales", "Accounting", "IT"]

# The requesters' company (decision 0039): everyone at the demo's domain joins it when
# created; the units are where the seed story (and the show) puts each person.
ORGANIZATION = "The Office"
UNITS = {
    "Sales": ["Jim Halpert", "Dwight Schrute", "Stanley Hudson", "Phyllis Vance"],
    "Accounting": ["Kevin Malone", "Angela Martin", "Oscar Martinez"],
    "IT": ["Kevin Benavides", "Ryan Howard"],
    "Reception": ["Pam Beesly"],
    "Human Resources": ["Toby Flenderson"],
    "Quality Assurance": ["Creed Bratton"],
    "Supplier Relations": ["Meredith Palmer"],
}

# Targets in minutes; business_hours says whether the plan runs on the office calendar
# or around the clock.
PLANS = {
    "Critical": {
        "description": "Business stops without it. Around the clock.",
        "first_response_minutes": 15,
        "next_response_minutes": 30,
        "resolution_minutes": 4 * 60,
        "business_hours": False,
        "escalate_notify_assignee": True,
        "escalate_notify_manager": True,
        "escalate_raise_priority": True,
    },
    "High Priority": {
        "description": "Someone cannot work. Office hours.",
        "first_response_minutes": 60,
        "next_response_minutes": 2 * 60,
        "resolution_minutes": 8 * 60,
        "business_hours": True,
        "escalate_notify_assignee": True,
        "escalate_notify_manager": True,
    },
    "Standard": {
        "description": "Everything else. Office hours. The default plan.",
        "first_response_minutes": 4 * 60,
        "next_response_minutes": 8 * 60,
        "resolution_minutes": 24 * 60,
        "business_hours": True,
        "escalate_notify_assignee": True,
        "is_default": True,
    },
}

# Help topics, all answered by IT: name -> default priority.
TOPICS = {
    "Business applications (CRM)": Priority.HIGH,
    "Computer or hardware problem": Priority.NORMAL,
    "Monitor and peripherals": Priority.NORMAL,
    "Account access": Priority.NORMAL,
}

# The Hardware topic's questions (osTicket's custom forms; docs/custom-fields.md).
HARDWARE_TOPIC = "Computer or hardware problem"
CUSTOM_FIELDS = [
    {
        "name": "asset_tag",
        "label": "Asset tag",
        "kind": FieldKind.TEXT,
        "help_text": "The number on the silver sticker under the laptop, e.g. DM-0042.",
        "choices": [],
    },
    {
        "name": "office_floor",
        "label": "Office floor",
        "kind": FieldKind.CHOICE,
        "help_text": "Where we find you.",
        "choices": ["Ground floor (warehouse)", "1st floor (sales)", "2nd floor (accounting)"],
    },
]

CANNED_RESPONSES = [
    (
        "We're on it",
        "Thanks for letting us know. An IT agent has picked up your ticket and will be "
        "in touch shortly.",
        "IT",
    ),
    (
        "Please restart and tell us what you see",
        "Could you restart your computer and let us know exactly what appears on the "
        "screen, including any error message?",
        "IT",
    ),
    (
        "Resolved: reply if it comes back",
        "We believe this is fixed. If the problem comes back, just reply to this ticket "
        "and it will reopen.",
        None,
    ),
]


@dataclass
class Cast:
    users: dict[Person, User]
    kevin: Agent
    ryan: Agent
    plans: dict[str, SLAPlan]
    topics: dict[str, HelpTopic]


def _holidays(today: datetime.date) -> list[tuple[datetime.date, str]]:
    """The office's fixed-date holidays, this year and next."""
    return [
        (datetime.date(year, month, day), name)
        for year in (today.year, today.year + 1)
        for month, day, name in [
            (1, 1, "New Year's Day"),
            (7, 4, "Independence Day"),
            (12, 25, "Christmas Day"),
        ]
    ]


def _calendar(created: Counter) -> BusinessCalendar:
    calendar, new = BusinessCalendar.objects.get_or_create(
        name=CALENDAR_NAME, defaults={"time_zone": OFFICE_TIME_ZONE}
    )
    if new:
        created["business calendars"] += 1
        for weekday in range(5):
            interval = WorkingInterval(
                calendar=calendar, weekday=weekday, start=datetime.time(9), end=datetime.time(17)
            )
            interval.full_clean()
            interval.save()
            created["working intervals"] += 1
    for date, name in _holidays(timezone.localdate()):
        _, new = Holiday.objects.get_or_create(
            calendar=calendar, date=date, defaults={"name": name}
        )
        created["holidays"] += new
    return calendar


def _plans(calendar: BusinessCalendar, created: Counter) -> dict[str, SLAPlan]:
    plans = {}
    for name, spec in PLANS.items():
        plan = SLAPlan.objects.filter(name=name).first()
        if plan is None:
            fields = dict(spec)
            fields["calendar"] = calendar if fields.pop("business_hours") else None
            # Someone's own default plan stays the default.
            if fields.get("is_default") and SLAPlan.objects.filter(is_default=True).exists():
                fields["is_default"] = False
            plan = SLAPlan(name=name, **fields)
            plan.full_clean()
            plan.save()
            created["SLA plans"] += 1
        plans[name] = plan
    return plans


def _departments(created: Counter) -> dict[str, Department]:
    departments = {}
    for name in DEPARTMENTS:
        department, new = Department.objects.get_or_create(
            name=name, defaults={"email": f"{name.lower()}@{DEMO_DOMAIN}"}
        )
        created["departments"] += new
        departments[name] = department
    return departments


def _organization(created: Counter) -> Organization:
    organization = Organization.objects.filter(name__iexact=ORGANIZATION).first()
    if organization is None:
        organization = organization_create(
            name=ORGANIZATION,
            domains=[DEMO_DOMAIN],
            units=list(UNITS),
            notes="Dunder Mifflin's Scranton branch. Its IT help desk is this demo.",
        )
        created["organizations"] += 1
        # A demo loaded before organizations existed: its people join now.
        organization_match_users(organization=organization)
    return organization


def _place_in_units(organization: Organization, users: dict[Person, User], created: Counter):
    """Each person in their unit, once: someone an admin moved since stays moved."""
    units = {unit.name: unit for unit in organization.units.all()}
    for person, user in users.items():
        unit_name = next((name for name, names in UNITS.items() if person.name in names), None)
        if unit_name in units and user.organization_id == organization.pk and not user.unit_id:
            users[person] = user_set_organization(
                user=user, organization=organization, unit=units[unit_name]
            )
            created["unit members"] += 1


def _users(created: Counter, people: list[Person] = PEOPLE) -> dict[Person, User]:
    users = {}
    for person in people:
        user = User.objects.filter(email__iexact=demo_email(person.name)).first()
        if user is None:
            user = user_create(
                email=demo_email(person.name),
                display_name=person.name,
                password=DEMO_PASSWORD,
                time_zone=OFFICE_TIME_ZONE,
                is_staff=person.superuser,
                is_superuser=person.superuser,
            )
            created["users"] += 1
        users[person] = user
    return users


def _agent(user: User, department: Department, role: str, created: Counter) -> Agent:
    agent = Agent.objects.filter(user=user).first()
    if agent is None:
        agent = agent_create(user=user, departments={department: role})
        created["agents"] += 1
    elif not agent.memberships.filter(department=department).exists():
        agent_set_role(agent=agent, department=department, role=role)
        created["department roles"] += 1
    return agent


def _topics(it: Department, created: Counter) -> dict[str, HelpTopic]:
    topics = {}
    for name, priority in TOPICS.items():
        topic, new = HelpTopic.objects.get_or_create(
            name=name, defaults={"department": it, "default_priority": priority}
        )
        created["help topics"] += new
        topics[name] = topic
    return topics


def _custom_fields(topics: dict[str, HelpTopic], created: Counter) -> None:
    topic = topics[HARDWARE_TOPIC]
    for position, spec in enumerate(CUSTOM_FIELDS):
        spec = dict(spec)
        choices = spec.pop("choices")
        field = CustomField.objects.filter(name=spec["name"]).first()
        if field is None:
            field = CustomField(**spec)
            field.full_clean()
            field.save()
            created["custom fields"] += 1
            for order, label in enumerate(choices):
                FieldChoice.objects.create(field=field, label=label, position=order)
                created["field choices"] += 1
        _, new = HelpTopicField.objects.get_or_create(
            help_topic=topic, field=field, defaults={"position": position}
        )
        created["help topic fields"] += new


def _canned_responses(departments: dict[str, Department], created: Counter) -> None:
    for title, body, department_name in CANNED_RESPONSES:
        _, new = CannedResponse.objects.get_or_create(
            title=title,
            defaults={"body": body, "department": departments.get(department_name)},
        )
        created["canned responses"] += new


# The three tickets ---------------------------------------------------------------------


def _crm_down(cast: Cast) -> Ticket:
    """Ticket 1: Sales cannot sell. Kevin Benavides takes it himself."""
    jim, kevin = cast.users[JIM_HALPERT], cast.kevin.user
    ticket = ticket_create(
        requester=jim,
        by=jim,
        subject="CRM is down",
        body=(
            "The CRM system is down and nobody in Sales can work. If we can't make any "
            "sales, The Office is at risk of going bankrupt. Please help!"
        ),
        help_topic=cast.topics["Business applications (CRM)"],
    )
    ticket_claim(ticket=ticket, by=kevin)
    ticket_set_plan(ticket=ticket, plan=cast.plans["Critical"], by=kevin)
    ticket_add_note(
        ticket=ticket,
        body=(
            "Suspect the CRM software itself, but ruling out the other causes before "
            "calling CRM support:\n"
            "- Internet outage: no, every other site loads.\n"
            "- Server outage: no, our servers are up.\n"
            "- Security breach: no alerts, no unusual logins.\n"
            "- User account issues: no, every Sales account is affected, not just Jim's.\n"
            "Called CRM support: they are running a maintenance update. Told them this is an "
            "inconvenient time to do maintenance and that we are losing sales."
        ),
        by=kevin,
    )
    ticket_reply(
        ticket=ticket,
        body=(
            "Hi Jim, the CRM vendor is doing a maintenance update, which is why the system "
            "is down. I've told them it's an inconvenient time and that we're losing sales; "
            "it will be back as soon as their update finishes."
        ),
        by=kevin,
    )
    ticket_resolve(ticket=ticket, by=kevin)
    return ticket


def _computer_wont_boot(cast: Cast) -> Ticket:
    """Ticket 2: Kevin Malone cannot work. Kevin Benavides sends Ryan Howard."""
    kevin, ryan = cast.kevin.user, cast.ryan.user
    ticket = ticket_create(
        requester=cast.users[KEVIN_MALONE],
        by=cast.users[KEVIN_MALONE],
        subject="My computer won't boot",
        body="My computer won't turn on. I can't work without it!",
        help_topic=cast.topics[HARDWARE_TOPIC],
        fields={"office_floor": _choice_id("office_floor", "2nd floor (accounting)")},
    )
    ticket_assign(ticket=ticket, agent=cast.ryan, by=kevin)
    ticket_set_plan(ticket=ticket, plan=cast.plans["High Priority"], by=kevin)
    ticket_add_note(
        ticket=ticket,
        body=(
            "Went over with a spare power strip. Checked the power cable was connected to the "
            "outlet: Kevin had kicked the power strip out of the outlet by accident. Plugged "
            "it back in, booted in Safe Mode to check for errors: none found. Kevin logged in "
            "and is working again."
        ),
        by=ryan,
    )
    ticket_reply(
        ticket=ticket,
        body=(
            "Hi Kevin, your power strip had been kicked out of the outlet. It's plugged back "
            "in, and I checked your computer in Safe Mode: no errors. You're good to go!"
        ),
        by=ryan,
    )
    ticket_set_fields(ticket=ticket, values={"asset_tag": "DM-1138"}, by=ryan)
    ticket_resolve(ticket=ticket, by=ryan)
    return ticket


def _choice_id(field_name: str, label: str) -> int:
    return FieldChoice.objects.get(field__name=field_name, label=label).pk


def _monitor_flickering(cast: Cast) -> Ticket:
    """Ticket 3: Angela's monitor. Ryan Howard replaces it."""
    kevin, ryan = cast.kevin.user, cast.ryan.user
    ticket = ticket_create(
        requester=cast.users[ANGELA_MARTIN],
        by=cast.users[ANGELA_MARTIN],
        subject="My monitor keeps flickering",
        body="My monitor keeps flickering and it's driving me crazy.",
        help_topic=cast.topics["Monitor and peripherals"],
    )
    ticket_assign(ticket=ticket, agent=cast.ryan, by=kevin)
    # Standard is the default plan, so this records nothing unless intake chose another.
    ticket_set_plan(ticket=ticket, plan=cast.plans["Standard"], by=kevin)
    ticket_add_note(
        ticket=ticket,
        body=(
            "Confirmed the flicker. Replaced the monitor with one from IT inventory, "
            "installed and tested the new display."
        ),
        by=ryan,
    )
    ticket_reply(
        ticket=ticket,
        body="Hi Angela, I've replaced your monitor with a new one and tested it: no flicker.",
        by=ryan,
    )
    ticket_resolve(ticket=ticket, by=ryan)
    return ticket


STORY = [
    (JIM_HALPERT, "CRM is down", _crm_down),
    (KEVIN_MALONE, "My computer won't boot", _computer_wont_boot),
    (ANGELA_MARTIN, "My monitor keeps flickering", _monitor_flickering),
]


@transaction.atomic
def demo_load(*, history: bool = False) -> Counter:
    """Load whatever of the demo is missing; returns how many rows of each kind it created.
    `history`: also a few weeks of past tickets (tickets/demo/history.py), for the reports."""
    created: Counter = Counter()
    calendar = _calendar(created)
    plans = _plans(calendar, created)
    departments = _departments(created)
    organization = _organization(created)
    users = _users(created)
    _place_in_units(organization, users, created)
    it = departments["IT"]
    kevin = _agent(users[KEVIN_BENAVIDES], it, DepartmentMembership.Role.MANAGER, created)
    ryan = _agent(users[RYAN_HOWARD], it, DepartmentMembership.Role.AGENT, created)
    if it.manager_id is None:
        department_set_manager(department=it, manager=kevin)
        created["department managers"] += 1
    topics = _topics(it, created)
    _custom_fields(topics, created)
    _canned_responses(departments, created)

    cast = Cast(users=users, kevin=kevin, ryan=ryan, plans=plans, topics=topics)
    for requester, subject, tell in STORY:
        if not Ticket.objects.filter(requester=users[requester], subject=subject).exists():
            tell(cast)
            created["tickets"] += 1
    if history:
        history_people = _users(created, HISTORY_REQUESTERS)
        _place_in_units(organization, history_people, created)
        requesters = list(history_people.values())
        demo_history(
            cast=cast,
            requesters=requesters,
            zone=zoneinfo.ZoneInfo(OFFICE_TIME_ZONE),
            created=created,
        )
    return +created
