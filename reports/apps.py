from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The figures behind the agents' dashboard, their hourly rollups, the exports of them,
    the weekly emails."""

    name = "reports"

    def ready(self):
        from reports.listener import changes
        from tickets.events import register_event_listener

        # Changes are recorded in each change's transaction (docs/decisions/0035).
        register_event_listener(changes)
