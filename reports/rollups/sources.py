"""What each hour adds to the figures, as SQL: the rows of tickets, status events, first
replies and completed SLA clocks whose time falls in some ranges, each with the ticket's
breakdown columns as they are now, grouped by a bucket (the hour, when filling; the day of
a period, when the dashboard computes unfilled hours live).

The definitions are tickets/selectors/measures.py's, written here as the set-at-a-time SQL a
fill needs (each source found by an index on its time column); the property tests compare
the figures read from rollups with those of the live figures and of tests/reports/slow.py.
"""

# ruff: noqa: S608  (SQL built from this package's constants; every value is a parameter)
from __future__ import annotations

import datetime
from dataclasses import dataclass

from reports.models import SLA_KINDS, SLA_OUTCOMES
from tickets.models import EventKind
from tickets.selectors.measures import ACTIVE, FINISHED

DIMENSIONS = ("department_id", "help_topic_id", "priority", "agent_id", "channel")
COUNTS = (
    "created",
    "backlog_delta",
    "resolved",
    "reopened_after",
    "reopened",
    "first_reply",
    "latest_resolution",
    "first_resolution",
    *(f"sla_{kind}_{outcome}" for kind in SLA_KINDS for outcome in SLA_OUTCOMES),
)
# Distinct-ticket counts: the count's column -> its column of earlier times.
PREVS = {
    name: f"{name}_prev"
    for name in (
        "resolved",
        "reopened_after",
        "reopened",
        *(f"sla_{kind}_{outcome}" for kind in SLA_KINDS for outcome in SLA_OUTCOMES),
    )
}
MINUTES = (
    "first_reply_business",
    "first_reply_calendar",
    "latest_resolution_business",
    "latest_resolution_calendar",
    "first_resolution_calendar",
)
ARRAY_TYPES = {
    **dict.fromkeys(PREVS.values(), "timestamptz"),
    **dict.fromkeys(MINUTES, "double precision"),
}
COLUMNS = (*DIMENSIONS, *COUNTS, *ARRAY_TYPES)

Range = tuple[datetime.datetime, datetime.datetime]


def _quoted(values) -> str:
    # Fixed vocabulary (status values), never user input.
    return ", ".join(f"'{value}'" for value in values)


IS_ACTIVE = f"tk.status IN ({_quoted(ACTIVE)})"
IS_FINISHED = f"tk.status IN ({_quoted(FINISHED)})"
STATUS_KINDS = _quoted([EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.REOPENED])


def _is_resolution(alias: str) -> str:
    return (
        f"({alias}.kind = '{EventKind.STATUS_CHANGED}'"
        f" AND {alias}.data -> 'from' ->> 'id' IN ({_quoted(ACTIVE)})"
        f" AND {alias}.data -> 'to' ->> 'id' IN ({_quoted(FINISHED)}))"
    )


def _before(alias: str, outer: str) -> str:
    """Row `alias` comes before row `outer` in (time, id) order."""
    return f"({alias}.created_at, {alias}.id) < ({outer}.created_at, {outer}.id)"


def _minutes(start: str, end: str) -> str:
    # As reports.figures.grouping.MinutesBetween, to the bit.
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)::double precision"


def _met_clock_minutes(kind: str) -> str:
    return (
        "(SELECT mc.business_minutes_taken FROM tickets_slaclock mc"  # nosec B608
        f" WHERE mc.ticket_id = tk.id AND mc.kind = '{kind}' AND mc.met_at IS NOT NULL"
        " ORDER BY mc.met_at DESC LIMIT 1)"
    )


@dataclass(frozen=True)
class Where:
    """`column` within any of the ranges, as SQL with its parameters; and `scope`, a
    condition on the ticket `tk` (the dashboard's viewer and filters) with its parameters."""

    ranges: tuple[Range, ...]
    scope: tuple[str, tuple] = ("true", ())

    def of(self, column: str) -> tuple[str, list]:
        if not self.ranges:
            return "false", []
        sql = " OR ".join(f"({column} >= %s AND {column} < %s)" for _ in self.ranges)
        return f"({sql})", [moment for pair in self.ranges for moment in pair]


def _select(t: str, columns: dict[str, str], rest: str) -> str:
    """One source's SELECT with every column (0 or NULL where it has nothing to say)."""
    parts = [f"{t} AS t", "tk.id AS ticket"]
    parts += [
        "tk.department_id",
        "tk.help_topic_id",
        "tk.priority",
        "tk.assignee_id AS agent_id",
        "tk.source AS channel",
    ]
    for name in COUNTS:
        parts.append(f"{columns.get(name, '0')} AS {name}")
    for name, kind in ARRAY_TYPES.items():
        parts.append(f"{columns.get(name, f'NULL::{kind}')} AS {name}")
    return f"SELECT {', '.join(parts)} {rest}"  # nosec B608


