from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The figures behind the agents' dashboard. No models yet (rollups come later)."""

    name = "reports"
