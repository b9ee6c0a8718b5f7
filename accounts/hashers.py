"""osTicket's password hashes, kept by the importer so that people sign in as before.

osTicket hashes passwords with phpass in its bcrypt mode: `$2a$08$...` (or `$2y$`), bcrypt
of the password itself, which PHP's crypt() cuts at 72 bytes. The importer stores such a
hash as `osticket_bcrypt$<hash>`; this hasher checks a password against it, and says it
must be updated, so Django rehashes the password with the preferred hasher (Argon2) at the
first successful sign-in. It never makes new hashes: encode() is refused.
"""

import hmac

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.translation import gettext_noop as _

BCRYPT_PREFIXES = ("$2a$", "$2y$", "$2b$")
PHP_CRYPT_MAX_BYTES = 72


def is_osticket_bcrypt(value: str | None) -> bool:
    """Is this an osTicket hash that the hasher can check (phpass bcrypt)?"""
    return bool(value) and value.startswith(BCRYPT_PREFIXES) and len(value) == 60


class OsTicketBcryptPasswordHasher(BasePasswordHasher):
    algorithm = "osticket_bcrypt"
    library = "bcrypt"

    def encode(self, password, salt):
        raise NotImplementedError("osTicket hashes are only checked, never made.")

    def salt(self):
        return ""

    def decode(self, encoded):
        algorithm, _sep, data = encoded.partition("$")
        if algorithm != self.algorithm:
            raise ValueError("Not an osTicket hash.")
        return {"algorithm": algorithm, "hash": data, "salt": data[7:29]}

    def verify(self, password, encoded):
        bcrypt = self._load_library()
        data = self.decode(encoded)["hash"]
        if not is_osticket_bcrypt(data):
            return False
        candidate = password.encode()[:PHP_CRYPT_MAX_BYTES]
        try:
            # $2y$ (PHP's name) and $2a$ are the same algorithm as $2b$ for these inputs.
            computed = bcrypt.hashpw(candidate, ("$2b$" + data[4:]).encode())
        except ValueError:
            return False
        return hmac.compare_digest(computed[4:], data[4:].encode())

    def safe_summary(self, encoded):
        data = self.decode(encoded)
        return {
            _("algorithm"): data["algorithm"],
            _("hash"): mask_hash(data["hash"]),
        }

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass
