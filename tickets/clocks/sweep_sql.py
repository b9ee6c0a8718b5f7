"""Set-based SQL for the sweep: arrays on PostgreSQL, IN lists elsewhere (SQLite, the
embedded mode).

The sweep changes thousands of rows per batch; one statement per kind of row, with the
values sent as array literals, costs a fraction of the ORM's row-at-a-time statements.
Everything here is built from table names and placeholders, never from input.
"""

from django.db import connection

from tickets.models import TicketEvent

EVENT = TicketEvent._meta.db_table


def fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def pg_array(values) -> str:
    """A PostgreSQL array literal ('{1,2,"text"}'), to send as one string parameter.

    psycopg2 sends a Python list as ARRAY[...], an expression the server parses element by
    element; ten thousand elements cost a sizeable part of a batch. The literal is parsed
    by the array type's input function in one go.
    """
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
        elif isinstance(value, int):
            items.append(str(value))
        else:
            items.append('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(items) + "}"


def member_of(column: str, name: str, values: list[int]) -> tuple[str, dict]:
    """`column` is one of the ids in `values`, as SQL and parameters."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%({name})s::bigint[])", {name: pg_array(values)}
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return f"{column} IN ({', '.join(f'%({key})s' for key in params) or 'NULL'})", params


def insert(
    table: str, columns: dict[str, str], rows: list[tuple], constants: dict[str, object]
) -> None:
    """Insert many rows with one statement.

    `columns` maps each varying column to its PostgreSQL type, in the order of the values
    in `rows`; `constants` are the same for every row (the sweep's time, counters).
    """
    if not rows:
        return
    names = ", ".join([*columns, *constants])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
            fixed = "".join(", %s" for _ in constants)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT v.*{fixed} FROM UNNEST({arrays}) AS v",  # nosec B608 # table and column names from the models; values are placeholders
                [
                    *constants.values(),
                    *(pg_array(column) for column in zip(*rows, strict=True)),
                ],
            )
        else:
            marks = ", ".join("%s" for _ in range(len(columns) + len(constants)))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # nosec B608 # table and column names from the models; values are placeholders
                [(*row, *constants.values()) for row in rows],
            )


def allocate_event_ids(count: int) -> list[int]:
    """Reserve primary keys for events, so notifications can point at them in the same batch."""
    if count == 0:
        return []
    if connection.vendor == "postgresql":
        rows = fetch(
            "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id')) "
            "FROM generate_series(1, %(count)s)",
            {"table": EVENT, "count": count},
        )
        return [row[0] for row in rows]
    # SQLite writers hold the database lock for the whole transaction (IMMEDIATE mode).
    top = fetch(f"SELECT COALESCE(MAX(id), 0) FROM {EVENT}", {})[0][0]  # nosec B608 # table and column names from the models; values are placeholders
    return list(range(top + 1, top + 1 + count))
