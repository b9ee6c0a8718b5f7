"""An article's words for full-text search: its title weighted A, its body B, in English
(stemmed, no synonyms), as tickets' search documents are built (tickets/search_index.py);
and its title alone, which the new-ticket suggestions search first.

The services call this inside their transaction, so an article and its words commit
together. On SQLite it does nothing and search matches substrings of the title.
"""

from django.db import connection

from tickets.search_index import CONFIG, MAX_DOCUMENT_BYTES


def _enabled() -> bool:
    return connection.vendor == "postgresql"


def article_document_update(*, article_id: int, title: str, text: str) -> None:
    if not _enabled():
        return
    text = text.encode()[:MAX_DOCUMENT_BYTES].decode(errors="ignore")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kb_article SET search_document = "
            "setweight(to_tsvector(%s, %s), 'A') || setweight(to_tsvector(%s, %s), 'B'), "
            "title_document = to_tsvector(%s, %s) "
            "WHERE id = %s",
            [CONFIG, title, CONFIG, text, CONFIG, title, article_id],
        )


def article_documents_update_many(ids: list[int]) -> None:
    """Documents for many articles at once, from their stored title and excerpt-free text
    (bench/kb.py and the demo): one statement."""
    if not _enabled() or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kb_article SET search_document = "
            "setweight(to_tsvector(%s, title), 'A') || setweight(to_tsvector(%s, body), 'B'), "
            "title_document = to_tsvector(%s, title) "
            "WHERE id = ANY(%s)",
            [CONFIG, CONFIG, CONFIG, ids],
        )
