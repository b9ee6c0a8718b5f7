from django.apps import AppConfig


class MailConfig(AppConfig):
    """The email channel: mailboxes, the inbound ledger, parsing, threading, fetchers."""

    name = "mail"
