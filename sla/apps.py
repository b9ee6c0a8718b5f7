from django.apps import AppConfig


class SLAConfig(AppConfig):
    name = "sla"
    verbose_name = "SLA"
