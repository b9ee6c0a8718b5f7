from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # The sign-in signals' receivers (audit log, session records).
        from accounts import signals  # noqa: F401
        from accounts.two_factor import two_factor_session_start

        def note_two_factor_step(sender, request, user, **kwargs):
            # Every login, however it came (form, sign-up link, the directory, single
            # sign-on), owes the second factor: see accounts.two_factor.
            if request is not None and hasattr(request, "session"):
                two_factor_session_start(request, user)

        user_logged_in.connect(note_two_factor_step, dispatch_uid="accounts.two_factor")


class HelpdeskAdminConfig(admin_apps.AdminConfig):
    """Django's admin on our site class: our login page, and the second factor."""

    default = False  # named in INSTALLED_APPS; AccountsConfig is this module's default
    default_site = "accounts.admin_site.HelpdeskAdminSite"
