"""Search in the agent workspace: ticket numbers, requesters' emails, words, subject parts.

See docs/decisions/0011-search.md for why candidates are capped before ranking.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from accounts.models import User
from tickets import access
from tickets.models import Ticket, TicketSearchDocument, TicketTag
from tickets.search_index import CONFIG, prefix_tsquery, search_words

SEARCH_CANDIDATES = 2000
SEARCH_PAGE_SIZE = 25
SEARCH_QUERY_MAX_LENGTH = 200
# Part of a subject is searched from this many characters: shorter, it is in everything.
SUBSTRING_MIN_LENGTH = 3
# ticket_search_filter: up to this many full-text matches are passed to the list as ids;
# more, and each ticket the list walks checks its own document (see the function).
FILTER_ID_LIMIT = 5000


@dataclass
class SearchResult:
    ticket: Ticket
    reason: str  # "number", "email", "text", "subject" or "tag" (SQLite)


@dataclass
class SearchResults:
    query: str
    results: list[SearchResult]
    total: int  # of candidates, at most SEARCH_CANDIDATES (+ exact hits)
    capped: bool
    page: int
    has_next: bool


class _Ranking:
    """Candidates with their best score and the reason they matched."""

    def __init__(self):
        self.scores: dict[int, tuple[float, str]] = {}
        self.capped = False

    def add(self, ticket_id: int, score: float, reason: str) -> None:
        if ticket_id not in self.scores or self.scores[ticket_id][0] < score:
            self.scores[ticket_id] = (score, reason)

    def best_first(self) -> list[tuple[int, tuple[float, str]]]:
        return sorted(self.scores.items(), key=lambda item: (-item[1][0], -item[0]))


def ticket_search_for_agent(*, user, query: str, page: int = 1) -> SearchResults:
    """Tickets of the agent's departments matching `query`, best first.

    An exact ticket number ("1042" or "#1042") comes first, then tickets of a requester
    whose email is the query, then full-text matches over subject and thread ranked by
    ts_rank (subject words weigh more), with each word matched as a prefix so "flick"
    finds "flickering"; substrings of the subject ("board" in "keyboard") come last, by
    trigram similarity. On SQLite only numbers, emails, subject substrings and tag names
    (containing the text) are searched.
    """
    text = _cleaned(query)
    departments = sorted(access.agent_department_ids(user))
    page = max(1, page)
    if not text or not departments:
        return SearchResults(text, [], 0, False, page, False)

    ranking = _Ranking()
    visible = Ticket.objects.filter(department_id__in=departments)
    _rank_exact(ranking, visible, text)
    words = search_words(text)
    if words and connection.vendor == "postgresql":
        _rank_words(ranking, text, words, departments)
    elif words:
        hits = visible.filter(subject__icontains=text).order_by("-updated_at")
        for position, pk in enumerate(hits.values_list("id", flat=True)[:SEARCH_CANDIDATES]):
            ranking.add(pk, 5.0 - position / 10_000, "subject")
        tagged = visible.filter(_tag_contains_q(text)).order_by("-updated_at")
        for position, pk in enumerate(tagged.values_list("id", flat=True)[:SEARCH_CANDIDATES]):
            ranking.add(pk, 4.0 - position / 10_000, "tag")
    return _results_page(ranking, text, page)


def _tag_contains_q(text: str) -> Q:
    """Tickets with a tag whose name contains `text`, in any case: on SQLite, which has no
    search documents, what stands in for the tags' words in them (weight D)."""
    return Q(Exists(TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag__name__icontains=text)))


def _email_like(text: str) -> bool:
    return "@" in text and " " not in text.strip()


def _rank_exact(ranking: _Ranking, visible: QuerySet[Ticket], text: str) -> None:
    """A ticket number, and a requester's email address."""
    number = _ticket_number(text)
    if number is not None:
        for pk in visible.filter(number=number).values_list("id", flat=True):
            ranking.add(pk, 1000.0, "number")
    if _email_like(text):
        email_hits = visible.filter(requester__email__iexact=text).order_by("-created_at")
        for position, pk in enumerate(email_hits.values_list("id", flat=True)[:SEARCH_CANDIDATES]):
            ranking.add(pk, 500.0 - position / 10_000, "email")


