"""python manage.py load_demo: The Office's IT help desk, for trying the product out.

Here, in the project's wiring, because the demo spans the apps: the people and tickets
(tickets.demo) and the mailboxes (mail.demo).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kb.demo import demo_articles
from mail.demo import demo_mailboxes
from tickets.demo import DEMO_DOMAIN, DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo help desk (The Office's IT department) with its three tickets "
        "(and with --history, a few weeks of past ones). "
        "Safe to run again: only what is missing is created."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with DEBUG off. The demo logins share a published password.",
        )
        parser.add_argument(
            "--history",
            action="store_true",
            help=(
                "Also a few weeks of past tickets, made through the services, so the "
                "reports have figures to show (a few seconds more)."
            ),
        )

    def handle(self, *args, force=False, history=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo accounts whose password is public "
                "(a superuser among them). Pass --force if this really is a demo site."
            )
        created = demo_load(history=history) + demo_mailboxes() + demo_articles()
        if not created:
            self.stdout.write("Demo data already loaded; nothing changed.")
            return
        summary = ", ".join(f"{kind}: {count}" for kind, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({summary})."))
        self.stdout.write(
            f"Log in as first.last@{DEMO_DOMAIN} (e.g. kevin.benavides@{DEMO_DOMAIN}, "
            f"a superuser) with the password {DEMO_PASSWORD!r}."
        )
