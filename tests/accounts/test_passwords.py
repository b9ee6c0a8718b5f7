"""Passwords are hashed with Argon2; older hashes still verify and are upgraded at login.

tests/conftest.py makes the suite hash with MD5 for speed; these tests put the real list
back. Argon2 costs by design, so they hash as little as they can.
"""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password
from django.test import Client

from helpdesk.settings import PASSWORD_HASHERS
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password-42"


def test_argon2_comes_first_and_the_older_hashers_stay(settings):
    settings.PASSWORD_HASHERS = PASSWORD_HASHERS

    assert PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in PASSWORD_HASHERS
    assert identify_hasher(make_password(PASSWORD)).algorithm == "argon2"


def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_login(settings):
    user = UserFactory(email="jim@example.com")  # hashed with the suite's MD5
    # An old hash of few rounds keeps the test fast: the rounds are part of the hash.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "oldsalt1234", iterations=1000)
    user.save(update_fields=["password"])
    settings.PASSWORD_HASHERS = PASSWORD_HASHERS

    response = Client().post(
        "/accounts/login/", {"username": "jim@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
