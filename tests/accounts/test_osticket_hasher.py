"""osTicket's bcrypt hashes, checked at sign-in and upgraded (accounts/hashers.py)."""

import bcrypt
import pytest
from django.contrib.auth.hashers import check_password

from accounts.hashers import OsTicketBcryptPasswordHasher, is_osticket_bcrypt

HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "accounts.hashers.OsTicketBcryptPasswordHasher",
]


def osticket_hash(password: bytes, prefix: str = "$2y$") -> str:
    made = bcrypt.hashpw(password, bcrypt.gensalt(4)).decode()
    return "osticket_bcrypt$" + prefix + made[4:]


@pytest.mark.parametrize("prefix", ["$2a$", "$2y$", "$2b$"])
def test_checks_each_bcrypt_flavour(settings, prefix):
    settings.PASSWORD_HASHERS = HASHERS
    encoded = osticket_hash("Zoë's pässword".encode(), prefix)
    assert check_password("Zoë's pässword", encoded)
    assert not check_password("Zoe's password", encoded)


def test_a_long_password_is_cut_at_72_bytes_as_php_does(settings):
    settings.PASSWORD_HASHERS = HASHERS
    encoded = osticket_hash(b"x" * 72)
    assert check_password("x" * 100, encoded)


def test_upgrades_on_a_successful_check(settings):
    settings.PASSWORD_HASHERS = HASHERS
    encoded = osticket_hash(b"secret")
    upgraded = []
    assert check_password("secret", encoded, setter=upgraded.append)
    assert upgraded == ["secret"]


def test_refuses_to_make_hashes_and_what_is_not_bcrypt():
    with pytest.raises(NotImplementedError):
        OsTicketBcryptPasswordHasher().encode("x", "")
    assert not is_osticket_bcrypt("5f4dcc3b5aa765d61d8327deb882cf99")  # osTicket's old MD5
    assert not OsTicketBcryptPasswordHasher().verify("x", "osticket_bcrypt$not-a-hash")
