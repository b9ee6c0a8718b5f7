"""python manage.py osticket_pipe --mailbox it@theoffice.example < message.eml

For an MTA set up as for osTicket's `api/pipe.php` (an alias `|/path/to/pipe.php`, a
Postfix pipe(8) transport): the message on standard input is stored in the mailbox's
inbound ledger and processed at once, as osTicket's pipe does, so the exit status says what
became of it (sysexits(3), which MTAs understand):

    0   delivered: a new ticket, a reply in its ticket, or a message seen before
    65  EX_DATAERR: what came in is not a message (no headers), or the channel could not
        make anything of it (it is kept, quarantined, for an admin to see)
    66  EX_NOINPUT: nothing came in
    69  EX_UNAVAILABLE: the mailbox exists but is switched off
    75  EX_TEMPFAIL: not now (the database is down): the MTA tries again
    77  EX_NOPERM: no mailbox has that address, or its sender may not open tickets

Like osTicket's pipe.php it needs no API key: whoever can run it runs the server. Unlike
it, it needs to know the mailbox, because our mailboxes decide the department. It never
prints a traceback: one line on standard error says what went wrong.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError

from api.osticket.email_in import looks_like_a_message, message_deliver
from mail.ledger import mailbox_for
from mail.models import InboundMessage, Mailbox
from mail.oversized import inbound_store_oversized

EX_OK, EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_TEMPFAIL, EX_NOPERM = 0, 65, 66, 69, 75, 77
CHUNK = 2**20


class Command(BaseCommand):
    help = "Deliver one message from standard input to a mailbox, as osTicket's pipe.php."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", required=True, help="The address it was sent to.")

    def handle(self, *args, mailbox, **options):
        try:
            code = self.pipe(mailbox, sys.stdin.buffer)
        except (OperationalError, InterfaceError) as error:
            code = self.fail(EX_TEMPFAIL, f"the database is unavailable ({type(error).__name__})")
        except Exception as error:  # an MTA reads exit codes, not tracebacks
            code = self.fail(EX_TEMPFAIL, f"{type(error).__name__}: {error}")
        sys.exit(code)

    def pipe(self, address: str, stream) -> int:
        limit = settings.MAIL_MAX_MESSAGE_BYTES
        raw = stream.read(limit + 1)
        size = len(raw) + (_drain(stream) if len(raw) > limit else 0)
        if not raw.strip():
            return self.fail(EX_NOINPUT, "no message on standard input")
        if not looks_like_a_message(raw):
            return self.fail(EX_DATAERR, "not an email message (no headers)")
        mailbox = mailbox_for(address)
        if mailbox is None:
            if Mailbox.objects.filter(address=address.strip().lower()).exists():
                return self.fail(EX_UNAVAILABLE, f"the mailbox {address!r} is switched off")
            return self.fail(EX_NOPERM, f"no mailbox {address!r}")
        if size > limit:
            # As mail_pipe: the headers are kept and the sender gets one polite reply, so
            # the MTA must not bounce it as well (decision 0021).
            row, _ = inbound_store_oversized(
                mailbox=mailbox, head=raw, size=size, source=InboundMessage.Source.PIPE
            )
            self.stdout.write(f"too large ({size} bytes): recorded as {row}")
            return EX_OK
        delivered = message_deliver(
            mailbox=mailbox, raw=raw, source=InboundMessage.Source.PIPE, via="osTicket pipe"
        )
        if delivered.refused:
            return self.fail(EX_NOPERM, f"refused: {delivered.reason}")
        if delivered.quarantined:
            return self.fail(EX_DATAERR, f"quarantined: {delivered.reason}")
        if delivered.number is not None:
            self.stdout.write(f"ticket {delivered.number}")
        else:
            self.stdout.write(f"recorded ({delivered.outcome})")
        return EX_OK

    def fail(self, code: int, message: str) -> int:
        self.stderr.write(f"osticket_pipe: {message}")
        return code


def _drain(stream) -> int:
    read = 0
    while chunk := stream.read(CHUNK):
        read += len(chunk)
    return read
