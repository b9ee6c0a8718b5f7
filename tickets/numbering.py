"""Ticket numbers: short, human-readable, unique, never reused.

On PostgreSQL a sequence hands them out without any lock, so concurrent intake never
waits on a counter row and never collides. SQLite (the embedded development mode) has no
sequences, but there every write transaction starts IMMEDIATE (see settings), so writers
are serialised and the next number after the largest is safe.
"""

from django.db import connection

SEQUENCE_NAME = "tickets_ticket_number_seq"
FIRST_NUMBER = 1001


def next_ticket_number() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [SEQUENCE_NAME])
        else:
            cursor.execute(
                "SELECT COALESCE(MAX(number) + 1, %s) FROM tickets_ticket", [FIRST_NUMBER]
            )
        return cursor.fetchone()[0]


def ticket_numbers_reserve_through(number: int) -> None:
    """Numbers up to `number` are taken (tickets imported with their old numbers): the
    sequence moves above it, never back. On SQLite the next number already follows the
    largest."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(%s, GREATEST(%s, (SELECT CASE WHEN is_called THEN last_value "
            "ELSE last_value - 1 END FROM tickets_ticket_number_seq)))",
            [SEQUENCE_NAME, number],
        )
