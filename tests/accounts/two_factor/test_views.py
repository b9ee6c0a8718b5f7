"""The two-factor pages and the middleware: a password-only session of staff reaches
nothing but the code step or enrolment; requesters are unaffected unless they enrolled;
the admin is behind the same login and second factor."""

import datetime
import re
from base64 import b32decode

import pytest
import time_machine
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.tokens import signup_token_generator
from accounts.two_factor import TRUST_COOKIE, two_factor_verify
from accounts.two_factor_views import TOO_MANY_CODES
from tests.support.factories import AgentFactory, UserFactory
from tests.support.two_factor import code_for, enrolled

pytestmark = pytest.mark.django_db

PASSWORD = "pw"  # tests.support.factories.UserFactory's
VERIFY = "/accounts/two-factor/"
ENROL = "/accounts/two-factor/setup/"


def log_in(client, user, next_url=""):
    return client.post(
        "/accounts/login/" + (f"?next={next_url}" if next_url else ""),
        {"username": user.email, "password": PASSWORD},
    )


def later(seconds=60):
    return time_machine.travel(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    )


# The middleware -----------------------------------------------------------------------


def test_staff_without_a_device_go_to_enrolment_and_nowhere_else(
    staff_two_factor, agent_user, client_for
):
    client = client_for(agent_user)  # the password step only
    for path in ["/agent/", "/admin/", "/tickets/", "/accounts/profile/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{ENROL}?next="), path
    assert client.get(ENROL).status_code == 200
    assert client.get(VERIFY).status_code == 302  # nothing to verify yet
    assert client.get("/static/css/helpdesk.css").status_code != 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 200  # logged out: the portal's home


