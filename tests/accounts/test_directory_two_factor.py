"""Issue 11 as a new user tries it: the company directory turned on, an agent from it
signs in, sets up a second factor from the enrolment page (the key an authenticator app
reads from the QR code), lands in the desk; the audit log has each step."""

import base64
import re

import pytest

from accounts.models import AuditEntry
from tests.accounts.test_ldap import configure, log_in  # the directory's test settings
from tests.support.two_factor import code_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory_on(ldap_directory, settings, desk):
    configure(settings, ldap_directory.server.url)
    settings.REQUIRE_STAFF_2FA = True
    return ldap_directory.people


def test_a_directory_agent_signs_in_enrols_a_second_factor_and_lands_in_the_desk(directory_on):
    oscar = directory_on["oscar"]
    client, response = log_in(oscar.mail, oscar.password)
    assert response.status_code == 302

    held = client.get("/agent/")
    assert held.status_code == 302 and "/accounts/two-factor/setup/" in held["Location"]
    page = client.get(held["Location"]).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn on the server
    secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page).group(1)
    secret = re.sub(r"\s", "", secret)
    key_hex = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()

    enrolled = client.post(held["Location"], {"code": code_for(key_hex)})
    assert enrolled.status_code == 200 and "recovery codes" in enrolled.content.decode().lower()
    assert client.get("/agent/").status_code == 200  # in the desk

    steps = [
        (entry.kind, entry.data.get("method"))
        for entry in AuditEntry.objects.filter(actor__email=oscar.mail).order_by("id")
    ]
    assert steps[0] == ("login_succeeded", "ldap")
    assert ("two_factor_enrolled", None) in steps
