"""The search document carries its ticket's department, and the GIN index covers both:
the agent search matches words within the agent's departments in the index, instead of
fetching every matching document and its ticket to drop the other departments' (decision
0050). PostgreSQL keeps the copy current with two triggers, whatever writes the rows (the
services, the importers, bulk SQL): a new document takes its ticket's department, and a
ticket moved to another department moves its document. Elsewhere (SQLite) the column
stays empty, as the document does."""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations, models

FORWARD = [
    # Existing documents: their tickets' departments.
    """
    UPDATE tickets_ticketsearchdocument d SET department_id = t.department_id
    FROM tickets_ticket t WHERE t.id = d.ticket_id
    """,
    """
    CREATE FUNCTION tickets_search_document_department() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.department_id IS NULL THEN
            SELECT t.department_id INTO NEW.department_id
            FROM tickets_ticket t WHERE t.id = NEW.ticket_id;
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER search_document_department BEFORE INSERT ON tickets_ticketsearchdocument
    FOR EACH ROW EXECUTE FUNCTION tickets_search_document_department()
    """,
    """
    CREATE FUNCTION tickets_ticket_moves_search_document() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE tickets_ticketsearchdocument SET department_id = NEW.department_id
        WHERE ticket_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER ticket_moves_search_document AFTER UPDATE OF department_id ON tickets_ticket
    FOR EACH ROW WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id)
    EXECUTE FUNCTION tickets_ticket_moves_search_document()
    """,
    # One index for both: a GIN index serves a condition on any subset of its columns, so
    # the searches without departments (the API's filter) use it as they used the old one.
    "CREATE INDEX ticket_search_department_document ON tickets_ticketsearchdocument "
    "USING gin (department_id, document)",
    "DROP INDEX IF EXISTS ticket_search_document",
]

BACKWARD = [
    "CREATE INDEX IF NOT EXISTS ticket_search_document ON tickets_ticketsearchdocument "
    "USING gin (document)",
    "DROP INDEX IF EXISTS ticket_search_department_document",
    "DROP TRIGGER IF EXISTS ticket_moves_search_document ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_ticket_moves_search_document()",
    "DROP TRIGGER IF EXISTS search_document_department ON tickets_ticketsearchdocument",
    "DROP FUNCTION IF EXISTS tickets_search_document_department()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0024_event_and_notification_kinds"),
    ]

    operations = [
        BtreeGinExtension(),
        migrations.AddField(
            model_name="ticketsearchdocument",
            name="department_id",
            field=models.IntegerField(editable=False, null=True),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