def _ticket_of(alias: str) -> str:
    """The row's ticket, looked up by its primary key for each row (OFFSET 0 keeps the
    planner from turning it into a join that reads every ticket)."""
    return (
        "CROSS JOIN LATERAL (SELECT * FROM tickets_ticket t1"  # nosec B608
        f" WHERE t1.id = {alias}.ticket_id OFFSET 0) tk"
    )


def _created(where: Where):
    cond, params = where.of("tk.created_at")
    scope, scope_params = where.scope
    rest = f"FROM tickets_ticket tk WHERE {cond} AND {scope}"
    return _select("tk.created_at", {"created": "1"}, rest), [*params, *scope_params]


def _status_events(where: Where):
    cond, params = where.of("e.created_at")
    resolution = _is_resolution("e")
    reopened = f"e.kind = '{EventKind.REOPENED}'"
    entering = (
        f"e.data -> 'to' ->> 'id' IN ({_quoted(ACTIVE)}) AND (e.kind = '{EventKind.CREATED}'"
        f" OR e.data -> 'from' ->> 'id' IN ({_quoted(FINISHED)}))"
    )
    leaving = (
        f"e.data -> 'from' ->> 'id' IN ({_quoted(ACTIVE)})"
        f" AND e.data -> 'to' ->> 'id' IN ({_quoted(FINISHED)})"
    )
    later_reopen = (
        "EXISTS (SELECT 1 FROM tickets_ticketevent lr WHERE lr.ticket_id = e.ticket_id"  # nosec B608
        f" AND lr.kind = '{EventKind.REOPENED}' AND {_before('e', 'lr')})"
    )
    earlier_resolution = (
        "(SELECT max(pr.created_at) FROM tickets_ticketevent pr WHERE pr.ticket_id = e.ticket_id"  # nosec B608
        f" AND {_is_resolution('pr')} AND {_before('pr', 'e')})"
    )
    later_resolution = (
        "EXISTS (SELECT 1 FROM tickets_ticketevent nr WHERE nr.ticket_id = e.ticket_id"  # nosec B608
        f" AND {_is_resolution('nr')} AND {_before('e', 'nr')})"
    )
    earlier_reopen = (
        "(SELECT max(po.created_at) FROM tickets_ticketevent po WHERE po.ticket_id = e.ticket_id"  # nosec B608
        f" AND po.kind = '{EventKind.REOPENED}' AND {_before('po', 'e')})"
    )
    calendar = _minutes("tk.created_at", "e.created_at")
    is_latest = f"{resolution} AND {IS_FINISHED} AND NOT {later_resolution}"
    columns = {
        "backlog_delta": f"CASE WHEN {entering} THEN 1 WHEN {leaving} THEN -1 ELSE 0 END",
        "resolved": f"CASE WHEN {resolution} THEN 1 ELSE 0 END",
        "resolved_prev": f"CASE WHEN {resolution} THEN {earlier_resolution} END",
        "reopened_after": f"CASE WHEN {resolution} AND {later_reopen} THEN 1 ELSE 0 END",
        "reopened_after_prev": (
            f"CASE WHEN {resolution} AND {later_reopen} THEN {earlier_resolution} END"
        ),
        "reopened": f"CASE WHEN {reopened} THEN 1 ELSE 0 END",
        "reopened_prev": f"CASE WHEN {reopened} THEN {earlier_reopen} END",
        "first_resolution": (
            f"CASE WHEN {resolution} AND {earlier_resolution} IS NULL THEN 1 ELSE 0 END"
        ),
        "first_resolution_calendar": (
            f"CASE WHEN {resolution} AND {earlier_resolution} IS NULL THEN {calendar} END"
        ),
        "latest_resolution": f"CASE WHEN {is_latest} THEN 1 ELSE 0 END",
        "latest_resolution_calendar": f"CASE WHEN {is_latest} THEN {calendar} END",
        "latest_resolution_business": (
            f"CASE WHEN {is_latest} THEN {_met_clock_minutes('resolution')} END"
        ),
    }
    scope, scope_params = where.scope
    rest = (
        f"FROM tickets_ticketevent e {_ticket_of('e')}"
        f" WHERE e.kind IN ({STATUS_KINDS}) AND {cond} AND {scope}"
    )
    return _select("e.created_at", columns, rest), [*params, *scope_params]


