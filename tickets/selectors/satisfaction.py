"""Satisfaction ratings as pages read them: a ticket's, and the CSAT figures of the desk.

CSAT is good / (good + bad) of the surveys rated in a period, the share of satisfied
requesters; surveys sent but not answered count in neither. Agents see the ratings and
comments of tickets they may work, and nothing else (tickets.access).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q

from tickets import access
from tickets.models import (
    EventKind,
    SatisfactionRating,
    SatisfactionSurvey,
    Ticket,
    TicketEvent,
)

COMMENTS_SHOWN = 50


@dataclass(frozen=True)
class CsatRow:
    label: str
    good: int
    bad: int

    @property
    def rated(self) -> int:
        return self.good + self.bad

    @property
    def csat(self) -> float | None:
        """Percent satisfied; None with nothing rated."""
        return None if not self.rated else 100.0 * self.good / self.rated


@dataclass
class CsatFigures:
    since: datetime
    total: CsatRow
    sent: int
    by_department: list[CsatRow] = field(default_factory=list)
    by_agent: list[CsatRow] = field(default_factory=list)
    by_topic: list[CsatRow] = field(default_factory=list)
    comments: list[SatisfactionSurvey] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return None if not self.sent else 100.0 * self.total.rated / self.sent


@dataclass(frozen=True)
class Rating:
    """A survey's current answer, as its latest satisfaction_rated event says it."""

    survey_id: int
    rating: str
    label: str
    comment: str
    rated_at: datetime


def ratings_of(events: Iterable[TicketEvent]) -> list[Rating]:
    """The current rating of each survey, latest first, from a ticket's events (which the
    ticket page has fetched already for its timeline: no query of its own)."""
    latest: dict[int, Rating] = {}
    for event in events:
        if event.kind != EventKind.SATISFACTION_RATED:
            continue
        data = event.data or {}
        to = data.get("to") or {}
        survey_id = data.get("survey")
        if not isinstance(survey_id, int) or to.get("id") not in SatisfactionRating.values:
            continue
        current = latest.get(survey_id)
        if current is None or current.rated_at <= event.created_at:
            latest[survey_id] = Rating(
                survey_id=survey_id,
                rating=to["id"],
                label=SatisfactionRating(to["id"]).label,
                comment=str(data.get("comment") or ""),
                rated_at=event.created_at,
            )
    return sorted(latest.values(), key=lambda r: (r.rated_at, r.survey_id), reverse=True)


def ticket_surveys(*, ticket: Ticket) -> list[SatisfactionSurvey]:
    """The ticket's surveys that were sent, latest first (a ticket resolved twice has two).
    The caller has the ticket through tickets.access, for an agent or its requester."""
    return list(
        SatisfactionSurvey.objects.filter(ticket=ticket, state=SatisfactionSurvey.State.SENT)
        .select_related("agent__user")
        .order_by("-sent_at", "-id")
    )


GOOD = Count("id", filter=Q(rating=SatisfactionRating.GOOD))
BAD = Count("id", filter=Q(rating=SatisfactionRating.BAD))


def _rows(rated, group: str, labels: tuple[str, ...], empty: str) -> list[CsatRow]:
    """One row per value of `group`, labelled by the first of `labels` that is set."""
    found = rated.values(group, *labels).annotate(good=GOOD, bad=BAD).order_by()
    result = [
        CsatRow(next((row[name] for name in labels if row[name]), empty), row["good"], row["bad"])
        for row in found
    ]
    return sorted(result, key=lambda row: (row.label.lower(), row.label))


def satisfaction_figures(*, user, since: datetime) -> CsatFigures:
    """CSAT of the ratings given since `since`, overall and per department, agent and help
    topic of the resolution (who resolved it, whatever happened to the ticket later), and
    the latest comments; of the tickets the user may work only."""
    departments = access.report_department_ids(user)
    mine = SatisfactionSurvey.objects.filter(ticket__department_id__in=departments)
    rated = mine.filter(rated_at__gte=since).exclude(rating="")
    total = rated.aggregate(good=GOOD, bad=BAD)
    sent = mine.filter(sent_at__gte=since).count()
    return CsatFigures(
        since=since,
        total=CsatRow("All", total["good"], total["bad"]),
        sent=sent,
        by_department=_rows(rated, "department", ("department__name",), "(deleted)"),
        by_agent=_rows(
            rated, "agent", ("agent__user__display_name", "agent__user__email"), "Unassigned"
        ),
        by_topic=_rows(rated, "help_topic", ("help_topic__name",), "No topic"),
        comments=list(
            rated.exclude(comment="")
            .select_related("ticket", "agent__user", "requester")
            .order_by("-rated_at", "-id")[:COMMENTS_SHOWN]
        ),
    )
