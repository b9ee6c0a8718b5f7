"""The agent queue: its views, sorts and filters, one keyset page, capped counts, options.

The queue is keyset-paginated over one index per sort order (tickets.models, Ticket.Meta),
one small seek per department and status, merged: a page costs the same at the top of the
list and four thousand pages down. Counts are capped and cached. See
docs/decisions/0010-agent-queue.md.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from itertools import chain

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Agent, Department, Organization, User
from tickets import access
from tickets.models import (
    ACTIVE_STATUSES,
    NO_DEADLINE,
    HelpTopic,
    Status,
    Ticket,
    TicketFieldValue,
    TicketTag,
    at_risk_q,
    sla_state_q,
)
from tickets.selectors.fields import queue_choice_fields
from tickets.selectors.measures import TicketSet, ticket_set_q
from tickets.selectors.search import ticket_search_filter, ticket_search_finds_nothing
from tickets.selectors.tags import tag_list, tag_name_q, tag_q

PAGE_SIZE = 25
COUNT_CAP = 1000
COUNT_CACHE_SECONDS = 30


# Views, filters and sorts -------------------------------------------------------------


@dataclass(frozen=True)
class QueueView:
    key: str
    label: str
    statuses: tuple[str, ...]
    default_sort: str = "due"
    mine: bool = False
    unassigned: bool = False
    at_risk: bool = False


VIEWS: dict[str, QueueView] = {
    view.key: view
    for view in [
        QueueView("open", "Open", (Status.OPEN,)),
        QueueView("mine", "Mine", ACTIVE_STATUSES, mine=True),
        QueueView("unassigned", "Unassigned", (Status.OPEN,), unassigned=True),
        QueueView("at_risk", "Overdue and at risk", ACTIVE_STATUSES, at_risk=True),
        QueueView("pending", "Pending", (Status.PENDING,)),
        QueueView(
            "done", "Resolved and closed", (Status.RESOLVED, Status.CLOSED), default_sort="updated"
        ),
    ]
}
DEFAULT_VIEW = "open"
# Every ticket of the agent's departments, whatever its status: not a tab of the queue, but
# what the API lists (its status filter narrows it).
ALL_TICKETS = QueueView("all", "All tickets", tuple(Status.values), default_sort="updated")


@dataclass(frozen=True)
class Sort:
    key: str
    label: str
    # SQL for each key column over alias t, as the index spells it; the last is the id.
    columns: tuple[str, ...]
    descending: bool
    kinds: tuple[str, ...]  # how to read each cursor value back: "dt" or "int"


_DUE_SQL = "COALESCE(t.next_due_at, %(no_deadline)s)"
SORTS: dict[str, Sort] = {
    "due": Sort("due", "Next deadline", (_DUE_SQL, "t.id"), False, ("dt", "int")),
    "priority": Sort(
        "priority",
        "Priority",
        ("(t.priority * -1)", _DUE_SQL, "t.id"),
        False,
        ("int", "dt", "int"),
    ),
    "updated": Sort("updated", "Last update", ("t.updated_at", "t.id"), True, ("dt", "int")),
    "created": Sort("created", "Created", ("t.created_at", "t.id"), True, ("dt", "int")),
}
# Sorting by a choice field (`field:<id>`): by the position of the ticket's choice (then
# the choice's id, so that equal positions do not interleave), tickets without one last.
# A subquery per ticket of the list, over the unique (ticket, field, choice) index: fine
# for a filtered list, a scan of each branch for a whole queue (docs/decisions/0038).
FIELD_SORT_PREFIX = "field:"
_FIELD_SORT_SQL = (
    "COALESCE((SELECT MIN(c.position::bigint * 2147483648 + c.id) "
    "FROM tickets_ticketfieldvalue v JOIN tickets_fieldchoice c ON c.id = v.choice_id "
    "WHERE v.ticket_id = t.id AND v.field_id = {field_id}), 9223372036854775807)"
)


def field_sort(field_id: int, label: str = "") -> Sort:
    """The sort by a choice field's value (its id only ever an int in the SQL)."""
    column = _FIELD_SORT_SQL.format(field_id=int(field_id))
    return Sort(
        f"{FIELD_SORT_PREFIX}{int(field_id)}", label, (column, "t.id"), False, ("int", "int")
    )


