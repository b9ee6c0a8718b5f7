"""Providers' inbound webhooks, at the addresses anymail's documentation gives them
(mounted under /anymail/ by helpdesk/urls.py). Only these three: the rest of anymail.urls
(tracking, other providers) would take posts that nothing here checks or needs."""

from django.urls import path, re_path

from mail.webhooks import MAILGUN, POSTMARK, SENDGRID, inbound_view

app_name = "mail"

urlpatterns = [
    # Mailgun posts raw MIME when the route's URL contains "mime" (docs/mail-providers.md).
    re_path(
        r"^mailgun/inbound(?:_mime)?/$", inbound_view(MAILGUN), name="mailgun_inbound_webhook"
    ),
    path("postmark/inbound/", inbound_view(POSTMARK), name="postmark_inbound_webhook"),
    path("sendgrid/inbound/", inbound_view(SENDGRID), name="sendgrid_inbound_webhook"),
]
