from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The agents' workspace: the queue, search, the ticket page and its actions. No models."""

    name = "desk"
