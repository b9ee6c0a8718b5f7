from django.apps import AppConfig
from django.core import checks


class WebhooksConfig(AppConfig):
    """Outbound webhooks: endpoints, a delivery per endpoint per event, the senders."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from tickets.events import register_event_listener
        from webhooks.fanout import fanout

        # Deliveries are written in each event's transaction (docs/decisions/0029).
        register_event_listener(fanout)
        checks.register(allowed_networks_check)


def allowed_networks_check(app_configs, **kwargs):
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from webhooks.network import allowed_networks

    try:
        allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="webhooks.E001")]
    return []
