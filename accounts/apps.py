from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # The sign-in signals' receivers (audit log, session records).
        from accounts import signals  # noqa: F401
