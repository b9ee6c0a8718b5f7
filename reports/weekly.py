"""The weekly email to department managers: last week's figures of their department and
the link to the dashboard for that week (docs/reports.md, decision 0034).

An hourly task (`weekly_emails_run`) looks, for each manager of each active department,
at the last whole week (Monday to Sunday) in the manager's time zone, from Monday 07:00
there. The email for a (manager, department, week) is a WeeklyReportEmail row, unique,
rendered and written in one transaction: a second run, at the same time or an hour later,
finds the row and writes nothing. The same task sends the unsent rows (a lease and SKIP
LOCKED, as the tickets' outbox), so a lost send is retried by the next hour's run.
Managers who switched the email off in their profile get none.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agent, Department, DepartmentMembership, User
from reports.figures import CUSTOM, Period, ReportFilters, report_dashboard
from reports.figures.dashboard import Dashboard
from reports.models import WeeklyReportEmail
from tickets import access
from tickets.models import ClockKind
from tickets.outbox.render import AUTOMATIC_HEADERS, new_message_id
from tickets.outbox.send import (
    outbox_claim,
    outbox_failed,
    outbox_held_back,
    outbox_sent,
    stopped_addresses,
)

logger = logging.getLogger(__name__)

WEEKLY_TASK = "reports.weekly_emails"
SEND_HOUR = 7  # Monday, 07:00 in the manager's zone: the week before is complete then
OPTED_OUT = "Not sent: the manager switched the weekly email off."
BOUNCED = "Not sent: mail to {address} bounced; nothing is sent to it until it is cleared."


def week_due(now: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.date:
    """The Monday of the last whole week whose email is due at `now` in `zone`: last week
    from Monday SEND_HOUR on, the week before until then."""
    local = now.astimezone(zone)
    monday = local.date() - datetime.timedelta(days=local.weekday())
    if local.replace(tzinfo=None) < datetime.datetime.combine(monday, datetime.time(SEND_HOUR)):
        monday -= datetime.timedelta(days=7)
    return monday - datetime.timedelta(days=7)


def weekly_recipients() -> list[tuple[Department, User]]:
    """(department, manager) pairs: each active department's manager (Department.manager)
    and the agents with the manager role in it, if active and not opted out. Three queries."""
    pairs = set(
        Department.objects.filter(is_active=True, manager__isnull=False).values_list(
            "pk", "manager_id"
        )
    )
    pairs |= set(
        DepartmentMembership.objects.filter(
            role=DepartmentMembership.Role.MANAGER, department__is_active=True
        ).values_list("department_id", "agent_id")
    )
    agents = Agent.objects.filter(
        pk__in={agent for _, agent in pairs},
        is_active=True,
        user__is_active=True,
        user__weekly_report_email=True,
    ).select_related("user")
    users = {agent.pk: agent.user for agent in agents}
    departments = Department.objects.in_bulk({department for department, _ in pairs})
    return [
        (departments[department], users[agent])
        for department, agent in sorted(pairs)
        if agent in users
    ]


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


def _minutes(value) -> str:
    if value is None:
        return "\u2014"
    minutes = round(value)
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def _figures(dashboard: Dashboard) -> list[Figure]:
    total = dashboard.total
    figures = []
    for kind, label in ClockKind.choices:
        achievement = total.sla[kind]
        rate = "\u2014" if achievement.rate is None else f"{achievement.rate * 100:.0f}%"
        figures.append(
            Figure(
                f"{label} SLA achieved",
                f"{rate} ({achievement.achieved} met, {achievement.breached} breached)",
            )
        )
    for title, times in (
        ("First response", total.first_response),
        ("Resolution", total.resolution),
    ):
        business, calendar = times.business, times.calendar
        figures.append(
            Figure(
                f"{title} time (median / p90)",
                f"{_minutes(business.median)} / {_minutes(business.p90)} business, "
                f"{_minutes(calendar.median)} / {_minutes(calendar.p90)} calendar, "
                f"over {times.tickets} tickets",
            )
        )
    backlog = dashboard.days[-1].backlog if dashboard.days else 0
    figures += [
        Figure("Created", str(total.flow.created)),
        Figure("Resolved", str(total.flow.resolved)),
        Figure("Backlog at the end of the week (open or pending)", str(backlog)),
    ]
    return figures


def dashboard_url(*, department: Department, period: Period) -> str:
    query = urlencode(
        {
            "period": CUSTOM,
            "start": period.first_day.isoformat(),
            "end": period.last_day.isoformat(),
            "department": department.pk,
        }
    )
    return f"{settings.SITE_URL}{reverse('agent:reports')}?{query}"


def _render(*, user: User, department: Department, period: Period, now) -> dict[str, str]:
    dashboard = report_dashboard(
        user=user, period=period, filters=ReportFilters(department=department.pk), now=now
    )
    context = {
        "recipient": user,
        "department": department,
        "period": period,
        "figures": _figures(dashboard),
        "dashboard_url": dashboard_url(department=department, period=period),
        "profile_url": f"{settings.SITE_URL}{reverse('accounts:profile')}",
        "site_name": settings.SITE_NAME,
    }
    name = "emails/weekly_report"
    return {
        "subject": " ".join(render_to_string(f"{name}.subject.txt", context).split())[:300],
        "body_text": render_to_string(f"{name}.txt", context),
        "body_html": render_to_string(f"{name}.html", context),
    }


def weekly_emails_queue(*, now: datetime.datetime | None = None) -> int:
    """Write the weekly emails due now and not written yet; how many were written."""
    now = now or timezone.now()
    written = 0
    for department, user in weekly_recipients():
        zone = user.zone
        monday = week_due(now, zone)
        done = WeeklyReportEmail.objects.filter(
            recipient=user, department=department, week_start=monday
        )
        # The figures are the manager's own view: a department they cannot see is skipped.
        if done.exists() or department.pk not in access.report_department_ids(user):
            continue
        period = Period(monday, monday + datetime.timedelta(days=6), zone, CUSTOM)
        rendered = _render(user=user, department=department, period=period, now=now)
        try:
            with transaction.atomic():
                WeeklyReportEmail.objects.create(
                    recipient=user, department=department, week_start=monday, **rendered
                )
        except IntegrityError:  # another run wrote it first
            continue
        written += 1
    return written


def _held_back(email: WeeklyReportEmail, stopped) -> str:
    if not email.recipient.weekly_report_email:
        return OPTED_OUT
    address = email.recipient.email.lower()
    return BOUNCED.format(address=address) if address in stopped else ""


def weekly_emails_send_pending(*, limit: int = 200) -> int:
    """Send up to `limit` unsent weekly emails; how many went out."""
    with transaction.atomic():
        ids = outbox_claim(WeeklyReportEmail, limit=limit)
    emails = list(
        WeeklyReportEmail.objects.select_related("recipient").filter(
            pk__in=ids, sent_at__isnull=True
        )
    )
    stopped = stopped_addresses(e.recipient.email for e in emails)
    sent = 0
    with get_connection() as connection:
        for email in emails:
            reason = _held_back(email, stopped)
            if reason:
                outbox_held_back(email, reason)
                continue
            message = EmailMultiAlternatives(
                subject=email.subject,
                body=email.body_text,
                to=[email.recipient.email],
                headers={"Message-ID": new_message_id(), **AUTOMATIC_HEADERS},
                connection=connection,
            )
            message.attach_alternative(email.body_html, "text/html")
            try:
                message.send()
            except Exception as error:  # one bad address must not stop the others
                logger.warning("Weekly report email %s failed: %s", email.pk, error)
                outbox_failed(email, error)
                continue
            outbox_sent(email)
            sent += 1
    return sent


def weekly_emails_run(*, now: datetime.datetime | None = None) -> int:
    """The hourly job: write what is due, then send what is unsent. Emails sent."""
    weekly_emails_queue(now=now)
    return weekly_emails_send_pending()
