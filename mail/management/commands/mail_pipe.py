"""python manage.py mail_pipe --mailbox it@theoffice.example < message.eml

For an MTA: Postfix's pipe(8) transport, a .forward, procmail. The message is read from
standard input and stored in the inbound ledger; a worker processes it. The exit status
follows sysexits(3), which MTAs understand:

    0   stored (or stored already: the same message piped twice is one)
    65  EX_DATAERR: what came in is not a message (nothing, or no headers)
    75  EX_TEMPFAIL: we could not store it now (the database is down): the MTA retries
    77  EX_NOPERM: no active mailbox has that address

It never prints a traceback: one line on standard error says what went wrong.
"""

import email.parser
import sys
from email import policy

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError

from mail.ledger import inbound_store, mailbox_for
from mail.models import InboundMessage

EX_OK, EX_DATAERR, EX_TEMPFAIL, EX_NOPERM = 0, 65, 75, 77
MAX_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = "Store one message from standard input in a mailbox's inbound ledger (for an MTA)."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", required=True, help="The address it was sent to.")

    def handle(self, *args, mailbox, **options):
        sys.exit(self.pipe(mailbox, sys.stdin.buffer))

    def pipe(self, address: str, stream) -> int:
        raw = stream.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return self.fail(EX_DATAERR, f"message larger than {MAX_BYTES // 2**20} MB")
        if not _looks_like_a_message(raw):
            return self.fail(EX_DATAERR, "not an email message (no headers)")
        try:
            mailbox = mailbox_for(address)
            if mailbox is None:
                return self.fail(EX_NOPERM, f"no active mailbox {address!r}")
            row, created = inbound_store(
                mailbox=mailbox, raw=raw, source=InboundMessage.Source.PIPE
            )
        except (OperationalError, InterfaceError) as error:
            return self.fail(EX_TEMPFAIL, f"the database is unavailable ({type(error).__name__})")
        except Exception as error:  # an MTA reads exit codes, not tracebacks
            return self.fail(EX_TEMPFAIL, f"{type(error).__name__}: {error}")
        self.stdout.write(f"stored as {row}" if created else f"already stored as {row}")
        return EX_OK

    def fail(self, code: int, message: str) -> int:
        self.stderr.write(f"mail_pipe: {message}")
        return code


def _looks_like_a_message(raw: bytes) -> bool:
    if not raw.strip():
        return False
    headers = email.parser.BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:65536])
    return len(headers.keys()) > 0
