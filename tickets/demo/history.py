"""A few weeks of the demo desk's past (`load_demo --history`), so the reports have
something to show: tickets created, claimed, answered, put on hold, resolved, some reopened,
some closed, some breached, and the newest still open.

Everything goes through the ticket services, step by step in time order, with the SLA sweep
run every hour of the simulated weeks, so the thread, the events and the clocks are what the
product would have recorded had it lived through those weeks. The services read the time
from `django.utils.timezone.now()` (and the models' `default=timezone.now`); `DemoClock`
sets both to each step's moment while the history is written (decision 0036 says why this
and not time-machine, a test-only dependency, nor timestamps moved afterwards).

The weeks end now and are drawn from a seeded generator, so a load on another day tells the
same story on other dates. Loading is all or nothing: if any history ticket exists, nothing
is added.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.utils import timezone

from accounts.models import User
from tickets.clocks import sla_sweep
from tickets.models import Priority, Status, Ticket
from tickets.outbox import outbox_settle_past
from tickets.services import (
    satisfaction_surveys_send_due,
    ticket_add_message,
    ticket_add_note,
    ticket_assign,
    ticket_claim,
    ticket_close,
    ticket_create,
    ticket_reply,
    ticket_resolve,
    ticket_set_pending,
    ticket_set_plan,
    ticket_set_priority,
)

HISTORY_DAYS = 35
SEED = 14  # the issue that asked for it; any fixed number tells the same story

# Per help topic: (subject, first message).
PROBLEMS = {
    "Business applications (CRM)": [
        ("CRM won't load customer records", "Every customer page in the CRM spins forever."),
        ("CRM search is very slow", "Searching a client in the CRM takes over a minute."),
        ("Can't export the quarterly report", "The CRM export button gives me an error."),
        ("CRM logs me out every few minutes", "I keep losing what I type into the CRM."),
    ],
    "Computer or hardware problem": [
        ("Laptop fan is very loud", "My laptop sounds like a jet engine since Monday."),
        ("Computer freezes after lunch", "Every day around 1pm my computer freezes."),
        ("Blue screen when I print", "The computer crashes whenever I print an invoice."),
        ("Keyboard is missing the M key", "The M key came off. I need it for my name."),
        ("Can't install the tax software update", "The installer says I am not allowed."),
    ],
    "Monitor and peripherals": [
        ("Second monitor not detected", "My second screen stays black after the update."),
        ("Conference room projector won't connect", "The projector says no signal."),
        ("Printer jams on every page", "The printer by reception jams on every page."),
        ("Wireless mouse stops working", "The mouse stops moving every few minutes."),
    ],
    "Account access": [
        ("Locked out of my email", "It says my account is locked."),
        ("Password reset for the shared drive", "I forgot my shared drive password."),
        ("Need access to the Accounting folder", "Please give me access to Accounting."),
        ("VPN keeps asking for my password", "The VPN asks for my password every time."),
    ],
}
SUBJECTS = [subject for problems in PROBLEMS.values() for subject, _ in problems]

ANSWERS = [
    "Thanks, I'm looking into it now.",
    "Could you restart and tell me what you see on the screen?",
    "I've reproduced it on my side; working on a fix.",
    "I've reset it from our side. Can you try again?",
]
FIXES = [
    "Fixed: it should work now. Reply here if it comes back.",
    "Replaced the part; all good now.",
    "Updated the settings on your machine; it works again.",
]
NOTES = [
    "Known issue after last week's update; the vendor has a patch.",
    "Checked the logs: nothing unusual on the server side.",
]

Step = tuple[datetime.datetime, int, Callable[[], object]]


class DemoClock:
    """The time the services read, set by the history to each step's moment.

    Replaces `django.utils.timezone.now` (which the services, the clocks and the sweep
    call) and the default of every model field whose default is that function (created_at
    and the like: Django keeps the function itself, so replacing the module's name alone
    would not reach them). Only for this management command's single thread, and undone
    on the way out, whatever happens.
    """

    def __init__(self, moment: datetime.datetime):
        self.moment = moment

    def now(self) -> datetime.datetime:
        return self.moment

    @contextmanager
    def running(self) -> Iterator[DemoClock]:
        original = timezone.now
        fields = [
            model_field
            for model in apps.get_models()
            for model_field in model._meta.concrete_fields
            if model_field.default is original
        ]
        # Field.get_default() calls the cached `_get_default`: an entry in the field's own
        # __dict__ wins over the cached property.
        saved = [(f, f.__dict__.get("_get_default")) for f in fields]
        timezone.now = self.now
        for model_field in fields:
            model_field.__dict__["_get_default"] = self.now
        try:
            yield self
        finally:
            timezone.now = original
            for model_field, before in saved:
                if before is None:
                    model_field.__dict__.pop("_get_default", None)
                else:
                    model_field.__dict__["_get_default"] = before


@dataclass
class Past:
    """Who the history needs: the demo's cast (tickets.demo.Cast) and its requesters."""

    cast: object
    requesters: list[User]
    rng: random.Random
    zone: zoneinfo.ZoneInfo
    now: datetime.datetime
    steps: list[Step] = field(default_factory=list)

    def at(self, moment: datetime.datetime, action: Callable[[], object]) -> None:
        if moment < self.now:  # the rest of a story that has not happened yet is left out
            self.steps.append((moment, len(self.steps), action))

    def office(self, moment: datetime.datetime) -> datetime.datetime:
        """The same moment if the office is open then, else the next opening (09:00 on a
        weekday), plus a few minutes: agents answer in office hours."""
        local = moment.astimezone(self.zone)
        if local.weekday() < 5 and 9 <= local.hour < 17:
            return moment
        day = local.date() + datetime.timedelta(days=1 if local.hour >= 17 else 0)
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        opening = datetime.datetime.combine(day, datetime.time(9), tzinfo=self.zone)
        return opening + datetime.timedelta(minutes=self.rng.randint(2, 40))


