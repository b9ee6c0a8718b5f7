from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Help desk administration"
admin.site.site_title = "Help desk admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("agent/", include("desk.urls")),
    path("accounts/", include("accounts.urls")),
    # Providers' inbound webhooks (Mailgun, Postmark, SendGrid): docs/mail-providers.md.
    path("anymail/", include("mail.urls")),
    path("", include("portal.urls")),
]
