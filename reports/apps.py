from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The figures behind the agents' dashboard, the exports of them, the weekly emails."""

    name = "reports"
