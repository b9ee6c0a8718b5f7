"""Counts, medians and p90s of report rows, for the totals and every breakdown at once.

A figure is a queryset of rows (`.values()` with the r_* columns below) and the aggregates
wanted of them. On PostgreSQL it runs as one statement: the rows as a subquery, grouped by
GROUPING SETS (the total, each breakdown, each day), medians and p90s with
`percentile_cont` (the continuous percentile, interpolating between the two middle
values). Elsewhere (SQLite, the embedded mode) the same rows are fetched and aggregated in
Python with the same definitions, which is fine at the embedded mode's size.
"""

from __future__ import annotations

import bisect
import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, FloatField, Func, QuerySet

# The columns every row carries to be broken down by (the ticket's, as it is now).
DIMENSIONS = {
    "department": "r_department",
    "help_topic": "r_help_topic",
    "priority": "r_priority",
    "agent": "r_agent",
}
TICKET = "r_ticket"
BUCKET = "r_bucket"
TOTAL = "total"


def ticket_columns(prefix: str = "") -> dict[str, F]:
    """The ticket id and breakdown columns of rows that are (or belong to) tickets."""
    return {
        TICKET: F(f"{prefix}id" if prefix else "id"),
        "r_department": F(f"{prefix}department_id"),
        "r_help_topic": F(f"{prefix}help_topic_id"),
        "r_priority": F(f"{prefix}priority"),
        "r_agent": F(f"{prefix}assignee_id"),
    }


def breakdown_groups(*keys: str) -> dict[str, tuple[str, ...]]:
    """The total and one group per breakdown, each also by `keys` (a clock kind, say)."""
    return {TOTAL: keys, **{name: (*keys, column) for name, column in DIMENSIONS.items()}}


class MinutesBetween(Func):
    """Calendar minutes from the first expression to the second, as a float."""

    output_field = FloatField()
    arg_joiner = " - "

    def as_postgresql(self, compiler, connection, **extra):
        start, end = self.get_source_expressions()
        sql, params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        return (
            f"(EXTRACT(EPOCH FROM ({sql} - {start_sql})) / 60.0)::double precision",
            [*params, *start_params],
        )

    def as_sqlite(self, compiler, connection, **extra):
        start, end = self.get_source_expressions()
        sql, params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        return f"((julianday({sql}) - julianday({start_sql})) * 1440.0)", [
            *params,
            *start_params,
        ]


@dataclass(frozen=True)
class Agg:
    """One aggregate: `op` over `column`, of the rows where boolean column `when` is true.

    ops: "count" (rows), "tickets" (distinct r_ticket), "values" (rows where `column` is
    not null), "sum", "mean", "median", "p90" (of `column`, nulls left out).
    """

    op: str
    column: str | None = None
    when: str | None = None


PERCENTILES = {"median": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Buckets:
    """Rows numbered by which [bounds[i-1], bounds[i]) holds their `column` (0: before the
    first bound, len(bounds): at or after the last), as PostgreSQL's width_bucket does."""

    column: str
    bounds: list[datetime.datetime]

    def of(self, value) -> int:
        return bisect.bisect_right(self.bounds, value)


Result = dict[str, dict[tuple, dict[str, float | int | None]]]


def aggregate(
    rows: QuerySet,
    aggs: dict[str, Agg],
    *,
    groups: dict[str, tuple[str, ...]],
    buckets: Buckets | None = None,
) -> Result:
    """{group name: {group values: {agg name: value}}} over `rows`.

    Groups with no rows are absent; a count of nothing is 0 and a median of nothing None
    in the groups that are present.
    """
    rows = rows.order_by()
    if connection.vendor == "postgresql":
        return _aggregate_sql(rows, aggs, groups, buckets)
    return _aggregate_python(rows, aggs, groups, buckets)


# PostgreSQL ------------------------------------------------------------------------------


def _agg_sql(agg: Agg) -> str:
    when = f" FILTER (WHERE r.{agg.when})" if agg.when else ""
    if agg.op == "count":
        return f"COUNT(*){when}"
    if agg.op == "tickets":
        return f"COUNT(DISTINCT r.{TICKET}){when}"
    if agg.op == "values":
        return f"COUNT(r.{agg.column}){when}"
    if agg.op == "sum":
        return f"COALESCE(SUM(r.{agg.column}){when}, 0)"
    value = f"r.{agg.column}::double precision"
    if agg.op == "mean":
        return f"AVG({value}){when}"
    fraction = PERCENTILES[agg.op]
    return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {value}){when}"


def _aggregate_sql(rows, aggs, groups, buckets) -> Result:
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a filter that nothing can match (no departments)
        return _aggregate_python(rows.none(), aggs, groups, buckets)
    columns = sorted({c for cols in groups.values() for c in cols})
    source, source_params = f"({inner})", list(params)
    if buckets is not None:
        bucket = f"width_bucket(i.{buckets.column}, %s::timestamptz[]) AS {BUCKET}"
        source = f"(SELECT i.*, {bucket} FROM {source} i)"  # noqa: S608 # nosec B608 # column names from this module, compiled ORM SQL
        source_params = [list(buckets.bounds), *source_params]
    masks = {
        sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in cols): name
        for name, cols in groups.items()
    }
    grouping = f"GROUPING({', '.join(columns)})" if columns else "0"
    selected = ", ".join([grouping, *(f"r.{c}" for c in columns), *map(_agg_sql, aggs.values())])
    sets = ", ".join(f"({', '.join(cols)})" for cols in groups.values())
    # Column names from this module and compiled ORM SQL; every value is a placeholder.
    sql = f"SELECT {selected} FROM {source} r GROUP BY GROUPING SETS ({sets})"  # noqa: S608 # nosec B608
    result: Result = {name: {} for name in groups}
    with connection.cursor() as cursor:
        cursor.execute(sql, source_params)
        for row in cursor.fetchall():
            name = masks[row[0]]
            by_column = dict(zip(columns, row[1 : 1 + len(columns)], strict=True))
            key = tuple(by_column[c] for c in groups[name])
            values = row[1 + len(columns) :]
            result[name][key] = {
                agg: _number(value) for agg, value in zip(aggs, values, strict=True)
            }
    return result


def _number(value):
    # AVG and SUM of integers come back as Decimal.
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


# Anywhere else ---------------------------------------------------------------------------


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: the value at `fraction` of the sorted values,
    interpolated linearly between the two nearest."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _agg_python(agg: Agg, rows: list[dict]):
    if agg.when:
        rows = [r for r in rows if r[agg.when]]
    if agg.op == "count":
        return len(rows)
    if agg.op == "tickets":
        return len({r[TICKET] for r in rows})
    values = [r[agg.column] for r in rows if r[agg.column] is not None]
    if agg.op == "values":
        return len(values)
    if agg.op == "sum":
        return sum(values)
    if agg.op == "mean":
        return sum(values) / len(values) if values else None
    return percentile_cont(values, PERCENTILES[agg.op])


def _aggregate_python(rows, aggs, groups, buckets) -> Result:
    fetched = list(rows)
    if buckets is not None:
        for row in fetched:
            row[BUCKET] = buckets.of(row[buckets.column])
    result: Result = {}
    for name, cols in groups.items():
        grouped: dict[tuple, list[dict]] = defaultdict(list)
        for row in fetched:
            grouped[tuple(row[c] for c in cols)].append(row)
        if not cols and not grouped:
            grouped[()] = []  # the total is there even over no rows, as in SQL
        result[name] = {
            key: {agg_name: _agg_python(agg, members) for agg_name, agg in aggs.items()}
            for key, members in grouped.items()
        }
    return result
