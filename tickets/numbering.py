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
