"""Standard Webhooks: secrets, ids and the three headers (https://www.standardwebhooks.com/).

`webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, with the
endpoint's secret; for 24 hours after a rotation a second `v1,` signature with the
previous secret follows, so a receiver still holding the old secret keeps verifying.
Signing is the standardwebhooks library's own, the one receivers verify with.
"""

import base64
import os
import secrets
import time
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, as Standard Webhooks' secrets are."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_webhook_id() -> str:
    """`msg_` and a ULID: unique, and sorting by creation time (milliseconds, then random)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "msg_" + "".join(reversed(chars))


def signature_header(
    *, webhook_id: str, timestamp: datetime, body: str, secrets_in_use: list[str]
) -> str:
    return " ".join(
        Webhook(secret).sign(msg_id=webhook_id, timestamp=timestamp, data=body)
        for secret in secrets_in_use
    )


def webhook_headers(
    *, webhook_id: str, timestamp: datetime, body: str, secrets_in_use: list[str]
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            webhook_id=webhook_id, timestamp=timestamp, body=body, secrets_in_use=secrets_in_use
        ),
    }
