from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The requester's pages: the new-ticket form, their tickets, a ticket's page. No models."""

    name = "portal"
