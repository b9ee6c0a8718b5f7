from django.apps import AppConfig


class AutomationConfig(AppConfig):
    """Automation rules: react to ticket events and to time, by calling the services."""

    name = "automation"
    verbose_name = "Automation"

    def ready(self):
        from automation.listener import listener
        from tickets.events import register_event_listener

        # Triggers are written in each event's transaction and run after commit
        # (docs/decisions/0031).
        register_event_listener(listener)
