"""Full-text search documents: one tsvector per ticket, kept current by the services.

The subject is weighted A and every thread entry's body B, so a ticket whose subject
matches ranks above one that only mentions the words somewhere in its thread. The
services call these functions inside their transaction, so a ticket and its words commit
together. On SQLite (the embedded mode) they do nothing, and search matches substrings.
See docs/decisions/0011-search.md.
"""

import re

from django.db import connection

from tickets.models import CHOICE_KINDS, TEXT_KINDS, ThreadEntry, Ticket

CONFIG = "english"
# PostgreSQL refuses a tsvector over 1 MB. Threads that large stop adding words: what
# they are about is long since in the document.
MAX_DOCUMENT_BYTES = 512 * 1024

_WORD_RE = re.compile(r"\w+", re.UNICODE)
# The custom fields whose values search finds (tickets.services.fields._searchable).
SEARCHED_KINDS = (*TEXT_KINDS, *CHOICE_KINDS)


def _enabled() -> bool:
    return connection.vendor == "postgresql"


def search_document_create(*, ticket_id: int, subject: str, body: str) -> None:
    """The new ticket's document: its subject and first message."""
    if not _enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketsearchdocument (ticket_id, document) VALUES "
            "(%s, setweight(to_tsvector(%s, %s), 'A') || setweight(to_tsvector(%s, %s), 'B')) "
            "ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document",
            [ticket_id, CONFIG, subject, CONFIG, body],
        )


def search_document_append(*, ticket_id: int, body: str) -> None:
    """A new thread entry's words join the ticket's document."""
    if not _enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketsearchdocument AS d (ticket_id, document) VALUES "
            "(%s, setweight(to_tsvector(%s, %s), 'B')) "
            "ON CONFLICT (ticket_id) DO UPDATE SET document = d.document || EXCLUDED.document "
            "WHERE d.document IS NULL OR pg_column_size(d.document) < %s",
            [ticket_id, CONFIG, body, MAX_DOCUMENT_BYTES],
        )


def search_document_add_fields(*, ticket_id: int, texts: list[str]) -> None:
    """Custom fields' text (an asset tag, a choice's label) joins the ticket's document,
    weighted C: below the subject and the thread. An edited value adds its new words; the
    old ones stay findable, as an earlier message's words do (the event says it changed).

    Codes are what people look fields up by, and PostgreSQL's parser reads "DM-0042" as
    'dm' and '-0042', which the search's words ("dm", "0042") would miss: the text goes
    in also as its plain words (search_words), so either spelling finds it."""
    text = " ".join(t for t in texts if t)
    text = f"{text} {' '.join(search_words(text, limit=10_000))}"
    if not text or not _enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketsearchdocument AS d (ticket_id, document) VALUES "
            "(%s, setweight(to_tsvector(%s, %s), 'C')) "
            "ON CONFLICT (ticket_id) DO UPDATE SET document = d.document || EXCLUDED.document "
            "WHERE d.document IS NULL OR pg_column_size(d.document) < %s",
            [ticket_id, CONFIG, text, MAX_DOCUMENT_BYTES],
        )


def search_words(text: str, *, limit: int = 8) -> list[str]:
    """The words of a search, lower-cased, at most `limit` of them.

    Only letters, digits and underscores survive, so what reaches to_tsquery is a list of
    plain words joined by our own operators: the user cannot write tsquery syntax (and
    cannot make it fail).
    """
    return [word.lower() for word in _WORD_RE.findall(text or "")][:limit]


def prefix_tsquery(words: list[str]) -> str:
    """'flick mon' -> 'flick:* & mon:*': every word must match, each as a word prefix."""
    return " & ".join(f"{word}:*" for word in words)


# Weight C from the rows: what tickets.services.fields writes one ticket at a time (text,
# long text and email values, the choices' labels, each also as its plain words), read
# for a whole batch. Weight D the same for tags (search_document_set_tags).
_FIELDS_TEXT_SQL = """coalesce((
    SELECT string_agg(x.text || ' ' || regexp_replace(x.text, '[^[:alnum:]_]+', ' ', 'g'), ' ')
    FROM (
        SELECT coalesce(c.label, v.value_text) AS text
        FROM tickets_ticketfieldvalue v
        JOIN tickets_customfield f ON f.id = v.field_id
        LEFT JOIN tickets_fieldchoice c ON c.id = v.choice_id
        WHERE v.ticket_id = t.id AND f.kind = ANY(%s::text[])
        ORDER BY v.field_id, c.position, v.id
    ) AS x
    WHERE x.text <> ''), '')"""
