"""What the OpenAPI schema says about our authentication (drf-spectacular finds this
extension when api.apps loads the module)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "hd_<prefix>_<secret>",
            "description": "An API key made in the admin (or with manage.py api_key_create); "
            "osTicket's scripts may send it as X-API-Key instead.",
        }
