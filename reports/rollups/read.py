"""The dashboard's figures from the hourly rollups (decision 0035): whole hours beat has
filled are read from ReportHour; every other stretch of the period (the current hour, hours
not filled or marked for refill, an hour cut by a day boundary of the viewer's zone) is
computed live with the very SQL that fills rollups. Two statements: the counts (with
the days), and the minutes (medians, p90s, means).

Every figure is exact: counts add up hour by hour, distinct tickets through the `*_prev`
columns (reports/models.py), and percentiles are taken over the minutes the rows keep.
"""

# ruff: noqa: S608  (SQL built from this package's constants; every value is a parameter)
from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass

from django.db import connection, transaction

from reports.figures.flow import DayFlow, Flow, FlowReport
from reports.figures.grouping import TOTAL
from reports.figures.periods import Period
from reports.figures.scope import NONE, ReportFilters
from reports.figures.series import (
    ResponseBands,
    Week,
    bands_of,
    period_weeks,
    response_bands,
    week_bounds,
    weeks_of,
)
from reports.figures.sla import Achievement
from reports.figures.times import Durations, Times
from reports.models import ROLLUP_VERSION, SLA_KINDS, ReportFillState, ReportHour
from reports.rollups.fill import HOUR, NO_JIT, hour_floor
from reports.rollups.sources import (
    COLUMNS,
    MINUTES,
    PREVS,
    Where,
    grouped,
    source_rows,
)
from tickets import access

# The breakdowns (reports.figures.grouping.DIMENSIONS) as ReportHour's columns.
BREAKDOWN_COLUMNS = {
    "department": "department_id",
    "help_topic": "help_topic_id",
    "priority": "priority",
    "agent": "agent_id",
}
DAY = "day"
GROUP_COLUMNS = (*BREAKDOWN_COLUMNS.values(), "bucket")
# The times' families: (figure, business column or None, calendar column, count column).
FAMILIES = {
    "first_response": ("first_reply_business", "first_reply_calendar", "first_reply"),
    "resolution": (
        "latest_resolution_business",
        "latest_resolution_calendar",
        "latest_resolution",
    ),
    "first_resolution": (None, "first_resolution_calendar", "first_resolution"),
}


@dataclass(frozen=True)
class Plan:
    """Which hours come from rollups, which stretches are computed live."""

    bounds: list[datetime.datetime]  # the period's start, then each day's end
    stored: list[datetime.datetime]
    live: tuple[tuple[datetime.datetime, datetime.datetime], ...]


def plan_of(period: Period, now: datetime.datetime) -> Plan:
    """One query: the filled hours of the period (and up to now, for the backlog)."""
    bounds = [period.start, *(day.end for day in period.days())]
    start, until = period.start, max(period.end, hour_floor(now) + HOUR)
    filled = ReportFillState.objects.filter(
        hour__gte=start,
        hour__lt=until,
        state=ReportFillState.State.FILLED,
        version=ROLLUP_VERSION,
    ).values_list("hour", flat=True)

    def usable(hour):
        end = hour + HOUR
        # Within one day of the period, so its rows belong to one day.
        one_day = bisect.bisect_right(bounds, hour) == bisect.bisect_right(
            bounds, end - datetime.timedelta(microseconds=1)
        )
        return end <= until and one_day

    stored = sorted(hour for hour in filled if usable(hour))
    live, cursor = [], start
    for hour in stored:
        if hour > cursor:
            live.append((cursor, hour))
        cursor = hour + HOUR
    if cursor < until:
        live.append((cursor, until))
    return Plan(bounds=bounds, stored=stored, live=tuple(live))


# The scope's columns in ReportHour (h) and on the ticket (tk).
STORED_COLUMNS = {
    "department": "h.department_id",
    "help_topic": "h.help_topic_id",
    "priority": "h.priority",
    "agent": "h.agent_id",
    "channel": "h.channel",
}
TICKET_COLUMNS = {
    "department": "tk.department_id",
    "help_topic": "tk.help_topic_id",
    "priority": "tk.priority",
    "agent": "tk.assignee_id",
    "channel": "tk.source",
}


