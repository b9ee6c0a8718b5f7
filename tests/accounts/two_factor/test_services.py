"""accounts.two_factor: enrolment, the code step, recovery codes, trusted browsers, the
admin's reset and removal, with codes computed here from the device's secret."""

import datetime

import pytest
import time_machine
from django.test import RequestFactory
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.two_factor import (
    TRUST_COOKIE,
    TwoFactorError,
    new_secret,
    trust_cookie_value,
    trusted_device,
    two_factor_enrol,
    two_factor_recovery_codes_regenerate,
    two_factor_remove,
    two_factor_required,
    two_factor_reset,
    two_factor_step,
    two_factor_verify,
)
from tests.support.factories import UserFactory
from tests.support.two_factor import code_for, enrolled

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, 0, tzinfo=datetime.UTC)


def test_enrolment_makes_a_confirmed_app_and_ten_recovery_codes(agent_user):
    key = new_secret()
    device, codes = two_factor_enrol(user=agent_user, key_hex=key, token=code_for(key))

    assert device.confirmed and device.key == key and device.user == agent_user
    assert len(codes) == 10 and len(set(codes)) == 10
    recovery = StaticDevice.objects.get(user=agent_user)
    assert recovery.confirmed
    assert sorted(StaticToken.objects.filter(device=recovery).values_list("token", flat=True)) == (
        sorted(codes)
    )


def test_enrolment_refuses_a_wrong_code_and_keeps_nothing(agent_user):
    key = new_secret()
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"
    with pytest.raises(TwoFactorError, match="That code is not right"):
        two_factor_enrol(user=agent_user, key_hex=key, token=wrong)
    assert not TOTPDevice.objects.filter(user=agent_user).exists()
    assert not StaticDevice.objects.filter(user=agent_user).exists()


def test_enrolling_twice_is_refused(agent_user):
    enrolled(agent_user)
    key = new_secret()
    with pytest.raises(TwoFactorError, match="already set up"):
        two_factor_enrol(user=agent_user, key_hex=key, token=code_for(key))


def test_a_code_from_the_app_verifies_once(agent_user):
    with time_machine.travel(START, tick=False):
        device, _ = enrolled(agent_user)
    with time_machine.travel(START + datetime.timedelta(seconds=60), tick=False):
        code = code_for(device.key)
        assert two_factor_verify(user=agent_user, token=code) == device
        # The same code again, even within its 30 seconds: refused (a replay).
        assert two_factor_verify(user=agent_user, token=code) is None


def test_the_code_typed_at_enrolment_cannot_log_in(agent_user):
    with time_machine.travel(START, tick=False):
        key = new_secret()
        code = code_for(key)
        two_factor_enrol(user=agent_user, key_hex=key, token=code)
        assert two_factor_verify(user=agent_user, token=code) is None


def test_codes_from_long_ago_or_another_secret_are_refused(agent_user):
    with time_machine.travel(START, tick=False):
        device, _ = enrolled(agent_user)
        old = code_for(device.key, offset=-300)
        other = code_for(new_secret(), offset=60)
    with time_machine.travel(START + datetime.timedelta(seconds=60), tick=False):
        assert two_factor_verify(user=agent_user, token=old) is None
    with time_machine.travel(START + datetime.timedelta(seconds=120), tick=False):
        assert two_factor_verify(user=agent_user, token=other) is None


def test_someone_elses_code_does_not_verify_me(agent_user, requester):
    with time_machine.travel(START, tick=False):
        mine, _ = enrolled(agent_user)
        enrolled(requester)
    with time_machine.travel(START + datetime.timedelta(seconds=60), tick=False):
        assert two_factor_verify(user=requester, token=code_for(mine.key)) is None


def test_a_recovery_code_works_once_in_any_spelling(agent_user):
    _, codes = enrolled(agent_user)
    spelled = f"  {codes[3][:4].upper()}-{codes[3][4:]} "
    device = two_factor_verify(user=agent_user, token=spelled)

    assert isinstance(device, StaticDevice)
    assert device.token_set.count() == 9
    assert two_factor_verify(user=agent_user, token=codes[3]) is None  # used up
    # django-otp makes a device wait a little after each failure.
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)):
        assert two_factor_verify(user=agent_user, token=codes[4]) is not None


def test_new_recovery_codes_replace_the_old_ones(agent_user):
    _, old = enrolled(agent_user)
    new = two_factor_recovery_codes_regenerate(user=agent_user)

    assert len(new) == 10 and not set(new) & set(old)
    assert two_factor_verify(user=agent_user, token=old[0]) is None
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)):
        assert two_factor_verify(user=agent_user, token=new[0]) is not None


def test_no_recovery_codes_without_an_app(requester):
    with pytest.raises(TwoFactorError):
        two_factor_recovery_codes_regenerate(user=requester)