def _first_replies(where: Where):
    cond, params = where.of("r.created_at")
    earlier = (
        "EXISTS (SELECT 1 FROM tickets_threadentry er WHERE er.ticket_id = r.ticket_id"  # nosec B608
        f" AND er.kind = 'reply' AND {_before('er', 'r')})"
    )
    columns = {
        "first_reply": "1",
        "first_reply_calendar": _minutes("tk.created_at", "r.created_at"),
        "first_reply_business": _met_clock_minutes("first_response"),
    }
    scope, scope_params = where.scope
    rest = (
        f"FROM tickets_threadentry r {_ticket_of('r')}"
        f" WHERE r.kind = 'reply' AND {cond} AND NOT {earlier} AND {scope}"
    )
    return _select("r.created_at", columns, rest), [*params, *scope_params]


BREACHED = (
    "(c.breached_at IS NOT NULL OR (c.met_at IS NOT NULL"
    " AND c.business_minutes_taken > c.target_minutes))"
)
ACHIEVED = (
    "(c.breached_at IS NULL AND c.met_at IS NOT NULL"
    " AND c.business_minutes_taken <= c.target_minutes)"
)


def _counted_clocks() -> str:
    """Counted clocks (not replaced by a plan change) with an outcome: c.outcome, c.done."""
    return (
        "SELECT c.id, c.ticket_id, c.kind, COALESCE(c.breached_at, c.met_at) AS done,"  # nosec B608
        f" CASE WHEN {BREACHED} THEN 'breached' WHEN {ACHIEVED} THEN 'achieved' END AS outcome"
        " FROM tickets_slaclock c WHERE NOT EXISTS (SELECT 1 FROM tickets_slaclock rc"
        " WHERE rc.ticket_id = c.ticket_id AND rc.kind = c.kind AND rc.started_at = c.started_at"
        f" AND rc.id > c.id) AND c.merged_at IS NULL AND ({BREACHED} OR {ACHIEVED})"
    )


def _clocks(where: Where):
    # The time of completion, through the indexes on breached_at and on met_at.
    breached_cond, breached_params = where.of("c.breached_at")
    met_cond, met_params = where.of("c.met_at")
    earlier = (
        f"SELECT max(p.done) FILTER (WHERE true) AS completed,"  # nosec B608
        " max(p.done) FILTER (WHERE p.outcome = 'achieved') AS achieved,"
        " max(p.done) FILTER (WHERE p.outcome = 'breached') AS breached"
        f" FROM ({_counted_clocks()} AND c.ticket_id = k.ticket_id AND c.kind = k.kind) p"
        " WHERE (p.done, p.id) < (k.done, k.id)"
    )
    columns = {}
    for kind in SLA_KINDS:
        is_kind = f"k.kind = '{kind}'"
        flags = {
            "achieved": "k.outcome = 'achieved'",
            "breached": "k.outcome = 'breached'",
            "completed": "true",
            "breached_open": f"k.outcome = 'breached' AND {IS_ACTIVE}",
        }
        previous = {
            "achieved": "p.achieved",
            "breached": "p.breached",
            "completed": "p.completed",
            "breached_open": "p.breached",
        }
        for outcome, flag in flags.items():
            name = f"sla_{kind}_{outcome}"
            columns[name] = f"CASE WHEN {is_kind} AND {flag} THEN 1 ELSE 0 END"
            columns[f"{name}_prev"] = (
                f"CASE WHEN {is_kind} AND {flag} THEN {previous[outcome]} END"
            )
    rest = (
        f"FROM ({_counted_clocks()} AND ({breached_cond}"
        f" OR (c.breached_at IS NULL AND {met_cond}))) k"
        f" {_ticket_of('k')}"
        f" LEFT JOIN LATERAL ({earlier}) p ON true WHERE {where.scope[0]}"
    )
    params = [*breached_params, *met_params, *where.scope[1]]
    return _select("k.done", columns, rest), params


def source_rows(where: Where) -> tuple[str, list]:
    """Every row with a time in the ranges: (t, ticket, the dimensions, the columns)."""
    parts = [_created(where), _status_events(where), _first_replies(where), _clocks(where)]
    sql = " UNION ALL ".join(f"({part})" for part, _ in parts)
    return sql, [param for _, params in parts for param in params]


def grouped(source: str, bucket: str) -> str:
    """The source rows summed per bucket and dimensions, as ReportHour's columns."""
    parts = [f"{bucket} AS bucket", *(f"s.{d}" for d in DIMENSIONS)]
    parts += [f"SUM(s.{name})::integer AS {name}" for name in COUNTS]
    parts += [
        f"COALESCE(array_agg(s.{name}) FILTER (WHERE s.{name} IS NOT NULL), '{{}}'::{kind}[])"
        f" AS {name}"
        for name, kind in ARRAY_TYPES.items()
    ]
    dims = ", ".join(f"s.{d}" for d in DIMENSIONS)
    return f"SELECT {', '.join(parts)} FROM ({source}) s GROUP BY 1, {dims}"  # nosec B608
