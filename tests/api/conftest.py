import pytest

from accounts.roles import SYSTEM
from api.keys import api_key_create


@pytest.fixture
def make_key(desk):
    """make_key(**settings) -> (ApiKey, plaintext), acting as the IT agent by default."""

    def make(**settings):
        settings.setdefault("name", f"key {make.count}")
        settings.setdefault("user", desk.agent.user)
        settings.setdefault("scopes", ["tickets:read", "departments:read"])
        make.count += 1
        issued = api_key_create(by=SYSTEM, **settings)
        return issued.key, issued.plaintext

    make.count = 0
    return make


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
