"""Two-factor's changes are in the security audit log: enrolled, removed by its owner,
reset by an admin; the code step's successes and failures."""

import pytest
from django_otp.oath import totp

from accounts.models import AuditEntry
from accounts.two_factor import two_factor_enrol, two_factor_remove, two_factor_reset
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "3132333435363738393031323334353637383930"


def code(key_hex: str = KEY) -> str:
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def kinds(user) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_id=str(user.pk))
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_enrolled_removed_and_reset_are_recorded(settings):
    settings.REQUIRE_STAFF_2FA = False
    pam = UserFactory(email="pam@example.com")
    two_factor_enrol(user=pam, key_hex=KEY, token=code())
    two_factor_remove(user=pam)
    two_factor_enrol(user=pam, key_hex=KEY, token=code())
    admin = UserFactory(email="boss@example.com", is_superuser=True, is_staff=True)
    assert two_factor_reset(user=pam, by=admin)
    assert kinds(pam) == [
        "two_factor_enrolled",
        "two_factor_removed",
        "two_factor_enrolled",
        "two_factor_reset",
    ]
    reset = AuditEntry.objects.get(kind="two_factor_reset")
    assert reset.actor == admin and KEY not in str(reset.data)