def _first_reply_minutes(rng: random.Random) -> int:
    """Mostly quick, sometimes slow: a spread the first-response chart can show."""
    low, high = rng.choices([(4, 14), (15, 59), (60, 239), (240, 600)], weights=[20, 40, 28, 12])[
        0
    ]
    return rng.randint(low, high)


def _fix_minutes(rng: random.Random) -> int:
    """From the first answer to the fix: the same day, often; days, for the hard ones (the
    backlog they make is what the backlog chart shows)."""
    low, high = rng.choices([(30, 600), (600, 2400), (2880, 10080)], weights=[65, 23, 12])[0]
    return rng.randint(low, high)


def _story(past: Past, start: datetime.datetime, created: Counter) -> None:
    """One ticket's life from `start`, as steps in `past`."""
    rng, cast = past.rng, past.cast
    topic_name = rng.choice(list(PROBLEMS))
    subject, body = rng.choice(PROBLEMS[topic_name])
    requester = rng.choice(past.requesters)
    agent = rng.choice([cast.kevin, cast.ryan, cast.ryan])
    kevin = cast.kevin.user
    made: dict[str, Ticket] = {}

    def create():
        made["ticket"] = ticket_create(
            requester=requester,
            by=requester,
            subject=subject,
            body=body,
            help_topic=cast.topics[topic_name],
        )
        created["history tickets"] += 1

    past.at(start, create)
    moment = start + datetime.timedelta(minutes=rng.randint(1, 10))
    urgent = topic_name.startswith("Business") and rng.random() < 0.35
    if topic_name.startswith("Business"):
        plan = cast.plans["Critical" if urgent else "High Priority"]
        past.at(moment, lambda: ticket_set_plan(ticket=made["ticket"], plan=plan, by=kevin))
        if urgent:
            past.at(
                moment,
                lambda: ticket_set_priority(
                    ticket=made["ticket"], priority=Priority.URGENT, by=kevin
                ),
            )
    if agent == cast.kevin:
        past.at(moment, lambda: ticket_claim(ticket=made["ticket"], by=kevin))
    else:
        past.at(moment, lambda: ticket_assign(ticket=made["ticket"], agent=agent, by=kevin))
    who = agent.user

    if rng.random() < 0.05:  # a duplicate, closed without an answer
        moment = past.office(moment + datetime.timedelta(minutes=rng.randint(20, 90)))
        past.at(moment, lambda: ticket_close(ticket=made["ticket"], by=who))
        return

    moment = past.office(moment + datetime.timedelta(minutes=_first_reply_minutes(rng)))
    if rng.random() < 0.3:
        note = rng.choice(NOTES)
        past.at(
            moment - datetime.timedelta(minutes=1),
            lambda: ticket_add_note(ticket=made["ticket"], body=note, by=who),
        )
    answer = rng.choice(ANSWERS)
    past.at(moment, lambda: ticket_reply(ticket=made["ticket"], body=answer, by=who))

    if rng.random() < 0.25:  # waiting on the requester, who answers the next day
        past.at(
            moment + datetime.timedelta(minutes=2),
            lambda: ticket_set_pending(ticket=made["ticket"], by=who),
        )
        moment = past.office(moment + datetime.timedelta(hours=rng.randint(16, 30)))
        past.at(
            moment,
            lambda: ticket_add_message(
                ticket=made["ticket"], body="Tried it, still the same.", by=requester
            ),
        )
        moment = past.office(moment + datetime.timedelta(minutes=rng.randint(20, 300)))
        past.at(
            moment,
            lambda: ticket_reply(ticket=made["ticket"], body="Thanks, on it again.", by=who),
        )

    moment = past.office(moment + datetime.timedelta(minutes=_fix_minutes(rng)))
    fix = rng.choice(FIXES)
    past.at(moment, lambda: ticket_reply(ticket=made["ticket"], body=fix, by=who))
    past.at(
        moment + datetime.timedelta(minutes=1),
        lambda: ticket_resolve(ticket=made["ticket"], by=who),
    )

    ending = rng.random()
    if ending < 0.12:  # it comes back: the requester's message reopens it
        moment = past.office(moment + datetime.timedelta(hours=rng.randint(18, 60)))
        past.at(
            moment,
            lambda: ticket_add_message(
                ticket=made["ticket"], body="It's happening again.", by=requester
            ),
        )
        moment = past.office(moment + datetime.timedelta(minutes=rng.randint(10, 120)))
        past.at(
            moment,
            lambda: ticket_reply(
                ticket=made["ticket"], body="Fixed it properly this time.", by=who
            ),
        )
        past.at(
            moment + datetime.timedelta(minutes=1),
            lambda: ticket_resolve(ticket=made["ticket"], by=who),
        )
    elif ending < 0.4:  # closed after a few quiet days

        def close_if_resolved():
            ticket = Ticket.objects.get(pk=made["ticket"].pk)
            if ticket.status == Status.RESOLVED:
                ticket_close(ticket=ticket, by=who)

        past.at(past.office(moment + datetime.timedelta(days=3)), close_if_resolved)


