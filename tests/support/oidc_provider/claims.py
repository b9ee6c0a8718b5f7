"""The claims the test provider asserts about a person, from config.json's users."""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    def get_additional_claims(self, request):
        person = settings.CONFIG["users"][request.user.username]
        claims = {"email": person["email"], "name": person["name"]}
        if person.get("email_verified") is not None:
            claims["email_verified"] = person["email_verified"]
        return claims