def test_an_empty_or_silly_code_verifies_nothing(agent_user):
    enrolled(agent_user)
    for token in ["", "   ", "abc", "1" * 30]:
        assert two_factor_verify(user=agent_user, token=token) is None


def test_using_a_recovery_code_does_not_slow_down_the_app(agent_user):
    with time_machine.travel(START, tick=False):
        device, _ = enrolled(agent_user)
        assert two_factor_verify(user=agent_user, token="notacode") is None
        # At once (no wait owed by the app), with the app's next code.
        assert two_factor_verify(user=agent_user, token=code_for(device.key, offset=30)) == device


# Who must -----------------------------------------------------------------------------


@pytest.mark.parametrize("on", [True, False])
def test_staff_need_it_only_when_required_requesters_never(settings, agent_user, requester, on):
    settings.REQUIRE_STAFF_2FA = on
    superuser = UserFactory(superuser=True)
    assert two_factor_required(agent_user) is on
    assert two_factor_required(superuser) is on
    assert two_factor_required(requester) is False


def test_the_step_a_password_only_session_owes(staff_two_factor, agent_user, requester):
    assert two_factor_step(agent_user) == "enrol"
    assert two_factor_step(requester) is None
    enrolled(agent_user)
    enrolled(requester)
    assert two_factor_step(agent_user) == "verify"
    assert two_factor_step(requester) == "verify"


# Trusted browsers ---------------------------------------------------------------------


def request_with(cookie: str | None):
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES[TRUST_COOKIE] = cookie
    return request


def test_a_trusted_browser_is_honoured_for_thirty_days(agent_user):
    with time_machine.travel(START, tick=False):
        device, _ = enrolled(agent_user)
        cookie = trust_cookie_value(user=agent_user, device=device)
    with time_machine.travel(START + datetime.timedelta(days=29), tick=False):
        assert trusted_device(request_with(cookie), agent_user) == device
    with time_machine.travel(START + datetime.timedelta(days=31), tick=False):
        assert trusted_device(request_with(cookie), agent_user) is None


def test_trust_is_for_one_user_and_cannot_be_forged(agent_user, requester):
    device, _ = enrolled(agent_user)
    enrolled(requester)
    cookie = trust_cookie_value(user=agent_user, device=device)

    assert trusted_device(request_with(None), agent_user) is None
    assert trusted_device(request_with(cookie), requester) is None
    assert trusted_device(request_with(cookie[:-2] + "xx"), agent_user) is None
    assert trusted_device(request_with("not-signed"), agent_user) is None


def test_a_reset_voids_every_trusted_browser(agent_user):
    admin = UserFactory(superuser=True)
    device, _ = enrolled(agent_user)
    cookie = trust_cookie_value(user=agent_user, device=device)

    assert two_factor_reset(user=agent_user, by=admin) is True
    assert not TOTPDevice.objects.filter(user=agent_user).exists()
    assert not StaticDevice.objects.filter(user=agent_user).exists()
    assert trusted_device(request_with(cookie), agent_user) is None
    # Enrolled again, the old cookie still means nothing: it was for the old secret.
    enrolled(agent_user)
    assert trusted_device(request_with(cookie), agent_user) is None


def test_a_reset_needs_an_admin(agent_user):
    enrolled(agent_user)
    with pytest.raises(TwoFactorError):
        two_factor_reset(user=agent_user, by=UserFactory())
    with pytest.raises(TwoFactorError):
        two_factor_reset(user=agent_user, by=None)
    assert TOTPDevice.objects.filter(user=agent_user).exists()


def test_resetting_someone_without_it_changes_nothing(requester):
    assert two_factor_reset(user=requester, by=UserFactory(superuser=True)) is False


def test_a_requester_may_turn_it_off_staff_may_not_when_required(
    staff_two_factor, agent_user, requester
):
    enrolled(agent_user)
    enrolled(requester)
    with pytest.raises(TwoFactorError, match=two_factor.REQUIRED_FOR_STAFF[:20]):
        two_factor_remove(user=agent_user)
    two_factor_remove(user=requester)
    assert not TOTPDevice.objects.filter(user=requester).exists()
    assert TOTPDevice.objects.filter(user=agent_user).exists()


def test_the_qr_code_is_an_svg_data_url_of_the_otpauth_uri(agent_user):
    key = new_secret()
    uri = two_factor.provisioning_uri(user=agent_user, key_hex=key)
    assert uri.startswith("otpauth://totp/")
    secret = two_factor.secret_for_people(key).replace(" ", "")
    assert "issuer=" in uri and f"secret={secret}" in uri
    assert two_factor.qr_code_data_uri(uri).startswith("data:image/svg+xml")
