"""python manage.py mail_pipe --mailbox it@theoffice.example < message.eml

For an MTA: Postfix's pipe(8) transport, a .forward, procmail. The message is read from
standard input and stored in the inbound ledger; a worker processes it. The exit status
follows sysexits(3), which MTAs understand:

    0   stored (or stored already: the same message piped twice is one); also for a
        message larger than MAIL_MAX_MESSAGE_BYTES: its headers are recorded and its
        sender gets our one polite reply (mail.oversized), so the MTA must not bounce it
        as well (decision 0021)
    65  EX_DATAERR: what came in is not a message (nothing, or no headers)
    75  EX_TEMPFAIL: we could not store it now (the database is down): the MTA retries
    77  EX_NOPERM: no active mailbox has that address

It never prints a traceback: one line on standard error says what went wrong.
"""

import email.parser
import sys
from email import policy

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError

from mail.ledger import inbound_store, mailbox_for
from mail.models import InboundMessage
from mail.oversized import inbound_store_oversized

EX_OK, EX_DATAERR, EX_TEMPFAIL, EX_NOPERM = 0, 65, 75, 77
CHUNK = 2**20


class Command(BaseCommand):
    help = "Store one message from standard input in a mailbox's inbound ledger (for an MTA)."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", required=True, help="The address it was sent to.")

    def handle(self, *args, mailbox, **options):
        sys.exit(self.pipe(mailbox, sys.stdin.buffer))

    def pipe(self, address: str, stream) -> int:
        limit = settings.MAIL_MAX_MESSAGE_BYTES
        raw = stream.read(limit + 1)
        # Too large: the rest is read (so that the MTA can finish writing) and counted, not kept.
        size = len(raw) + (_drain(stream) if len(raw) > limit else 0)
        if not _looks_like_a_message(raw):
            return self.fail(EX_DATAERR, "not an email message (no headers)")
        try:
            mailbox = mailbox_for(address)
            if mailbox is None:
                return self.fail(EX_NOPERM, f"no active mailbox {address!r}")
            if size > limit:
                row, created = inbound_store_oversized(
                    mailbox=mailbox, head=raw, size=size, source=InboundMessage.Source.PIPE
                )
            else:
                row, created = inbound_store(
                    mailbox=mailbox, raw=raw, source=InboundMessage.Source.PIPE
                )
        except (OperationalError, InterfaceError) as error:
            return self.fail(EX_TEMPFAIL, f"the database is unavailable ({type(error).__name__})")
        except Exception as error:  # an MTA reads exit codes, not tracebacks
            return self.fail(EX_TEMPFAIL, f"{type(error).__name__}: {error}")
        if size > limit:
            self.stdout.write(
                f"too large ({size} bytes): recorded as {row}"
                if created
                else f"too large ({size} bytes): already recorded as {row}"
            )
        else:
            self.stdout.write(f"stored as {row}" if created else f"already stored as {row}")
        return EX_OK

    def fail(self, code: int, message: str) -> int:
        self.stderr.write(f"mail_pipe: {message}")
        return code


def _drain(stream) -> int:
    read = 0
    while chunk := stream.read(CHUNK):
        read += len(chunk)
    return read


def _looks_like_a_message(raw: bytes) -> bool:
    if not raw.strip():
        return False
    headers = email.parser.BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:65536])
    return len(headers.keys()) > 0
