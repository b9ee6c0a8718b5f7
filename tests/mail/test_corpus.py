"""Real-world mail, written by mail programs and not by us (tests/data/mail/README.md):
every message goes through the parser and the ledger to a ticket, without an exception,
with the sender and subject right and a body unless the message has none."""

import hashlib
import json
from pathlib import Path

import pytest

from mail.ledger import inbound_store
from mail.models import InboundMessage
from mail.parsing import parse_message
from mail.processing import NO_TEXT, inbound_process
from tests.support.inert import assert_inert

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def _same(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_parser_reads_it_right(name):
    expected = EXPECTED[name]
    raw = (CORPUS / name).read_bytes()
    if expected.get("byte_exact"):
        assert hashlib.sha256(raw).hexdigest() == expected["sha256"], "the file changed"

    parsed = parse_message(raw)

    assert parsed.sender.address == expected["from"].lower()
    assert _same(parsed.subject) == _same(expected["subject"])
    assert bool(parsed.text.strip() or parsed.attachments) or not expected["has_body"]
    if expected["has_body"]:
        assert parsed.text.strip(), "no text read from a message that has some"
    assert_inert(parsed.html, where=name)


@pytest.mark.django_db
def test_every_message_ends_exactly_once_somewhere(mailbox, settings, tmp_path):
    """Through the ledger and the worker's processing: a ticket, a thread entry, or a
    recorded auto-reply; quarantined only for a reason we name, never for an exception."""
    settings.MEDIA_ROOT = tmp_path
    for name in sorted(EXPECTED):
        row, _ = inbound_store(mailbox=mailbox, raw=(CORPUS / name).read_bytes(), source="pipe")
        inbound_process(inbound_id=row.pk)
        row.refresh_from_db()
        if row.status == InboundMessage.Status.QUARANTINED:
            assert row.reason.startswith("The sender's address"), (name, row.reason)
            continue
        assert row.status == InboundMessage.Status.PROCESSED, (name, row.reason)
        if row.outcome == InboundMessage.Outcome.NEW_TICKET:
            assert row.entry.body.strip() and (
                row.entry.body != NO_TEXT or not EXPECTED[name]["has_body"]
            ), name
        if EXPECTED[name].get("automated") == "auto-reply":
            assert row.outcome != InboundMessage.Outcome.NEW_TICKET, name