def _starts(past: Past) -> list[datetime.datetime]:
    """When the history's tickets come in: one to four each weekday, in office hours,
    more on Mondays; now and then one in the evening."""
    today = past.now.astimezone(past.zone).date()
    starts = []
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - datetime.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        count = past.rng.randint(1, 3) + (day.weekday() == 0)
        for _ in range(count):
            hour = past.rng.choice([9, 9, 10, 10, 11, 13, 14, 15, 16, 19])
            minute = past.rng.randint(0, 59)
            starts.append(
                datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=past.zone)
            )
    return sorted(s for s in starts if s < past.now)


def _sweeps(past: Past, first: datetime.datetime) -> None:
    """The sweep every hour, as beat runs it every minute (an hour is close enough for
    warnings and breaches days ago), and the satisfaction surveys that fell due, as beat
    sends them; the steps before a sweep at the same time go first."""
    moment = first.replace(minute=0, second=0, microsecond=0)
    while moment < past.now:
        sweep_at = moment
        past.steps.append((sweep_at, 10**9, lambda at=sweep_at: _hourly(at)))
        moment += datetime.timedelta(hours=1)


def _hourly(at: datetime.datetime) -> None:
    sla_sweep(now=at)
    satisfaction_surveys_send_due(now=at)


def history_loaded(requesters: list[User]) -> bool:
    return Ticket.objects.filter(subject__in=SUBJECTS, requester__in=requesters).exists()


def demo_history(
    *, cast, requesters: list[User], zone: zoneinfo.ZoneInfo, created: Counter
) -> None:
    """Write the weeks, unless they are there (the caller holds the transaction)."""
    if history_loaded(requesters):
        return
    now = timezone.now()
    past = Past(
        cast=cast,
        requesters=requesters,
        rng=random.Random(SEED),  # noqa: S311 # nosec B311 # a story, not a secret
        zone=zone,
        now=now,
    )
    starts = _starts(past)
    for start in starts:
        _story(past, start, created)
    if starts:
        _sweeps(past, starts[0])
    clock = DemoClock(now)
    with clock.running():
        for moment, _, action in sorted(past.steps, key=lambda step: step[:2]):
            clock.moment = moment
            action()
    # Its emails belong to the past: recorded as sent then, not sent at the first start.
    outbox_settle_past(
        ticket_ids=Ticket.objects.filter(requester__in=requesters).values("id"), before=now
    )
    sla_sweep(now=now)  # and the sweep of now, on the real clock
