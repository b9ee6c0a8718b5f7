"""Two-factor for tests: the codes an authenticator app would show, and an enrolled user."""

import time
from binascii import unhexlify

from django_otp.oath import TOTP

from accounts.two_factor import new_secret, two_factor_enrol


def code_for(key_hex: str, *, offset: int = 0) -> str:
    """The code an authenticator app shows for this secret, `offset` seconds from now."""
    totp = TOTP(unhexlify(key_hex))
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def enrolled(user):
    """`user` with a second factor, made as enrolment makes it: (device, recovery codes)."""
    key = new_secret()
    return two_factor_enrol(user=user, key_hex=key, token=code_for(key))
