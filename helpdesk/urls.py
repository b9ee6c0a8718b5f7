from django.contrib import admin
from django.urls import include, path

from web.security import csp_report

admin.site.site_header = "Help desk administration"
admin.site.site_title = "Help desk admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The desk's API keys page: in the agent workspace, built beside the keys in api/.
    path("agent/api-keys/", include("api.page_urls")),
    path("agent/", include("desk.urls")),
    path("accounts/", include("accounts.urls")),
    # Providers' inbound webhooks (Mailgun, Postmark, SendGrid): docs/mail-providers.md.
    path("anymail/", include("mail.urls")),
    # The REST API (api/): /api/v1/, its schema and docs.
    path("api/", include("api.urls")),
    # Browsers report Content-Security-Policy violations here (web/security.py).
    path("csp-report/", csp_report, name="csp_report"),
    path("", include("portal.urls")),
]
