"""SLA clocks and the background recomputation of their deadlines."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import ClockKind
from .ticket import Ticket

# A live clock is still being measured: neither met nor stopped (it may be paused). At most
# one of each kind per ticket.
LIVE_CLOCK_UNSET = ("met_at", "stopped_at")
LIVE_CLOCK = Q(**{f"{name}__isnull": True for name in LIVE_CLOCK_UNSET})
# A running clock is live and not paused: it can warn or breach. The sweep's partial
# indexes are built on this condition, and the sweep's SQL spells it from the same names.
RUNNING_CLOCK_UNSET = (*LIVE_CLOCK_UNSET, "paused_at")
RUNNING_CLOCK = Q(**{f"{name}__isnull": True for name in RUNNING_CLOCK_UNSET})


class SLAClock(models.Model):
    """One SLA target being measured on one ticket, in business time.

    A clock runs from `started_at`; time spent paused (pending, resolved) does not count,
    so the due and warning times move later by the business minutes spent paused. The
    sweep sets `warned_at` and `breached_at` exactly once each. A met clock records when
    and how many business minutes it took; a stopped one was no longer measured (the ticket
    closed first, or a plan change replaced it).
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.FloatField(default=0)
    met_at = models.DateTimeField(null=True, blank=True)
    business_minutes_taken = models.FloatField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # Set on every clock of a ticket while it is merged away: such a clock counts neither
    # as met nor as breached in the reports (tickets/selectors/measures.py). Cleared, and
    # the clocks stopped by the merge restarted, when the merge is undone.
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = "SLA clock"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ClockKind.values), name="tickets_clock_kind_valid"
            ),
            # At most one live clock of each kind per ticket.
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=LIVE_CLOCK,
                name="tickets_clock_one_live_per_kind",
            ),
        ]
        indexes = [
            # The sweep's two questions, answered from small partial indexes, so a pass
            # with nothing due costs the same at a thousand tickets as at a million.
            models.Index(
                fields=["warn_at"],
                condition=RUNNING_CLOCK & Q(warned_at__isnull=True),
                name="clock_warn_pending",
            ),
            models.Index(
                fields=["due_at"],
                condition=RUNNING_CLOCK & Q(breached_at__isnull=True),
                name="clock_breach_pending",
            ),
            models.Index(fields=["ticket", "kind"], name="clock_ticket_kind"),
            # The report rollups' fill: clocks completed in an hour (docs/decisions/0035).
            models.Index(fields=["met_at"], condition=Q(met_at__isnull=False), name="clock_met"),
            models.Index(
                fields=["breached_at"],
                condition=Q(breached_at__isnull=False),
                name="clock_breached",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} clock {self.pk}"

    @property
    def is_live(self) -> bool:
        return self.met_at is None and self.stopped_at is None


class DeadlineRecomputation(models.Model):
    """A background job: recompute the SLA deadlines of the open tickets a policy edit affects.

    Written when an admin saves an SLA plan or a business calendar; the worker works through
    the affected tickets in batches and records its progress here for the admin to show.
    """

    plan = models.ForeignKey(
        "sla.SLAPlan", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=False) | Q(calendar__isnull=False),
                name="tickets_recompute_has_subject",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(finished_at__isnull=True),
                name="recompute_unfinished",
            ),
        ]

    def __str__(self):
        return f"Recompute deadlines for {self.plan or self.calendar}"

    @property
    def status(self) -> str:
        if self.finished_at:
            return "done"
        return "running" if self.started_at else "queued"
