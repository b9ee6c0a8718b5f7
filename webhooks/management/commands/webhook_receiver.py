"""Receive webhooks and print the ones whose signature verifies.

    python manage.py webhook_receiver --port 8765 --secret whsec_...

Point an endpoint (in the admin) at http://127.0.0.1:8765/ and, since that is this
machine, allow the loopback network for webhooks: WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8.
"""

from django.core.management.base import BaseCommand, CommandError

from webhooks.receiver import make_server


class Command(BaseCommand):
    help = "Listen for webhooks, verify their signatures, print the verified ones."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--secret",
            action="append",
            required=True,
            help="The endpoint's whsec_ secret (give it twice while rotating).",
        )

    def handle(self, *args, host, port, secret, **options):
        bad = [s for s in secret if not s.startswith("whsec_")]
        if bad:
            raise CommandError("A secret starts with whsec_ (copy it from the admin).")

        def report(verified: bool, text: str) -> None:
            write = self.stdout.write if verified else self.stderr.write
            write(text)
            self.stdout.flush()

        try:
            server = make_server(host, port, secret, report)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
        self.stdout.write(f"Listening on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
