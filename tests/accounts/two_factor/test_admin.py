"""The admin's "Reset two-factor" action on users, and the column that shows who has it."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.support.factories import UserFactory
from tests.support.two_factor import enrolled

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def test_an_admin_resets_two_factor_for_the_chosen_users(admin_client, agent_user, requester):
    enrolled(agent_user)
    enrolled(requester)
    untouched = UserFactory()
    enrolled(untouched)

    response = admin_client.post(
        CHANGELIST,
        {"action": "reset_two_factor", "_selected_action": [agent_user.pk, requester.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Two-factor reset for {agent_user.email}, {requester.email}." in (
        response.content.decode()
    ) or f"Two-factor reset for {requester.email}, {agent_user.email}." in (
        response.content.decode()
    )
    assert set(TOTPDevice.objects.values_list("user", flat=True)) == {untouched.pk}
    assert set(StaticDevice.objects.values_list("user", flat=True)) == {untouched.pk}


def test_resetting_users_without_it_says_so(admin_client, requester):
    response = admin_client.post(
        CHANGELIST,
        {"action": "reset_two_factor", "_selected_action": [requester.pk]},
        follow=True,
    )
    assert "None of them had two-factor set up." in response.content.decode()


def test_the_list_shows_who_has_two_factor(admin_client, agent_user, requester):
    enrolled(agent_user)
    response = admin_client.get(CHANGELIST)
    rows = {user.pk: user.two_factor_on for user in response.context["cl"].result_list}
    assert rows[agent_user.pk] is True and rows[requester.pk] is False
    assert "Two-factor" in response.content.decode()


def test_the_device_pages_are_not_in_the_admin(admin_client):
    # They would show each person's secret and recovery codes.
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin_client.get("/admin/otp_static/staticdevice/").status_code == 404
    assert User.objects.filter(is_superuser=True).exists()
