"""python manage.py api_key_create --name NAME --user EMAIL --scopes SCOPE,... \
    [--allow-ip CIDR,...] [--allow-any-address] [--expires DAYS] [--rate N]

Makes an API key for deployment and automation scripts and prints it once, on standard
output alone (so `KEY=$(manage.py api_key_create ...)` works); everything else goes to
standard error.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.roles import SYSTEM
from api.keys import api_key_create
from tickets.errors import InvalidInput


def _listed(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = "Create an API key and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--user", required=True, help="Email of the agent it acts as.")
        parser.add_argument("--scopes", required=True, help="Comma-separated scopes.")
        parser.add_argument("--allow-ip", default="", help="Comma-separated addresses/CIDR.")
        parser.add_argument(
            "--allow-any-address",
            action="store_true",
            help="Let an osTicket-scoped key be used from any address (not recommended).",
        )
        parser.add_argument("--expires", type=int, help="Days until the key expires.")
        parser.add_argument("--rate", type=int, default=120, help="Requests per minute.")

    def handle(self, *args, name, user, scopes, allow_ip, allow_any_address, expires, rate,
               **options):  # fmt: skip
        agent = User.objects.filter(email=user.strip().lower()).first()
        if agent is None:
            raise CommandError(f"No user with the email {user!r}.")
        if expires is not None and expires < 1:
            raise CommandError("--expires takes a number of days, at least 1.")
        try:
            issued = api_key_create(
                user=agent,
                by=SYSTEM,
                name=name,
                scopes=_listed(scopes),
                allowed_networks=_listed(allow_ip),
                allow_any_address=allow_any_address,
                expires_at=timezone.now() + timedelta(days=expires) if expires else None,
                requests_per_minute=rate,
            )
        except InvalidInput as error:
            raise CommandError(error.message) from None
        self.stderr.write(
            f"Created API key {issued.key.name!r} acting as {agent.email}; it is shown only now:"
        )
        self.stdout.write(issued.plaintext)
