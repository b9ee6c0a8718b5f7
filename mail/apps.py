from django.apps import AppConfig


class MailConfig(AppConfig):
    """The email channel: mailboxes, the inbound ledger, parsing, threading, fetchers."""

    name = "mail"

    def ready(self):
        from anymail.signals import inbound

        from mail.webhooks import keep_inbound

        # Providers' posts, once anymail has checked and parsed them (mail/webhooks.py).
        inbound.connect(keep_inbound, dispatch_uid="mail.webhooks.keep_inbound")
