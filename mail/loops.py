"""Mail that machines send: auto-replies, bulk and list mail, bounces, our own mail.

None of it is acknowledged, none of it reopens a ticket or changes its status, and an
auto-reply (an out-of-office answering our acknowledgement, say) never opens a ticket:
that is how two auto-responders stop answering each other.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from mail.models import Mailbox
from mail.parsing import ParsedMessage
from tickets.models import Notification

OUT_OF_OFFICE_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|"
    r"abwesenheit|absence|r[ée]ponse automatique|respuesta autom[áa]tica|"
    r"fuera de la oficina|risposta automatica|niet aanwezig|autosvar|"
    r"i am (currently )?out of|i'?m out of|on vacation|vacation reply)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


@dataclass(frozen=True)
class Automation:
    """What kind of machine, if any, sent a message."""

    auto_reply: bool = False  # an answer by a machine: never a new ticket
    automated: bool = False  # any machine mail: no acknowledgement, no status change
    bounce: bool = False
    reason: str = ""


def classify(message: ParsedMessage) -> Automation:
    header = message.header
    auto_submitted = header("Auto-Submitted").split(";")[0].strip().lower()
    precedence = header("Precedence").strip().lower()
    content_type = header("Content-Type").lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return Automation(True, True, True, "delivery status report")
    if BOUNCE_SENDERS.match(message.sender.address):
        return Automation(True, True, True, f"from {message.sender.address}")
    if auto_submitted == "auto-replied":
        return Automation(True, True, reason="Auto-Submitted: auto-replied")
    if header("X-Autoreply") or header("X-Autorespond") or precedence == "auto_reply":
        return Automation(True, True, reason="auto-reply headers")
    if OUT_OF_OFFICE_SUBJECT.match(message.subject):
        return Automation(True, True, reason="out-of-office subject")
    if auto_submitted and auto_submitted != "no":
        return Automation(automated=True, reason=f"Auto-Submitted: {auto_submitted}")
    if precedence in ("bulk", "junk", "list"):
        return Automation(automated=True, reason=f"Precedence: {precedence}")
    if header("List-Id") or header("List-Unsubscribe"):
        return Automation(automated=True, reason="mailing list")
    if header("X-Auto-Response-Suppress").strip():
        return Automation(automated=True, reason="X-Auto-Response-Suppress")
    return Automation()


def is_our_own(message: ParsedMessage) -> bool:
    """Mail we sent, come back: from one of our addresses, or with a Message-ID we issued."""
    ours = {settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip().lower()}
    if message.sender.address in ours:
        return True
    # One round trip for both questions: every message asks them.
    found = Mailbox.objects.filter(address=message.sender.address).values("pk")
    if message.message_id:
        issued = Notification.objects.filter(message_id=f"<{message.message_id}>")
        found = found.union(issued.values("pk"), all=True)
    return found.exists()
