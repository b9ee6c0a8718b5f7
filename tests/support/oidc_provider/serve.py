"""Run the test provider: ``python -m tests.support.oidc_provider.serve DIR PORT``.

Migrates a fresh SQLite database in DIR, registers the client and the people of
DIR/config.json, then serves on 127.0.0.1:PORT with Django's runserver (no reloader).
"""

import os
import sys


def main(folder: str, port: str) -> None:
    os.environ["OIDC_PROVIDER_DIR"] = folder
    os.environ["OIDC_PROVIDER_ISSUER"] = f"http://127.0.0.1:{port}/o"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.support.oidc_provider.settings"
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    _seed(settings.CONFIG)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


def _seed(config: dict) -> None:
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    client = config["client"]
    Application.objects.update_or_create(
        client_id=client["client_id"],
        defaults={
            "name": "Help desk",
            "client_secret": client["client_secret"],
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": " ".join(client["redirect_uris"]),
            "post_logout_redirect_uris": " ".join(client["post_logout_redirect_uris"]),
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": True,
        },
    )
    for username, person in config["users"].items():
        if not User.objects.filter(username=username).exists():
            User.objects.create_user(username, email=person["email"], password=person["password"])


if __name__ == "__main__":
    main(*sys.argv[1:3])
