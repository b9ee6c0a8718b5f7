from io import StringIO

from django.core.management import call_command


def run_import(database, *extra) -> str:
    out = StringIO()
    call_command("import_osticket", "--database-url", database.url, *extra, stdout=out)
    return out.getvalue()
