"""python manage.py api_key_revoke NAME: the key stops working at once, for good."""

from django.core.management.base import BaseCommand, CommandError

from accounts.roles import SYSTEM
from api.keys import api_key_revoke
from api.models import ApiKey


class Command(BaseCommand):
    help = "Revoke an API key by name."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        key = ApiKey.objects.filter(name=name).first()
        if key is None:
            raise CommandError(f"No API key named {name!r}.")
        if key.revoked_at is not None:
            self.stdout.write(f"API key {name!r} was revoked already.")
            return
        api_key_revoke(key=key, by=SYSTEM)
        self.stdout.write(f"Revoked API key {name!r}.")