def sort_of(key: str | None, default: str) -> Sort:
    """A sort by its key: one of SORTS, or `field:<id>` for a choice field."""
    if key and key.startswith(FIELD_SORT_PREFIX) and key[len(FIELD_SORT_PREFIX) :].isdigit():
        field_id = int(key[len(FIELD_SORT_PREFIX) :])
        if 0 < field_id < 2**31:
            return field_sort(field_id)
    return SORTS.get(key or default, SORTS[default])


@dataclass(frozen=True)
class QueueFilters:
    department: int | None = None
    status: str | None = None
    priority: int | None = None
    assignee: str | None = None  # an agent id, "none" (unassigned) or None (anyone)
    help_topic: int | str | None = None  # a topic id, "none" (no topic) or None (any)
    sla_state: str | None = None
    requester: int | None = None
    updated_since: datetime.datetime | None = None
    source: str | None = None  # the channel the ticket came in by
    # The tickets behind a report figure (tickets/selectors/measures.py): a dashboard
    # number links to the queue with its set, so both count the same tickets.
    ticket_set: TicketSet | None = None
    # A search (tickets.selectors.search.ticket_search_filter): narrows the list, keeps
    # its order.
    text: str | None = None
    # A choice of a custom field, as (field id, choice id): tickets that have it (one
    # seek into the field_value_choice index per ticket the list walks).
    field_choice: tuple[int, int] | None = None
    # The requesters' organization (decision 0039).
    organization: int | None = None
    # A tag: its id (the desk's filter) or its name in any case (the API's).
    tag: int | str | None = None

    def is_empty(self) -> bool:
        return self == QueueFilters()


@dataclass
class QueuePage:
    view: QueueView
    sort: Sort
    filters: QueueFilters
    tickets: list[Ticket]
    next_cursor: str | None
    prev_cursor: str | None
    count: int | None = None  # capped; None when not asked

    @property
    def count_capped(self) -> bool:
        return self.count is not None and self.count > COUNT_CAP


# Cursors ------------------------------------------------------------------------------


def _encode_cursor(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(token: str | None, sort: Sort) -> list | None:
    """The key values in a cursor, or None for anything malformed (page 1 then)."""
    if not token:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(sort.kinds):
            return None
        values = []
        for kind, value in zip(sort.kinds, raw, strict=True):
            if kind == "int":
                if not isinstance(value, int) or isinstance(value, bool):
                    return None
                values.append(value)
            else:
                parsed = datetime.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    return None
                values.append(parsed)
        return values
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


def _db_value(value):
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _from_db(value, kind: str):
    if kind == "dt" and not isinstance(value, datetime.datetime):
        # SQLite returns text from a raw query.
        parsed = datetime.datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return value


# Scope: which departments and statuses a list covers ------------------------------------


def _department_ids(user, wanted: int | None) -> list[int]:
    ids = access.agent_department_ids(user)
    if wanted is not None:
        ids = ids & {wanted}
    return sorted(ids)


def _statuses(view: QueueView, wanted: str | None) -> list[str]:
    if wanted is None:
        return list(view.statuses)
    return [s for s in view.statuses if s == wanted]


def _filter_q(*, user, view: QueueView, filters: QueueFilters) -> Q:
    """What a view and its filters ask of tickets, besides department and status."""
    now = timezone.now()
    q = Q()
    if view.mine:
        agent = access.agent_of(user)
        q &= Q(assignee_id=agent.pk if agent else -1)
    if view.unassigned:
        q &= Q(assignee__isnull=True)
    if view.at_risk:
        q &= at_risk_q(now)
    return q & _filters_q(filters, now)


def _none_or_id(field: str, value) -> Q:
    """A filter that takes an id or "none" (the field is empty)."""
    if value == "none":
        return Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}_id": int(value)})


def _filters_q(filters: QueueFilters, now) -> Q:
    q = Q()
    if filters.assignee is not None:
        q &= _none_or_id("assignee", filters.assignee)
    if filters.help_topic is not None:
        q &= _none_or_id("help_topic", filters.help_topic)
    if filters.priority is not None:
        q &= Q(priority=filters.priority)
    if filters.sla_state is not None:
        q &= sla_state_q(filters.sla_state, now)
    if filters.requester is not None:
        q &= Q(requester_id=filters.requester)
    if filters.updated_since is not None:
        q &= Q(updated_at__gte=filters.updated_since)
    if filters.source is not None:
        q &= Q(source=filters.source)
    if filters.ticket_set is not None:
        q &= ticket_set_q(filters.ticket_set, now=now)
    if filters.text is not None:
        # None (nothing to search for) never gets here: _matches_nothing answers first.
        q &= ticket_search_filter(filters.text) or Q()
    return q & _filters_by_relation_q(filters)


def _filters_by_relation_q(filters: QueueFilters) -> Q:
    """The filters that look at another table: a custom field's value, the requester's
    organization, a tag."""
    q = Q()
    if filters.field_choice is not None:
        q &= field_choice_q(*filters.field_choice)
    if filters.organization is not None:
        q &= organization_q(filters.organization)
    if filters.tag is not None:
        q &= tag_q(filters.tag) if isinstance(filters.tag, int) else tag_name_q(filters.tag)
    return q


def organization_q(organization_id: int) -> Q:
    """Tickets whose requester belongs to the organization. A subquery, not a join: the
    queue's keyset SQL reads the ticket table alone (its conditions are compiled over
    alias t), and the members' ids come from the user table's organization index."""
    return Q(requester_id__in=User.objects.filter(organization_id=organization_id).values("pk"))


def field_choice_q(field_id: int, choice_id: int) -> Q:
    """Tickets whose custom field `field_id` holds the choice `choice_id`."""
    return Q(
        Exists(
            TicketFieldValue.objects.filter(
                ticket_id=OuterRef("pk"), field_id=field_id, choice_id=choice_id
            )
        )
    )


def _matches_nothing(filters: QueueFilters) -> bool:
    """A search with nothing to look for (only punctuation): no ticket, and no query."""
    return filters.text is not None and ticket_search_finds_nothing(filters.text)


def _conditions(*, user, view: QueueView, filters: QueueFilters) -> tuple[list[str], list]:
    """The view's and filters' conditions as SQL over the raw queries' ticket alias `t`.

    Written as ORM filters (with the models' own SLA-state rules) and compiled, so the
    queue's hand-written keyset SQL and every other reader filter by the same definitions.
    """
    q = _filter_q(user=user, view=view, filters=filters)
    if not q:
        return [], []
    query = Ticket.objects.filter(q).query
    query.change_aliases({Ticket._meta.db_table: "t"})
    try:
        sql, params = query.where.as_sql(query.get_compiler(connection=connection), connection)
    except EmptyResultSet:  # e.g. a search whose words match no ticket: `id IN ()`
        return ["FALSE"], []
    except FullResultSet:
        return [], []
    return [sql], list(params)


def ticket_queue_q(*, user, view: QueueView, filters: QueueFilters) -> Q | None:
    """Every ticket a queue view with its filters lists (all its pages), as one filter on
    tickets; None when it lists nothing. For reads of the whole list, such as the reports'
    CSV of the tickets behind a number, which must be exactly the queue's tickets."""
    departments = _department_ids(user, filters.department)
    statuses = _statuses(view, filters.status)
    if not departments or not statuses or _matches_nothing(filters):
        return None
    scope = Q(department_id__in=departments, status__in=statuses)
    return scope & _filter_q(user=user, view=view, filters=filters)


# The queue -----------------------------------------------------------------------------


def ticket_list_for_agent(
    *,
    user,
    view: str | QueueView = DEFAULT_VIEW,
    filters: QueueFilters | None = None,
    sort: str | None = None,
    after: str | None = None,
    before: str | None = None,
    page_size: int = PAGE_SIZE,
    with_count: bool = True,
    with_tags: bool = False,
) -> QueuePage:
    """One page of a queue view for an agent: only tickets of the agent's departments.

    `after` and `before` are cursors from a previous page (next and previous links).
    Two queries: the page's ids by keyset, then the rows with what the columns show;
    `with_tags` (the desk's Tags column) a third, the page's tags, as each ticket's
    `queue_tags` (by name).
    """
    queue_view = view if isinstance(view, QueueView) else VIEWS.get(view, VIEWS[DEFAULT_VIEW])
    filters = filters or QueueFilters()
    order = sort_of(sort, queue_view.default_sort)
    backwards = before is not None and after is None
    cursor_values = _decode_cursor(before if backwards else after, order)

    rows, more = _page_rows(
        user=user,
        view=queue_view,
        filters=filters,
        order=order,
        cursor_values=cursor_values,
        backwards=backwards,
        page_size=page_size,
    )
    # Going back, "more" lies before the page, and a next page exists because we came
    # from it; going forwards, the other way round.
    came_from_cursor = cursor_values is not None
    has_next, has_prev = (came_from_cursor, more) if backwards else (more, came_from_cursor)
    page = QueuePage(
        view=queue_view,
        sort=order,
        filters=filters,
        tickets=_tickets_in_order([row[0] for row in rows], with_tags=with_tags),
        next_cursor=_cursor_of(rows[-1], order) if rows and has_next else None,
        prev_cursor=_cursor_of(rows[0], order) if rows and has_prev else None,
    )
    if with_count:
        page.count = queue_count(user=user, view=queue_view, filters=filters)
    return page


