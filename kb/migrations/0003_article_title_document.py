import django.contrib.postgres.search
from django.db import migrations

# The suggestions' index (kb/selectors.py, docs/decisions/0048-kb-suggestions-by-title.md):
# published titles only, since requesters are offered nothing else. PostgreSQL only, as the
# search document's index in 0001.
CREATE_SQL = (
    "CREATE INDEX IF NOT EXISTS kb_article_title_published ON kb_article "
    "USING gin (title_document) WHERE state = 'published'"
)
FILL_SQL = "UPDATE kb_article SET title_document = to_tsvector('english', title)"


def create_title_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL)
        schema_editor.execute(CREATE_SQL)


def drop_title_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_article_title_published")


class Migration(migrations.Migration):

    dependencies = [
        ("kb", "0002_article_images"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="title_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create_title_index, drop_title_index),
    ]
