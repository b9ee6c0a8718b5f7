from django.apps import AppConfig


class WebConfig(AppConfig):
    """Small pieces shared by the interfaces: the upload field, sanitised HTML. No models."""

    name = "web"