def _scope(user, filters: ReportFilters, columns: dict[str, str]) -> tuple[str, tuple]:
    """reports.figures.scope.ticket_scope_q, as SQL on `columns`."""
    departments = access.report_department_ids(user)
    if filters.department is not None:
        departments = departments & {filters.department}
    conditions = [f"{columns['department']} = ANY(%s::integer[])"]
    params: list = [sorted(departments)]
    for name in ("help_topic", "agent"):
        value = getattr(filters, name)
        if value == NONE:
            conditions.append(f"{columns[name]} IS NULL")
        elif value is not None:
            conditions.append(f"{columns[name]} = %s")
            params.append(int(value))
    for name in ("priority", "channel"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{columns[name]} = %s")
            params.append(value)
    return " AND ".join(conditions), tuple(params)


def _rows(plan: Plan, user, filters, wanted: tuple[str, ...] = COLUMNS) -> tuple[str, list]:
    """The rows of the period in the viewer's scope, stored and live, each with its day
    bucket (1..n; n+1 after the period) and the `wanted` columns only: a statement that
    reads five of the fifty carries a tenth of the bytes through its sorts."""
    columns = ", ".join(f"h.{c}" for c in wanted)
    scope, scope_params = _scope(user, filters, STORED_COLUMNS)
    hours, hours_params = _stored_hours(plan.stored, plan.bounds[0])
    stored = (
        "SELECT width_bucket(h.hour, %s::timestamptz[]) AS bucket,"  # nosec B608
        f" {columns} FROM {ReportHour._meta.db_table} h WHERE {hours} AND {scope}"
    )
    where = Where(plan.live, scope=_scope(user, filters, TICKET_COLUMNS))
    source, source_params = source_rows(where)
    live = grouped(source, "width_bucket(s.t, %s::timestamptz[])")
    if wanted != COLUMNS:
        live = f"SELECT g.bucket, {', '.join(f'g.{c}' for c in wanted)} FROM ({live}) g"  # nosec B608
    sql = f"SELECT * FROM (({stored}) UNION ALL ({live})) r"  # nosec B608
    stored_params = [plan.bounds, *hours_params, *scope_params]
    params = [*stored_params, plan.bounds, *source_params]
    return sql, params


# The counts sort a period's rows (some 160,000 of 600 bytes for two departments of a
# desk with a million tickets a year over 90 days): with the default 4 MB they spill to
# disk. For these two statements only (SET LOCAL: the transaction's), and per sort node.
READ_WORK_MEM = "SET LOCAL work_mem = '64MB'"
# More runs of consecutive filled hours than this, and the hours are looked up one by one.
MAX_HOUR_RANGES = 24


def _stored_hours(stored: list[datetime.datetime], start: datetime.datetime):
    """The condition on h.hour that picks the filled hours: as ranges of consecutive hours
    (nearly always one or a few: the (department, hour) index then reads the viewer's
    departments' rows of each range), or, when gaps are many, a range and a hashed
    look-up of each hour (= ANY of an array compares each row with every element)."""
    runs: list[list[datetime.datetime]] = []
    for hour in stored:
        if runs and runs[-1][1] == hour:
            runs[-1][1] = hour + HOUR
        else:
            runs.append([hour, hour + HOUR])
    if not runs:
        return "h.hour >= %s AND h.hour < %s", [start, start]
    if len(runs) <= MAX_HOUR_RANGES:
        text = " OR ".join(["(h.hour >= %s AND h.hour < %s)"] * len(runs))
        return f"({text})", [moment for run in runs for moment in run]
    return (
        "h.hour >= %s AND h.hour < %s AND h.hour IN (SELECT unnest(%s::timestamptz[]))",
        [stored[0], stored[-1] + HOUR, stored],
    )


def _duplicates(column: str, since: str) -> str:
    """How many of a row's earlier times are at or after `since`: the rows counted twice."""
    return (
        f"CASE WHEN cardinality(r.{column}) = 0 THEN 0"  # nosec B608
        f" ELSE (SELECT count(*) FROM unnest(r.{column}) p WHERE p >= {since}) END"
    )


# Achievement's fields of a week of the SLA chart, per kind: (field, the counts' column).
WEEK_FIELDS = {
    "achieved": "achieved",
    "breached": "breached",
    "achieved_tickets": "achieved_week_tickets",
    "breached_tickets": "breached_week_tickets",
    "completed_tickets": "completed_week_tickets",
    "breached_open_tickets": "breached_open_week_tickets",
}


def _count_columns() -> dict[str, tuple[str, bool]]:
    """Each count's sum over a day's rows of one combination of the breakdowns, and
    whether the groups count it over the period's days only (the days' own figures, and
    the backlog's changes up to now, take every bucket)."""
    period_start = "(%(bounds)s::timestamptz[])[1]"
    day_start = "(%(bounds)s::timestamptz[])[r.bucket]"
    # The start of the chart's week the row's day is in: summed over a week's days, a
    # count less its earlier times from that start counts each ticket once in the week.
    week_start = "(%(weeks)s::timestamptz[])[r.bucket]"

    def distinct(name, since):
        return f"SUM(r.{name} - {_duplicates(PREVS[name], since)})"

    columns = {
        "created": ("SUM(r.created)", True),
        "resolved": (distinct("resolved", period_start), True),
        "reopened_after": (distinct("reopened_after", period_start), True),
        "day_created": ("SUM(r.created)", False),
        "day_resolved": (distinct("resolved", day_start), False),
        "day_reopened": (distinct("reopened", day_start), False),
        "day_delta": ("SUM(r.backlog_delta)", False),
        "present": (
            f"SUM(r.created + r.resolved + r.first_reply + r.latest_resolution"
            f" + r.first_resolution + {' + '.join(f'r.sla_{k}_completed' for k in SLA_KINDS)})",
            True,
        ),
    }
    for family in FAMILIES.values():
        columns[family[2]] = (f"SUM(r.{family[2]})", True)
    for kind in SLA_KINDS:
        prefix = f"sla_{kind}"
        columns[f"{prefix}.achieved"] = (f"SUM(r.{prefix}_achieved)", True)
        columns[f"{prefix}.breached"] = (f"SUM(r.{prefix}_breached)", True)
        for outcome in ("achieved", "breached", "completed", "breached_open"):
            columns[f"{prefix}.{outcome}_tickets"] = (
                distinct(f"{prefix}_{outcome}", period_start),
                True,
            )
            columns[f"{prefix}.{outcome}_week_tickets"] = (
                distinct(f"{prefix}_{outcome}", week_start),
                True,
            )
    return columns


def _grouping_sets(columns: tuple[str, ...], *keys: str) -> tuple[str, dict[int, str]]:
    """GROUPING SETS of the total, each breakdown (and the days, if `columns` has the
    bucket), each also by `keys`; and which GROUPING(columns) mask is which group."""
    sets = {TOTAL: (), **{name: (col,) for name, col in BREAKDOWN_COLUMNS.items()}}
    if "bucket" in columns:
        sets[DAY] = ("bucket",)
    width = len(columns)
    masks = {}
    for name, cols in sets.items():
        bits = (1 << (width - 1 - i) for i, c in enumerate(columns) if c not in cols)
        masks[sum(bits)] = name
    text = ", ".join(f"({', '.join((*keys, *cols))})" for cols in sets.values())
    return f"GROUPING SETS ({text})", masks


def _execute(sql: str, params, *, fetch: bool = True) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if fetch else []


def _named(sql: str, params: list, named: dict) -> tuple[str, list]:
    """Our statements mix positional parameters with a few repeated ones (%(bounds)s):
    turn the named ones positional, in order."""
    out, values, rest = [], [], sql
    positional = iter(params)
    while True:
        i = rest.find("%")
        if i < 0:
            out.append(rest)
            break
        out.append(rest[: i + 2] if rest[i + 1] == "s" else rest[:i])
        if rest[i + 1] == "s":
            values.append(next(positional))
            rest = rest[i + 2 :]
        elif rest[i + 1] == "(":
            close = rest.index(")s", i)
            values.append(named[rest[i + 2 : close]])
            out.append("%s")
            rest = rest[close + 2 :]
        else:  # a literal %%
            out.append("%%")
            rest = rest[i + 2 :]
    return "".join(out), values


def _day_weeks(period: Period) -> list[int]:
    """For each day of the period in order, the number (from 1) of its week on the SLA
    chart."""
    return [
        number
        for number, (first, last) in enumerate(period_weeks(period), start=1)
        for _ in range((last - first).days + 1)
    ]


def _counts(plan, user, filters, period: Period):
    """The counts of every group and day, in two steps: the rows summed per day and
    combination of the breakdowns (one pass of the many sums over the rows), then the
    grouping sets over those sums (a few hundred rows a day instead of one per ticket
    and hour, each summed once per set)."""
    days = len(period.days())
    rows, params = _rows(plan, user, filters)
    columns = _count_columns()
    keys = ", ".join(f"r.{c}" for c in GROUP_COLUMNS)
    sums = ", ".join(f"{expr} AS c{i}" for i, (expr, _) in enumerate(columns.values()))
    per_day = f"SELECT {keys}, {sums} FROM ({rows}) r GROUP BY {keys}"  # nosec B608
    in_period = f"FILTER (WHERE s.bucket BETWEEN 1 AND {days})"
    totals = [
        f"SUM(s.c{i}) {in_period if filtered else ''}"
        for i, (_, filtered) in enumerate(columns.values())
    ]
    sets, masks = _grouping_sets(GROUP_COLUMNS)
    grouping = f"GROUPING({', '.join(f's.{c}' for c in GROUP_COLUMNS)})"
    selected = ", ".join([grouping, *(f"s.{c}" for c in GROUP_COLUMNS), *totals])
    sql = f"SELECT {selected} FROM ({per_day}) s GROUP BY {sets}"  # nosec B608
    # Named parameters and positional ones, in the order the text holds them.
    starts = week_bounds(period, period_weeks(period))
    weeks = [starts[number - 1] for number in _day_weeks(period)]
    sql, values = _named(sql, params, {"bounds": plan.bounds, "weeks": weeks})
    result = {}
    for row in _execute(sql, values):
        name = masks[row[0]]
        by_column = dict(zip(GROUP_COLUMNS, row[1 : 1 + len(GROUP_COLUMNS)], strict=True))
        figures = dict(zip(columns, (v or 0 for v in row[1 + len(GROUP_COLUMNS) :]), strict=True))
        value = (
            None
            if name == TOTAL
            else by_column["bucket" if name == DAY else BREAKDOWN_COLUMNS[name]]
        )
        result[(name, value)] = figures
    return result


# What the minutes statement reads of each row.
MINUTE_COLUMNS = (*BREAKDOWN_COLUMNS.values(), *MINUTES)


def _minutes(plan, user, filters, days: int):
    """Count, median, p90 and mean of each minutes column per group, and the total's
    first-response bands. The columns are unnested side by side (unnest of several arrays
    pads the shorter with NULLs, which the aggregates skip), so the rows are read once
    and rows without minutes drop out, instead of once per column through a CTE."""
    rows, params = _rows(plan, user, filters, MINUTE_COLUMNS)
    breakdowns = tuple(BREAKDOWN_COLUMNS.values())
    sets, masks = _grouping_sets(breakdowns)
    grouping = f"GROUPING({', '.join(f'r.{c}' for c in breakdowns)})"
    aggregates = [
        part
        for column in MINUTES
        for part in (
            f"count(u.{column})",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY u.{column})",
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY u.{column})",
            f"avg(u.{column})",
        )
    ]
    # The first-response chart's bands (read off the total's business minutes).
    bands_of_column = "first_reply_business"
    aggregates += [
        f"count(u.{bands_of_column}) FILTER (WHERE {_band(f'u.{bands_of_column}', low, high)})"
        for _, low, high in BANDS
    ]
    selected = ", ".join([grouping, *(f"r.{c}" for c in breakdowns), *aggregates])
    sql = (
        f"SELECT {selected} FROM ({rows}) r"  # nosec B608
        f" CROSS JOIN LATERAL unnest({', '.join(f'r.{c}' for c in MINUTES)})"
        f" AS u({', '.join(MINUTES)})"
        f" WHERE r.bucket BETWEEN 1 AND {days} GROUP BY {sets}"
    )
    result: dict[tuple, dict[str, Durations]] = {}
    bands = [0] * len(BANDS)
    width = len(breakdowns)
    for row in _execute(sql, params):
        name = masks[row[0]]
        by_column = dict(zip(breakdowns, row[1 : 1 + width], strict=True))
        value = None if name == TOTAL else by_column[BREAKDOWN_COLUMNS[name]]
        measured = result.setdefault((name, value), {})
        for i, column in enumerate(MINUTES):
            n, median, p90, mean = row[1 + width + 4 * i : 5 + width + 4 * i]
            if n:
                measured[column] = Durations(
                    n=n, median=median, p90=p90, mean=float(mean) if mean is not None else None
                )
        if name == TOTAL:
            bands = list(row[1 + width + 4 * len(MINUTES) :])
    return result, bands