def _page_rows(
    *, user, view, filters, order, cursor_values, backwards, page_size
) -> tuple[list[tuple], bool]:
    """The page's (id, key values...) rows in display order, and whether more lie beyond."""
    departments = _department_ids(user, filters.department)
    statuses = _statuses(view, filters.status)
    if not departments or not statuses or _matches_nothing(filters):
        return [], False
    rows = _page_keys(
        view=view,
        filters=filters,
        user=user,
        order=order,
        departments=departments,
        statuses=statuses,
        cursor_values=cursor_values,
        backwards=backwards,
        limit=page_size + 1,
    )
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    return rows, more


def _tickets_in_order(ids: list[int], *, with_tags: bool = False) -> list[Ticket]:
    """The rows the queue's columns show, in the order of `ids`."""
    rows = Ticket.objects.select_related(
        "requester__organization",
        "requester__unit",
        "department",
        "assignee__user",
        "help_topic",
    )
    if with_tags:
        # One query for the whole page's tags, whatever the number of rows.
        rows = rows.prefetch_related(
            Prefetch(
                "ticket_tags",
                queryset=TicketTag.objects.select_related("tag").order_by(
                    Lower("tag__name"), "tag_id"
                ),
                to_attr="queue_tag_rows",
            )
        )
    by_id = rows.in_bulk(ids)
    tickets = [by_id[pk] for pk in ids if pk in by_id]
    if with_tags:
        for ticket in tickets:
            ticket.queue_tags = [row.tag for row in ticket.queue_tag_rows]
    return tickets


def _cursor_of(row: tuple, order: Sort) -> str:
    keys = [_from_db(v, k) for v, k in zip(row[1:], order.kinds, strict=True)]
    return _encode_cursor(keys)


def _page_keys(
    *, view, filters, user, order: Sort, departments, statuses, cursor_values, backwards, limit
) -> list[tuple]:
    """(id, key values...) of the next `limit` rows, merged from one seek per branch.

    Each (department, status) branch reads at most `limit` entries of its index range, so
    the cost is branches x limit index entries, whatever the depth of the page.
    """
    no_deadline = _db_value(NO_DEADLINE)
    columns = [c.replace("%(no_deadline)s", "%s") for c in order.columns]
    column_params = [[no_deadline] if "%(no_deadline)s" in c else [] for c in order.columns]
    descending = order.descending != backwards
    direction = "DESC" if descending else "ASC"
    compare = "<" if descending else ">"
    where, where_params = _conditions(user=user, view=view, filters=filters)
    select_sql = ", ".join(f"{c} AS k{i}" for i, c in enumerate(columns))
    select_params = list(chain.from_iterable(column_params))
    order_sql = ", ".join(f"{c} {direction}" for c in columns)
    seek_sql, seek_params = "", []
    if cursor_values is not None:
        seek_sql = f" AND ({', '.join(columns)}) {compare} ({', '.join(['%s'] * len(columns))})"
        seek_params = [*select_params, *(_db_value(v) for v in cursor_values)]

    branches, params = [], []
    for department_id in departments:
        for status in statuses:
            conditions = " AND ".join(["t.department_id = %s", "t.status = %s", *where])
            branches.append(
                f"SELECT * FROM (SELECT t.id, {select_sql} FROM tickets_ticket t "
                f"WHERE {conditions}{seek_sql} ORDER BY {order_sql} LIMIT %s) b"  # nosec B608 # fixed column expressions and placeholders, never input
            )
            params += [
                *select_params,
                department_id,
                status,
                *where_params,
                *seek_params,
                *select_params,
                limit,
            ]
    outer_order = ", ".join(f"k{i} {direction}" for i in range(len(columns)))
    sql = f"SELECT * FROM ({' UNION ALL '.join(branches)}) u ORDER BY {outer_order} LIMIT %s"  # nosec B608 # fixed column expressions and placeholders, never input
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [tuple(row) for row in cursor]


