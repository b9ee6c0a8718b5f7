"""Reads of the email channel that pages make."""

import email.parser
from email import policy

from mail.models import InboundMessage


def inbound_for_entry(*, entry) -> InboundMessage | None:
    """The message a thread entry came from, if it came by email."""
    return (
        InboundMessage.objects.filter(entry=entry)
        .select_related("mailbox")
        .order_by("received_at", "id")
        .first()
    )


def inbound_headers(inbound: InboundMessage) -> list[tuple[str, str]]:
    """The message's headers as it arrived, in order (text; 8-bit bytes shown replaced)."""
    raw = bytes(inbound.raw)
    headers = email.parser.BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return [
        (name, str(value).encode("utf-8", "replace").decode("utf-8", "replace"))
        for name, value in headers.items()
    ]
