"""Every read the agent workspace makes: the queue, its counts, search and the ticket page.

The queue is keyset-paginated over one index per sort order (tickets.models, Ticket.Meta),
one small seek per department and status, merged: a page costs the same at the top of the
list and four thousand pages down. Counts are capped and cached. See
docs/decisions/0010-agent-queue.md and 0011-search.md.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from itertools import chain

from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import Agent, Department
from sla.models import SLAPlan
from tickets import access
from tickets.models import (
    NO_DEADLINE,
    Attachment,
    CannedResponse,
    EntryKind,
    HelpTopic,
    SLAClock,
    SLAState,
    Status,
    ThreadEntry,
    Ticket,
    TicketEvent,
)
from tickets.search import CONFIG, prefix_tsquery, search_words
from tickets.transitions import next_statuses

PAGE_SIZE = 25
COUNT_CAP = 1000
COUNT_CACHE_SECONDS = 30
SEARCH_CANDIDATES = 2000
SEARCH_PAGE_SIZE = 25


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
        QueueView("mine", "Mine", (Status.OPEN, Status.PENDING), mine=True),
        QueueView("unassigned", "Unassigned", (Status.OPEN,), unassigned=True),
        QueueView("at_risk", "Overdue and at risk", (Status.OPEN, Status.PENDING), at_risk=True),
        QueueView("pending", "Pending", (Status.PENDING,)),
        QueueView(
            "done", "Resolved and closed", (Status.RESOLVED, Status.CLOSED), default_sort="updated"
        ),
    ]
}
DEFAULT_VIEW = "open"


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


@dataclass(frozen=True)
class QueueFilters:
    department: int | None = None
    status: str | None = None
    priority: int | None = None
    assignee: str | None = None  # an agent id, "none" (unassigned) or None (anyone)
    help_topic: int | None = None
    sla_state: str | None = None

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


def _conditions(*, user, view: QueueView, filters: QueueFilters) -> tuple[list[str], list]:
    """WHERE conditions (besides department and status) for a view and its filters."""
    where: list[str] = []
    params: list = []
    if view.mine:
        agent = access.agent_of(user)
        where.append("t.assignee_id = %s")
        params.append(agent.pk if agent else -1)
    if view.unassigned:
        where.append("t.assignee_id IS NULL")
    now = _db_value(timezone.now())
    if view.at_risk:
        # At risk or overdue: the earliest warning time has passed (a clock's warning
        # never comes after its due time), a range on the ticket_queue_warn index.
        where.append("t.next_warn_at <= %s")
        params.append(now)
    if filters.priority is not None:
        where.append("t.priority = %s")
        params.append(filters.priority)
    if filters.assignee == "none":
        where.append("t.assignee_id IS NULL")
    elif filters.assignee is not None:
        where.append("t.assignee_id = %s")
        params.append(int(filters.assignee))
    if filters.help_topic is not None:
        where.append("t.help_topic_id = %s")
        params.append(filters.help_topic)
    if filters.sla_state is not None:
        # As Ticket.sla_state_at decides it, from the stored deadlines and the time now.
        sql, values = {
            SLAState.BREACHED: ("t.next_due_at <= %s", [now]),
            SLAState.WARNING: ("t.next_warn_at <= %s AND t.next_due_at > %s", [now, now]),
            SLAState.OK: (
                "t.next_due_at > %s AND (t.next_warn_at > %s OR t.next_warn_at IS NULL)",
                [now, now],
            ),
            SLAState.NONE: ("t.next_due_at IS NULL", []),
        }[filters.sla_state]
        where.append(sql)
        params.extend(values)
    return where, params


# The queue -----------------------------------------------------------------------------


def ticket_list_for_agent(
    *,
    user,
    view: str = DEFAULT_VIEW,
    filters: QueueFilters | None = None,
    sort: str | None = None,
    after: str | None = None,
    before: str | None = None,
    page_size: int = PAGE_SIZE,
    with_count: bool = True,
) -> QueuePage:
    """One page of a queue view for an agent: only tickets of the agent's departments.

    `after` and `before` are cursors from a previous page (next and previous links).
    Two queries: the page's ids by keyset, then the rows with what the columns show.
    """
    queue_view = VIEWS.get(view, VIEWS[DEFAULT_VIEW])
    filters = filters or QueueFilters()
    order = SORTS.get(sort or queue_view.default_sort, SORTS[queue_view.default_sort])
    backwards = before is not None and after is None
    cursor_values = _decode_cursor(before if backwards else after, order)

    departments = _department_ids(user, filters.department)
    statuses = _statuses(queue_view, filters.status)
    rows: list[tuple] = []
    if departments and statuses:
        rows = _page_keys(
            view=queue_view,
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
    ids = [row[0] for row in rows]
    by_id = Ticket.objects.select_related(
        "requester", "department", "assignee__user", "help_topic"
    ).in_bulk(ids)
    tickets = [by_id[pk] for pk in ids if pk in by_id]

    def cursor_of(row) -> str:
        keys = [_from_db(v, k) for v, k in zip(row[1:], order.kinds, strict=True)]
        return _encode_cursor(keys)

    if backwards:
        has_next, has_prev = cursor_values is not None, more
    else:
        has_next, has_prev = more, cursor_values is not None
    page = QueuePage(
        view=queue_view,
        sort=order,
        filters=filters,
        tickets=tickets,
        next_cursor=cursor_of(rows[-1]) if rows and has_next else None,
        prev_cursor=cursor_of(rows[0]) if rows and has_prev else None,
    )
    if with_count:
        page.count = queue_count(user=user, view=queue_view.key, filters=filters)
    return page


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
                f"WHERE {conditions}{seek_sql} ORDER BY {order_sql} LIMIT %s) b"
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
    sql = f"SELECT * FROM ({' UNION ALL '.join(branches)}) u ORDER BY {outer_order} LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [tuple(row) for row in cursor]


def _capped_count_sql(*, user, view: QueueView, filters: QueueFilters) -> tuple[str, list]:
    departments = _department_ids(user, filters.department)
    statuses = _statuses(view, filters.status)
    if not departments or not statuses:
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
        f"LIMIT {COUNT_CAP + 1}) c"
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


def queue_count(*, user, view: str, filters: QueueFilters | None = None) -> int:
    """How many tickets a view (with filters) holds, up to COUNT_CAP + 1 ("1000+").

    Counting stops at the cap, so a view of half a million tickets costs a thousand
    index entries, and the answer is cached for COUNT_CACHE_SECONDS.
    """
    filters = filters or QueueFilters()
    if filters.is_empty():
        return queue_view_counts(user=user)[view]
    key = _count_cache_key(user, view, filters)
    count = cache.get(key)
    if count is None:
        sql, params = _capped_count_sql(user=user, view=VIEWS[view], filters=filters)
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
    )


# Search --------------------------------------------------------------------------------


@dataclass
class SearchResult:
    ticket: Ticket
    reason: str  # "number", "email", "text" or "subject"


@dataclass
class SearchResults:
    query: str
    results: list[SearchResult]
    total: int  # of candidates, at most SEARCH_CANDIDATES (+ exact hits)
    capped: bool
    page: int
    has_next: bool


def _email_like(text: str) -> bool:
    return "@" in text and " " not in text.strip()


def ticket_search_for_agent(*, user, query: str, page: int = 1) -> SearchResults:
    """Tickets of the agent's departments matching `query`, best first.

    An exact ticket number ("1042" or "#1042") comes first, then tickets of a requester
    whose email is the query, then full-text matches over subject and thread ranked by
    ts_rank (subject words weigh more), with each word matched as a prefix so "flick"
    finds "flickering"; substrings of the subject ("board" in "keyboard") come last, by
    trigram similarity. On SQLite only numbers, emails and subject substrings are searched.
    """
    text = (query or "").strip()[:200]
    departments = _department_ids(user, None)
    empty = SearchResults(text, [], 0, False, page, False)
    if not text or not departments:
        return empty

    ranked: dict[int, tuple[float, str]] = {}

    def add(ticket_id: int, score: float, reason: str) -> None:
        if ticket_id not in ranked or ranked[ticket_id][0] < score:
            ranked[ticket_id] = (score, reason)

    visible = Ticket.objects.filter(department_id__in=departments)
    number = text.lstrip("#")
    if number.isdigit() and len(number) <= 18:
        for pk in visible.filter(number=int(number)).values_list("id", flat=True):
            add(pk, 1000.0, "number")
    if _email_like(text):
        email_hits = visible.filter(requester__email__iexact=text).order_by("-created_at")
        for position, pk in enumerate(email_hits.values_list("id", flat=True)[:SEARCH_CANDIDATES]):
            add(pk, 500.0 - position / 10_000, "email")

    capped = False
    words = search_words(text)
    if words and connection.vendor == "postgresql":
        placeholders = ", ".join(["%s"] * len(departments))
        with connection.cursor() as cursor:
            # Candidates are capped before ranking: a word in half the tickets would
            # otherwise rank them all. See docs/decisions/0011.
            cursor.execute(
                f"""
                WITH q AS (SELECT to_tsquery(%s, %s) AS q)
                SELECT c.ticket_id, ts_rank(c.document, q.q) AS rank
                FROM q, (
                    SELECT d.ticket_id, d.document
                    FROM tickets_ticketsearchdocument d
                    JOIN tickets_ticket t ON t.id = d.ticket_id, q
                    WHERE d.document @@ q.q AND t.department_id IN ({placeholders})
                    LIMIT %s
                ) c
                """,
                [CONFIG, prefix_tsquery(words), *departments, SEARCH_CANDIDATES + 1],
            )
            rows = cursor.fetchall()
            capped = len(rows) > SEARCH_CANDIDATES
            for pk, rank in rows[:SEARCH_CANDIDATES]:
                add(pk, 10.0 + rank, "text")
            # Substrings only when the words were not already plentiful: a search that
            # filled its candidates has nothing to gain from them, and they cost a scan.
            if len(text) >= 3 and not capped:
                cursor.execute(
                    f"""
                    SELECT t.id, similarity(t.subject, %s)
                    FROM tickets_ticket t
                    WHERE t.subject ILIKE %s AND t.department_id IN ({placeholders})
                    LIMIT %s
                    """,
                    [text, f"%{_escape_like(text)}%", *departments, SEARCH_CANDIDATES],
                )
                for pk, similarity in cursor.fetchall():
                    add(pk, 5.0 + similarity, "subject")
    elif words:
        hits = visible.filter(subject__icontains=text).order_by("-updated_at")
        for position, pk in enumerate(hits.values_list("id", flat=True)[:SEARCH_CANDIDATES]):
            add(pk, 5.0 - position / 10_000, "subject")

    order = sorted(ranked.items(), key=lambda item: (-item[1][0], -item[0]))
    page = max(1, page)
    start = (page - 1) * SEARCH_PAGE_SIZE
    window = order[start : start + SEARCH_PAGE_SIZE]
    by_id = Ticket.objects.select_related(
        "requester", "department", "assignee__user", "help_topic"
    ).in_bulk([pk for pk, _ in window])
    results = [
        SearchResult(ticket=by_id[pk], reason=reason)
        for pk, (_score, reason) in window
        if pk in by_id
    ]
    return SearchResults(
        query=text,
        results=results,
        total=len(order),
        capped=capped,
        page=page,
        has_next=start + SEARCH_PAGE_SIZE < len(order),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The ticket page ----------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime.datetime
    entry: ThreadEntry | None = None
    event: TicketEvent | None = None


@dataclass
class TicketPage:
    ticket: Ticket
    timeline: list[TimelineItem]
    clocks: list[SLAClock]
    last_entry_id: int
    canned_responses: list[CannedResponse]
    other_tickets: list[Ticket]
    next_statuses: list[str]
    can_manage: bool
    assignable_agents: list[Agent] = field(default_factory=list)
    transfer_departments: list[Department] = field(default_factory=list)
    plans: list[SLAPlan] = field(default_factory=list)
    is_assignee: bool = False


OTHER_TICKETS_SHOWN = 10


def ticket_page_for_agent(*, user, number) -> TicketPage:
    """Everything the agent's ticket page shows, in a fixed number of queries.

    Raises Http404 for a ticket the user may not work, exactly as for a missing one.
    """
    ticket = access.ticket_get_for_agent(user=user, number=number)
    entries = list(
        ThreadEntry.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )
    events = list(
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(kind=TicketEvent.Kind.CREATED)  # the first message says it already
        .select_related("actor")
        .order_by("created_at", "id")
    )
    timeline = sorted(
        chain(
            (TimelineItem(at=e.created_at, entry=e) for e in entries),
            (TimelineItem(at=e.created_at, event=e) for e in events),
        ),
        key=lambda item: (item.at, 0 if item.entry else 1),
    )
    clocks = list(
        SLAClock.objects.filter(ticket=ticket, stopped_at__isnull=True).order_by("kind", "id")
    )
    canned = list(
        CannedResponse.objects.filter(is_active=True)
        .filter(Q(department__isnull=True) | Q(department_id=ticket.department_id))
        .order_by("title")
    )
    other_tickets = list(
        Ticket.objects.filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .filter(department_id__in=_department_ids(user, None))
        .select_related("department")
        .order_by("-created_at")[:OTHER_TICKETS_SHOWN]
    )
    can_manage = access.can_manage_department(user, ticket.department_id)
    agent = access.agent_of(user)
    page = TicketPage(
        ticket=ticket,
        timeline=timeline,
        clocks=clocks,
        last_entry_id=max((e.pk for e in entries), default=0),
        canned_responses=canned,
        other_tickets=other_tickets,
        next_statuses=next_statuses(ticket.status),
        can_manage=can_manage,
        is_assignee=agent is not None and ticket.assignee_id == agent.pk,
    )
    if ticket.status != Status.CLOSED:
        if can_manage:
            page.assignable_agents = list(
                access.assignable_agents(ticket.department).order_by(
                    "user__display_name", "user__email"
                )
            )
        page.transfer_departments = list(
            Department.objects.filter(is_active=True)
            .exclude(pk=ticket.department_id)
            .order_by("name")
        )
        page.plans = list(SLAPlan.objects.filter(is_active=True).order_by("name"))
    return page


def new_messages_since(*, ticket: Ticket, entry_id: int) -> int:
    """How many requester messages arrived after `entry_id` (for the collision warning)."""
    return ThreadEntry.objects.filter(
        ticket=ticket, kind=EntryKind.MESSAGE, pk__gt=entry_id
    ).count()