def _capped_count_sql(*, user, view: QueueView, filters: QueueFilters) -> tuple[str, list]:
    departments = _department_ids(user, filters.department)
    statuses = _statuses(view, filters.status)
    if not departments or not statuses or _matches_nothing(filters):
        return "SELECT 0", []
    where, params = _conditions(user=user, view=view, filters=filters)
    conditions = " AND ".join(
        [
            f"t.department_id IN ({', '.join(['%s'] * len(departments))})",
            f"t.status IN ({', '.join(['%s'] * len(statuses))})",
            *where,
        ]
    )
    sql = (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM tickets_ticket t WHERE {conditions} "
        f"LIMIT {COUNT_CAP + 1}) c"  # nosec B608 # fixed column expressions and placeholders, never input
    )
    return sql, [*departments, *statuses, *params]


def _generation(user) -> int:
    return cache.get(f"agent-queue-generation:{user.pk}", 0)


def queue_counts_forget(*, user) -> None:
    """Drop the user's cached counts: after their own change they must see it counted."""
    key = f"agent-queue-generation:{user.pk}"
    cache.set(key, _generation(user) + 1, None)


def _count_cache_key(user, view: str, filters: QueueFilters) -> str:
    digest = hashlib.sha256(repr((view, filters)).encode()).hexdigest()[:16]
    return f"agent-queue-count:{user.pk}:{_generation(user)}:{digest}"


def queue_count(*, user, view: str | QueueView, filters: QueueFilters | None = None) -> int:
    """How many tickets a view (with filters) holds, up to COUNT_CAP + 1 ("1000+").

    Counting stops at the cap, so a view of half a million tickets costs a thousand
    index entries, and the answer is cached for COUNT_CACHE_SECONDS.
    """
    filters = filters or QueueFilters()
    queue_view = view if isinstance(view, QueueView) else VIEWS[view]
    if filters.is_empty() and queue_view.key in VIEWS:
        return queue_view_counts(user=user)[queue_view.key]
    key = _count_cache_key(user, queue_view.key, filters)
    count = cache.get(key)
    if count is None:
        sql, params = _capped_count_sql(user=user, view=queue_view, filters=filters)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count = cursor.fetchone()[0]
        cache.set(key, count, COUNT_CACHE_SECONDS)
    return count


def queue_view_counts(*, user) -> dict[str, int]:
    """Capped counts of every view, for the sidebar: one query, cached."""
    key = f"agent-queue-view-counts:{user.pk}:{_generation(user)}"
    counts = cache.get(key)
    if counts is None:
        parts, params = [], []
        for view in VIEWS.values():
            sql, view_params = _capped_count_sql(user=user, view=view, filters=QueueFilters())
            parts.append(f"({sql})")
            params += view_params
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            counts = dict(zip(VIEWS, cursor.fetchone(), strict=True))
        cache.set(key, counts, COUNT_CACHE_SECONDS)
    return counts


@dataclass
class QueueOptions:
    """What the filter and bulk-action controls offer."""

    departments: list[Department]
    agents: list[Agent]
    help_topics: list[HelpTopic]
    transfer_departments: list[Department]
    can_assign: bool
    # Custom choice fields of the agent's topics, with `choice_list`: filter and sort.
    choice_fields: list = field(default_factory=list)
    # Every organization, for the filter (decision 0039).
    organizations: list[Organization] = field(default_factory=list)
    # Tags, by name: the tag filter's options.
    tags: list = field(default_factory=list)


def queue_options_for_agent(*, user) -> QueueOptions:
    ids = access.agent_department_ids(user)
    all_departments = list(Department.objects.order_by("name"))
    mine = [d for d in all_departments if d.pk in ids]
    mine_ids = [d.pk for d in mine]
    agents = list(
        Agent.objects.filter(is_active=True, memberships__department_id__in=mine_ids)
        .select_related("user")
        .distinct()
        .order_by("user__display_name", "user__email")
    )
    topics = list(HelpTopic.objects.filter(department_id__in=mine_ids).order_by("name"))
    managed = access.managed_department_ids(user)
    return QueueOptions(
        departments=mine,
        agents=agents,
        help_topics=topics,
        transfer_departments=[d for d in all_departments if d.is_active],
        can_assign=managed is None or bool(managed),
        choice_fields=queue_choice_fields(department_ids=mine_ids),
        organizations=list(Organization.objects.only("id", "name").order_by("name")),
        tags=tag_list(),
    )