def test_an_htmx_request_is_sent_to_the_step_as_a_whole_page(
    staff_two_factor, agent_user, client_for
):
    response = client_for(agent_user).get("/agent/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{ENROL}?next=/agent/"
    assert response.content == b""


def test_staff_with_a_device_go_to_the_code_step(staff_two_factor, agent_user, client_for):
    enrolled(agent_user)
    client = client_for(agent_user)
    response = client.get("/agent/")
    assert response["Location"] == f"{VERIFY}?next=/agent/"
    assert client.get("/admin/")["Location"].startswith(f"{VERIFY}?next=")
    # Not enrolment: whoever has only the password must not add an app of their own.
    assert client.get(ENROL)["Location"].startswith(f"{VERIFY}?next=")


def test_requesters_without_a_device_are_unaffected(staff_two_factor, requester, client_for):
    client = client_for(requester)
    assert client.get("/tickets/").status_code == 200
    assert client.get("/accounts/profile/").status_code == 200


def test_staff_are_unaffected_when_it_is_not_required(agent_user, client_for):
    assert client_for(agent_user).get("/agent/").status_code == 200


def test_a_requester_who_enrolled_gives_a_code_too(requester, client_for):
    enrolled(requester)
    response = client_for(requester).get("/tickets/")
    assert response["Location"] == f"{VERIFY}?next=/tickets/"


def test_a_session_older_than_two_factor_is_asked_once(staff_two_factor, agent_user, client):
    client.force_login(agent_user)
    session = client.session
    del session[two_factor.SESSION_KEY]
    session.save()
    assert client.get("/agent/")["Location"].startswith(ENROL)


# The login flow -----------------------------------------------------------------------


def test_the_password_step_leads_to_the_code_step_and_on(staff_two_factor, agent_user, client):
    device, _ = enrolled(agent_user)
    response = log_in(client, agent_user, next_url="/agent/tickets/")
    assert response["Location"] == f"{VERIFY}?next=/agent/tickets/"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Enter your code" in page.content and b"Trust this browser for 30 days" in page.content
    with later():
        response = client.post(VERIFY, {"code": code_for(device.key), "next": "/agent/tickets/"})
        assert response["Location"] == "/agent/tickets/"
        assert TRUST_COOKIE not in response.cookies
        assert client.get("/agent/").status_code == 200


def test_a_wrong_code_is_refused_with_a_message(staff_two_factor, agent_user, client):
    enrolled(agent_user)
    log_in(client, agent_user)
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 200
    assert two_factor.WRONG_CODE in response.content.decode().replace("&#x27;", "'")
    assert client.get("/agent/")["Location"].startswith(VERIFY)


def test_wrong_codes_are_rate_limited_per_account(settings, staff_two_factor, agent_user, client):
    settings.LOGIN_FAILURE_LIMIT = 3
    # Inside one window of the counter (fixed windows: accounts/ratelimit.py).
    start = datetime.datetime(2026, 3, 2, 9, 0, 10, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        device, _ = enrolled(agent_user)
        log_in(client, agent_user)
        for _ in range(3):
            client.post(VERIFY, {"code": "not-a-code"})
    with time_machine.travel(start + datetime.timedelta(seconds=60), tick=False):
        response = client.post(VERIFY, {"code": code_for(device.key)})
        assert response.status_code == 200
        assert TOO_MANY_CODES in response.content.decode()
        # From another browser too: whoever is here has the password already.
        other = Client()
        log_in(other, agent_user)
        assert TOO_MANY_CODES in other.post(VERIFY, {"code": "123456"}).content.decode()
    # The window over, the right code is taken.
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert client.post(VERIFY, {"code": code_for(device.key)})["Location"] == "/agent/"


def test_a_recovery_code_logs_in_once_and_says_how_many_are_left(
    staff_two_factor, agent_user, client
):
    _, codes = enrolled(agent_user)
    log_in(client, agent_user)
    response = client.post(VERIFY, {"code": codes[0]}, follow=True)
    assert response.status_code == 200
    assert "You used a recovery code; 9 left." in response.content.decode()
    assert not StaticToken.objects.filter(token=codes[0]).exists()


def test_trust_this_browser_skips_the_code_step_for_the_next_login(
    staff_two_factor, agent_user, client
):
    device, _ = enrolled(agent_user)
    log_in(client, agent_user)
    with later():
        response = client.post(VERIFY, {"code": code_for(device.key), "trust": "on"})
    cookie = response.cookies[TRUST_COOKIE]
    assert cookie["httponly"] and cookie["max-age"] == 30 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    client.post("/accounts/logout/")

    response = log_in(client, agent_user, next_url="/agent/")
    assert response["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200


def test_an_admins_reset_ends_the_trust_and_sends_staff_to_enrol(
    staff_two_factor, agent_user, client
):
    device, _ = enrolled(agent_user)
    log_in(client, agent_user)
    with later():
        client.post(VERIFY, {"code": code_for(device.key), "trust": "on"})
    assert client.get("/agent/").status_code == 200

    two_factor.two_factor_reset(user=agent_user, by=UserFactory(superuser=True))
    # The verified session no longer is: its device is gone.
    assert client.get("/agent/")["Location"].startswith(ENROL)
    client.post("/accounts/logout/")
    assert log_in(client, agent_user)["Location"].startswith(ENROL)


def test_every_way_in_owes_the_step_the_sign_up_link_too(staff_two_factor, client):
    # An agent an admin made without a password signs up by the emailed link: that login
    # too leads to enrolment, not to the desk.
    user = AgentFactory(user=UserFactory(password=None)).user
    user.set_unusable_password()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"/accounts/confirm/{uid}/{signup_token_generator.make_token(user)}/"
    response = client.post(
        link,
        {
            "display_name": "Ryan",
            "new_password1": "a-long-enough-password-42",
            "new_password2": "a-long-enough-password-42",
        },
    )
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith(ENROL)


def test_requesters_log_in_as_before_without_a_device(staff_two_factor, requester, client):
    assert log_in(client, requester)["Location"] == "/tickets/"


# Enrolment ----------------------------------------------------------------------------


def secret_on(page) -> str:
    match = re.search(rb'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page.content)
    return match.group(1).decode().replace(" ", "")


def key_of(secret: str) -> str:
    return b32decode(secret).hex()


def test_staff_enrol_after_the_password_and_land_where_they_were_going(
    staff_two_factor, agent_user, client
):
    response = log_in(client, agent_user, next_url="/agent/")
    assert response["Location"] == f"{ENROL}?next=/agent/"
    page = client.get(response["Location"])
    assert page["Cache-Control"].startswith("max-age=0")
    assert b'src="data:image/svg+xml' in page.content
    key = key_of(secret_on(page))
    assert secret_on(client.get(ENROL)) == secret_on(page)  # a reload shows the same key

    response = client.post(ENROL, {"code": code_for(key), "next": "/agent/"})
    assert response.status_code == 200
    codes = re.findall(rb"<code>([a-z2-7]{8})</code>", response.content)
    assert len(codes) == 10
    assert b'href="/agent/"' in response.content
    assert TOTPDevice.objects.get(user=agent_user, confirmed=True).key == key
    assert client.get("/agent/").status_code == 200  # the enrolment was the second factor


def test_a_wrong_enrolment_code_keeps_the_same_secret(staff_two_factor, agent_user, client):
    log_in(client, agent_user)
    page = client.get(ENROL)
    response = client.post(ENROL, {"code": "12345"})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert secret_on(response) == secret_on(page)
    assert not TOTPDevice.objects.filter(user=agent_user).exists()


def test_a_requester_turns_it_on_and_off_from_the_profile(requester, client_for):
    client = client_for(requester)
    profile = client.get("/accounts/profile/")
    assert b"Set up two-factor authentication" in profile.content
    key = key_of(secret_on(client.get(ENROL)))
    client.post(ENROL, {"code": code_for(key)})
    profile = client.get("/accounts/profile/").content.decode()
    assert "Recovery codes left: <strong>10</strong>" in profile

    response = client.post("/accounts/two-factor/recovery-codes/")
    assert len(re.findall(rb"<code>([a-z2-7]{8})</code>", response.content)) == 10
    client.post("/accounts/two-factor/remove/")
    assert not TOTPDevice.objects.filter(user=requester).exists()
    assert client.get("/tickets/").status_code == 200


def test_staff_cannot_turn_it_off_when_required(staff_two_factor, agent_user, client):
    device, _ = enrolled(agent_user)
    log_in(client, agent_user)
    with later():
        client.post(VERIFY, {"code": code_for(device.key)})
    profile = client.get("/accounts/profile/").content.decode()
    assert "Turn off two-factor authentication" not in profile
    response = client.post("/accounts/two-factor/remove/", follow=True)
    assert "Agents and admins must keep two-factor authentication on" in response.content.decode()
    assert TOTPDevice.objects.filter(user=agent_user).exists()


def test_recovery_codes_and_removal_need_the_second_factor(requester, client):
    enrolled(requester)
    log_in(client, requester)  # password only
    for path in ["/accounts/two-factor/recovery-codes/", "/accounts/two-factor/remove/"]:
        assert client.post(path)["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=requester).exists()
    assert two_factor_verify(user=requester, token="x") is None


# The admin ----------------------------------------------------------------------------


def test_the_admin_login_is_our_login_with_next(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response["Location"] == "/accounts/login/?next=/admin/accounts/user/"
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_an_admin_needs_the_second_factor_even_in_a_session_from_before(settings, client):
    admin = UserFactory(superuser=True)
    client.force_login(admin)  # while not required: the session owes nothing
    settings.REQUIRE_STAFF_2FA = True
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get(response["Location"])["Location"] == f"{ENROL}?next=/admin/"


def test_an_admin_with_the_second_factor_uses_the_admin(staff_two_factor, client):
    admin = UserFactory(superuser=True)
    device, _ = enrolled(admin)
    response = log_in(client, admin, next_url="/admin/")
    with later():
        response = client.post(response["Location"], {"code": code_for(device.key)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_someone_who_may_not_use_the_admin_is_told_so(requester, client_for):
    client = client_for(requester)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert b"The admin is not open to this account" in response.content