BANDS = response_bands()


def _band(x: str, low: int | None, high: int | None) -> str:
    """x in [low, high) business minutes, as reports.figures.series._band_q (integers of
    this module's constants, never input)."""
    parts = ["true"]
    if low is not None:
        parts.append(f"{x} >= {int(low)}")
    if high is not None:
        parts.append(f"{x} < {int(high)}")
    return " AND ".join(parts)


@dataclass
class RollupFigures:
    flow: FlowReport
    sla: dict
    first_response: dict
    resolution: dict
    first_resolution: dict
    weeks: list[Week] | None = None  # the SLA chart's (reports.figures.series)
    response_bands: ResponseBands | None = None


def report_figures_from_rollups(
    *, user, period: Period, filters: ReportFilters, now: datetime.datetime, open_now: int
) -> RollupFigures:
    """The figures of report_flow, report_sla_achievement and the three report_* times, from
    rollups and live hours, with the SLA chart's weeks and the first-response bands: five
    queries (the filled hours, no JIT, the sorts' memory, the counts, the minutes), the
    last two in one transaction, so they read one snapshot. `open_now`
    (report_now's count) anchors the backlog: what is open now, minus what came in since,
    plus what went out."""
    plan = plan_of(period, now)
    days = period.days()
    with transaction.atomic():
        _execute(NO_JIT, None, fetch=False)
        _execute(READ_WORK_MEM, None, fetch=False)
        counts = _counts(plan, user, filters, period)
        minutes, bands = _minutes(plan, user, filters, len(days))
    groups = {
        key: figures
        for key, figures in counts.items()
        if key[0] != DAY and (figures["present"] or key[0] == TOTAL)
    }
    figures = RollupFigures(FlowReport(), {}, {}, {}, {})
    for key, row in groups.items():
        figures.flow.groups[key] = Flow(
            created=row["created"], resolved=row["resolved"], reopened_after=row["reopened_after"]
        )
        figures.sla[key] = {
            kind: Achievement(
                achieved=row[f"sla_{kind}.achieved"],
                breached=row[f"sla_{kind}.breached"],
                achieved_tickets=row[f"sla_{kind}.achieved_tickets"],
                breached_tickets=row[f"sla_{kind}.breached_tickets"],
                completed_tickets=row[f"sla_{kind}.completed_tickets"],
                breached_open_tickets=row[f"sla_{kind}.breached_open_tickets"],
            )
            for kind in SLA_KINDS
        }
        for family, (business, calendar, count) in FAMILIES.items():
            measured = minutes.get(key, {})
            getattr(figures, family)[key] = Times(
                tickets=row[count],
                business=measured.get(business, Durations()) if business else Durations(),
                calendar=measured.get(calendar, Durations()),
            )
    figures.flow.groups.setdefault((TOTAL, None), Flow())
    by_day = {value: row for (name, value), row in counts.items() if name == DAY}
    figures.weeks = _weeks(period, by_day)
    total = counts.get((TOTAL, None), {})
    measured = minutes.get((TOTAL, None), {}).get("first_reply_business", Durations())
    figures.response_bands = bands_of(bands, total.get("first_reply", 0) - measured.n)
    backlog = open_now - sum(row["day_delta"] for row in by_day.values())
    for number, day in enumerate(days, start=1):
        row = by_day.get(number, {})
        backlog += row.get("day_delta", 0)
        figures.flow.days.append(
            DayFlow(
                day=day,
                created=row.get("day_created", 0),
                resolved=row.get("day_resolved", 0),
                reopened=row.get("day_reopened", 0),
                backlog=int(backlog),
            )
        )
    return figures


def _weeks(period: Period, by_day: dict[int, dict]) -> list[Week]:
    """The SLA chart's weeks: each week's days summed (the day rows' *_week_tickets count
    a ticket once within its week)."""
    achievements: dict[tuple[str, int], dict[str, int]] = {}
    for day, number in enumerate(_day_weeks(period), start=1):
        row = by_day.get(day)
        if row is None:
            continue
        for kind in SLA_KINDS:
            fields = achievements.setdefault((kind, number), dict.fromkeys(WEEK_FIELDS, 0))
            for field_name, column in WEEK_FIELDS.items():
                fields[field_name] += row[f"sla_{kind}.{column}"]
    return weeks_of(period, achievements)
