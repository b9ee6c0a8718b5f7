"""Admin for SLA policy: plans, and the business calendars they are measured in."""

import datetime
import itertools

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count

from accounts.admin import AuditedAdminMixin
from accounts.forms import TimeZoneFormField
from sla.models import BusinessCalendar, Holiday, SLAPlan, WorkingInterval


def format_minutes(minutes: int | None) -> str:
    """60 -> "1 h", 90 -> "1 h 30 min", None -> "-"."""
    if minutes is None:
        return "-"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


class BusinessCalendarForm(forms.ModelForm):
    time_zone = TimeZoneFormField(help_text="Working hours and holidays are read in this zone.")

    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone")


def _minute_of_day(value: datetime.time, *, is_end: bool = False) -> int:
    if is_end and value == datetime.time(0):
        # 00:00 as an end means midnight at the end of the day.
        return 24 * 60
    return value.hour * 60 + value.minute


class WorkingIntervalFormSet(forms.BaseInlineFormSet):
    """Rejects two intervals that overlap on the same weekday.

    Overlaps are not a database constraint (several intervals per day are allowed), but
    they are always a mistake: the same hour would count twice in someone's reading of the
    calendar.
    """

    def clean(self):
        super().clean()
        by_day: dict[int, list[tuple[int, int]]] = {}
        for form in self.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            data = form.cleaned_data
            if data.get("weekday") is None or not data.get("start") or not data.get("end"):
                continue
            by_day.setdefault(data["weekday"], []).append(
                (_minute_of_day(data["start"]), _minute_of_day(data["end"], is_end=True))
            )
        errors = []
        for weekday, spans in sorted(by_day.items()):
            spans.sort()
            for (_, previous_end), (start, _) in itertools.pairwise(spans):
                if start < previous_end:
                    day = WorkingInterval.Weekday(weekday).label
                    errors.append(f"Working intervals on {day} overlap.")
                    break
        if errors:
            raise ValidationError(errors)


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    formset = WorkingIntervalFormSet
    fields = ("weekday", "start", "end")
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    fields = ("date", "name")
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ("name", "time_zone", "interval_count", "holiday_count")
    list_filter = ("time_zone",)
    search_fields = ("name", "time_zone")
    inlines = (WorkingIntervalInline, HolidayInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                interval_count=Count("intervals", distinct=True),
                holiday_count=Count("holidays", distinct=True),
            )
        )

    @admin.display(description="Working intervals", ordering="interval_count")
    def interval_count(self, obj: BusinessCalendar) -> int:
        return obj.interval_count

    @admin.display(description="Holidays", ordering="holiday_count")
    def holiday_count(self, obj: BusinessCalendar) -> int:
        return obj.holiday_count


@admin.register(SLAPlan)
class SLAPlanAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "first_response",
        "next_response",
        "resolution",
        "hours",
        "is_default",
        "is_active",
    )
    list_filter = ("is_default", "is_active", "calendar", "pause_when_pending")
    list_select_related = ("calendar",)
    search_fields = ("name", "description")
    autocomplete_fields = ("calendar", "escalate_to_agent", "escalate_to_department")
    fieldsets = (
        (None, {"fields": ("name", "description", "is_default", "is_active")}),
        (
            "Targets",
            {
                "description": "In business minutes of the plan's calendar. Empty: no target.",
                "fields": (
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                ),
            },
        ),
        ("Calendar & warning", {"fields": ("calendar", "warning_percent", "pause_when_pending")}),
        (
            "Escalation actions",
            {
                "description": "Run once, when a clock breaches.",
                "fields": (
                    "escalate_notify_assignee",
                    "escalate_notify_manager",
                    "escalate_raise_priority",
                    "escalate_to_agent",
                    "escalate_to_department",
                ),
            },
        ),
    )

    @admin.display(description="First response", ordering="first_response_minutes")
    def first_response(self, obj: SLAPlan) -> str:
        return format_minutes(obj.first_response_minutes)

    @admin.display(description="Next response", ordering="next_response_minutes")
    def next_response(self, obj: SLAPlan) -> str:
        return format_minutes(obj.next_response_minutes)

    @admin.display(description="Resolution", ordering="resolution_minutes")
    def resolution(self, obj: SLAPlan) -> str:
        return format_minutes(obj.resolution_minutes)

    @admin.display(description="Hours", ordering="calendar__name")
    def hours(self, obj: SLAPlan) -> str:
        return obj.calendar.name if obj.calendar else "24/7"
