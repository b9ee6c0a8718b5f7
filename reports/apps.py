from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The figures behind the agents' dashboard, and their hourly rollups."""

    name = "reports"

    def ready(self):
        from reports.listener import changes
        from tickets.events import register_event_listener

        # Changes are recorded in each change's transaction (docs/decisions/0035).
        register_event_listener(changes)