def _rank_words(ranking: _Ranking, text: str, words: list[str], departments: list[int]) -> None:
    """Full-text matches ranked by ts_rank, then substrings of the subject (PostgreSQL)."""
    placeholders = ", ".join(["%s"] * len(departments))
    with connection.cursor() as cursor:
        # Candidates are capped before ranking: a word in half the tickets would
        # otherwise rank them all. See docs/decisions/0011. The document's own copy of
        # the department is in its GIN index (decision 0050): only the agent's
        # departments' documents are read, and no ticket row.
        cursor.execute(
            f"""
            WITH q AS (SELECT to_tsquery(%s, %s) AS q)
            SELECT c.ticket_id, ts_rank(c.document, q.q) AS rank
            FROM q, (
                SELECT d.ticket_id, d.document
                FROM tickets_ticketsearchdocument d, q
                WHERE d.document @@ q.q AND d.department_id IN ({placeholders})
                LIMIT %s
            ) c
            """,  # nosec B608 # placeholders only: the IN list is one %s per department
            [CONFIG, prefix_tsquery(words), *departments, SEARCH_CANDIDATES + 1],
        )
        rows = cursor.fetchall()
        ranking.capped = len(rows) > SEARCH_CANDIDATES
        for pk, rank in rows[:SEARCH_CANDIDATES]:
            ranking.add(pk, 10.0 + rank, "text")
        # Substrings only when the words were not already plentiful: a search that
        # filled its candidates has nothing to gain from them, and they cost a scan.
        if len(text) < SUBSTRING_MIN_LENGTH or ranking.capped:
            return
        cursor.execute(
            f"""
            SELECT t.id, similarity(t.subject, %s)
            FROM tickets_ticket t
            WHERE t.subject ILIKE %s AND t.department_id IN ({placeholders})
            LIMIT %s
            """,  # nosec B608 # placeholders only: the IN list is one %s per department
            [text, f"%{_escape_like(text)}%", *departments, SEARCH_CANDIDATES],
        )
        for pk, similarity in cursor.fetchall():
            ranking.add(pk, 5.0 + similarity, "subject")


def _results_page(ranking: _Ranking, text: str, page: int) -> SearchResults:
    order = ranking.best_first()
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
        capped=ranking.capped,
        page=page,
        has_next=start + SEARCH_PAGE_SIZE < len(order),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The search as a filter ------------------------------------------------------------------


class _ILike(Lookup):
    """`subject ILIKE pattern`, as the ranked search writes it: what the trigram index on
    the subject serves (Django's icontains compares UPPER() of the column, which it does
    not)."""

    lookup_name = "ilike"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


def ticket_search_filter(query: str) -> Q | None:
    """What ticket_search_for_agent finds for `query`, as a filter over tickets, unranked:
    the ticket with that number ("1042", "#1042"), the tickets of the requester with that
    email address, those whose subject and thread hold every word (each as a prefix), and
    those whose subject contains the text (from three characters on); on SQLite, those
    whose subject or a tag's name contains the text. None when the query can match nothing
    (no word, number or address in it: only punctuation, say).

    For lists that keep their own order and cursors (the API's ticket list): unlike the
    ranked search, every match counts, not the best 2,000. The caller limits departments.
    """
    text = _cleaned(query)
    matches = []
    number = _ticket_number(text)
    if number is not None:
        matches.append(Q(number=number))
    if _email_like(text):
        people = User.objects.alias(email_lower=Lower("email")).filter(email_lower=text.lower())
        matches.append(Q(requester_id__in=people.values("pk")))
    words = search_words(text)
    if words and connection.vendor == "postgresql":
        matches.append(_full_text_filter(prefix_tsquery(words)))
        if len(text) >= SUBSTRING_MIN_LENGTH:
            matches.append(Q(_ILike(F("subject"), f"%{_escape_like(text)}%")))
    elif words:
        matches.append(Q(subject__icontains=text) | _tag_contains_q(text))
    return reduce(operator.or_, matches) if matches else None


def ticket_search_finds_nothing(query: str) -> bool:
    """Whether ticket_search_filter(query) would be None (nothing to look for), without
    asking the database: the same three kinds of term."""
    text = _cleaned(query)
    return not (_ticket_number(text) is not None or _email_like(text) or search_words(text))


def _cleaned(query: str) -> str:
    return (query or "").strip()[:SEARCH_QUERY_MAX_LENGTH]


def _ticket_number(text: str) -> int | None:
    """The ticket number a query names ("1042", "#1042"), if it is one."""
    number = text.lstrip("#")
    return int(number) if number.isdigit() and len(number) <= 18 else None


def _full_text_filter(tsquery_text: str) -> Q:
    """Tickets whose subject and thread match, in the form PostgreSQL runs fast whatever
    the words' frequency. At a million tickets `pk IN (subquery)` took 15 s for a word in
    most tickets (the match set too large to hash: scanned again for every row walked).

    A rare match (up to FILTER_ID_LIMIT tickets, read from the GIN index) becomes a list of
    ids, found by primary key; a common one becomes a check of each walked ticket's own
    document, and being common, a page fills after a few rows (bench/api.py)."""
    tsquery = SearchQuery(tsquery_text, search_type="raw", config=CONFIG)
    documents = TicketSearchDocument.objects.filter(document=tsquery)
    ids = list(documents.values_list("ticket_id", flat=True)[: FILTER_ID_LIMIT + 1])
    if len(ids) <= FILTER_ID_LIMIT:
        return Q(pk__in=ids)
    return Q(Exists(documents.filter(ticket_id=OuterRef("pk"))))