_TAGS_TEXT_SQL = """coalesce((
    SELECT string_agg(g.name || ' ' || regexp_replace(g.name, '[^[:alnum:]_]+', ' ', 'g'), ' ')
    FROM tickets_tickettag tt JOIN tickets_tag g ON g.id = tt.tag_id
    WHERE tt.ticket_id = t.id), '')"""

_CREATE_MANY_SQL = "\n".join(
    [
        "INSERT INTO tickets_ticketsearchdocument (ticket_id, document)",
        "SELECT t.id, setweight(to_tsvector(%s, t.subject), 'A')",
        "|| setweight(to_tsvector(%s, t.body), 'B')",
        "|| setweight(to_tsvector(%s, " + _FIELDS_TEXT_SQL + "), 'C')",  # nosec B608 # constants
        "|| setweight(to_tsvector(%s, " + _TAGS_TEXT_SQL + "), 'D')",  # nosec B608 # constants
        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS t(id, subject, body)",
        "ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document",
    ]
)


def search_documents_create_many(rows: list[tuple[int, str, str]]) -> None:
    """Whole documents for many tickets at once (ticket id, subject, thread text), in one
    statement, for imports and rebuilds: the subject (A) and thread (B) as given, and the
    custom fields (C) and tags (D) the tickets' rows hold now, so write those first. A
    ticket's thread text is cut at MAX_DOCUMENT_BYTES. A document already there is
    replaced, so running it twice leaves the same documents."""
    if not _enabled() or not rows:
        return
    ids = [row[0] for row in rows]
    subjects = [row[1] for row in rows]
    bodies = [row[2].encode()[:MAX_DOCUMENT_BYTES].decode(errors="ignore") for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            _CREATE_MANY_SQL,
            # The subject's, the thread's and the fields' configs, the kinds of field read
            # (in the fields' subquery), the tags' config; then the rows.
            [CONFIG, CONFIG, CONFIG, list(SEARCHED_KINDS), CONFIG, ids, subjects, bodies],
        )


def search_documents_rebuild(*, ticket_ids: list[int]) -> int:
    """The tickets' documents made again from their rows: subject, thread entries (oldest
    first), custom fields and tags; three queries whatever the number of tickets. Words
    only the old document held (an edited field's old value, an undone merge's) drop out.
    Answers how many tickets it wrote (on SQLite, which has no documents: none)."""
    if not ticket_ids or not _enabled():
        return 0
    subjects = dict(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "subject"))
    bodies: dict[int, list[str]] = {pk: [] for pk in subjects}
    entries = (
        ThreadEntry.objects.filter(ticket_id__in=subjects)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body")
    )
    for ticket_id, body in entries.iterator(chunk_size=2000):
        bodies[ticket_id].append(body)
    search_documents_create_many(
        [(pk, subject, "\n".join(bodies[pk])) for pk, subject in subjects.items()]
    )
    return len(subjects)


# Tags are the one part of the document that is rewritten rather than appended to: they
# own weight D (the subject is A, the thread B, custom fields C), so a change drops the
# old D words with ts_filter and puts the ticket's current tags back. A removed tag stops
# finding the ticket; a word also in the thread or subject keeps its own weight there.
_TAGS_SQL = "\n".join(
    [
        "INSERT INTO tickets_ticketsearchdocument AS d (ticket_id, document)",
        "SELECT t.id, setweight(to_tsvector(%s, " + _TAGS_TEXT_SQL + "), 'D')",  # nosec B608
        "FROM unnest(%s::bigint[]) AS t(id)",
        "ON CONFLICT (ticket_id) DO UPDATE",
        "SET document = ts_filter(coalesce(d.document, ''::tsvector), '{a,b,c}')",
        "|| EXCLUDED.document",
    ]
)


def search_document_set_tags(*, ticket_ids: list[int]) -> None:
    """The tickets' documents hold their current tags (and each tag's plain words, so
    "vpn-down" is found by "vpn" and by "down"), replacing the tags they held."""
    if not _enabled() or not ticket_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_TAGS_SQL, [CONFIG, list(ticket_ids)])
