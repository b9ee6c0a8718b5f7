"""Reading delivery failure reports (mail.bounces) over the corpus of real ones: who
failed, for good or not, and which message came back."""

import json
from pathlib import Path

import pytest

from mail.bounces import read_bounce
from mail.parsing import parse_message
from tests.mail.conftest import message

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
BOUNCES = sorted(name for name, facts in EXPECTED.items() if facts.get("automated") == "bounce")

P, T = "permanent", "temporary"
DOT_CA = [
    f"{name}@dot.ca.gov"
    for name in [
        "xxxxxxx", "xxxxxxxxxxxxx", "xxxxxxxxxx", "xxxxxxxx", "xxxxxx", "xxxxxxxxxxxxxxxx",
        "xxxxxxxxxxx", "xxxxxxxxxxxx", "xxxxxxxxx", "xxx", "xxxxxxxxxxxxxxx",
    ]
]  # fmt: skip

# Per file: (RFC 3464 fields?, [(address, permanence, status)], the returned Message-ID).
CASES = {
    "bounces/bounceparser-exchange2007-ndr.eml": (
        True,
        [("john.smith@sample.net", P, "5.2.3")],
        "20120521184627.050AD154809F@admin1.example.co.uk",
    ),
    "bounces/bounceparser-groupwise.eml": (False, [("recipient@example.net", P, "")], None),
    "bounces/bounceparser-iis-multiple.eml": (
        True,
        [(f"bounced{i}@example.net", P, "5.0.0") for i in range(1, 5)],
        "CNISERVERTrpwACkWHZ00000098@smtp.example.com",
    ),
    # "No Message Collected": a report with nothing in it.
    "bounces/bounceparser-sendmail-no-message-collected.eml": (False, [], None),
    "bounces/cpython-amavis-banned.eml": (True, [(a, P, "5.7.1") for a in DOT_CA], None),
    "bounces/cpython-pmdf-dsn.eml": (
        True,
        [("jangel1@cougar.noc.ucla.edu", P, "5.0.0")],
        "002001c144a6$8752e060$56104586@oxy.edu",
    ),
    # No usable boundary: the fields are read from the text.
    "bounces/cpython-sendmail-dsn.eml": (
        True,
        [("scoffman@wellpartner.com", P, "5.4.6")],
        "01040616033903.00962@server",
    ),
    "bounces/flufl-domino.eml": (False, [("userx@example.com", P, "")], None),
    "bounces/flufl-exchange55-ims.eml": (False, [("userx@example.com", P, "")], None),
    "bounces/flufl-exim.eml": (
        False,
        [("userx@its.example.nl", P, "5.1.1")],
        "19990920022322.A19735@stereo.rotzorg.org",
    ),
    # "Action: failure", "Status: 553 ...": read as failed, 553.
    "bounces/flufl-ntmail-dsn.eml": (
        True,
        [("userx@example.be", P, "553")],
        "31575A892FF6D1118F5800600846864D5B17D1@intrepid",
    ),
    "bounces/flufl-outlook12-dsn.eml": (True, [("userx@example.com", P, "5.0.0")], None),
    "bounces/flufl-postfix.eml": (False, [("xxxxx@local.ie", P, "5.1.1")], None),
    "bounces/flufl-qmail.eml": (False, [("userx@example.de", P, "")], None),
    # multipart/report with no delivery-status part: the prose says it.
    "bounces/flufl-yahoo-dsn.eml": (
        False,
        [("bogus-address@example.net", P, "5.1.1")],
        "130907fb-848c-d154-8e59-ed1e08319fcf@yahoo.com",
    ),
    # A full mailbox: failed, but 4.2.2 is transient.
    "bounces/mailparser-mailsite-malformed-dsn.eml": (
        True,
        [("abh@netpar.com.br", T, "4.2.2")],
        "004801d1fc84$01c934ac$b247f0b7$@infospacemail.com",
    ),
    # X-Failed-Recipients; the prose is Japanese.
    "bounces/sisimai-googlegroups-cr-only.eml": (
        False,
        [("libsisimai@googlegroups.com", P, "")],
        "D0E3D626-1C96-4749-8101-62C0CE13B1D5@example.jp",
    ),
    "charsets/flufl-newmailru-koi8r.eml": (False, [("zzzzz@newmail.ru", T, "")], None),
    "charsets/flufl-sina-gb2312-8bit-subject.eml": (
        False,
        [("userx@sina.com", P, ""), ("usery@sina.com", P, "")],
        None,
    ),
    "charsets/flufl-uft8-typo.eml": (False, [("userx@example.com", P, "5.3.0")], None),
    "charsets/flufl-utf7-exchange-dsn.eml": (
        True,
        [("userx@example.com", P, "5.1.1")],
        "mailman.8262.1143060203.1568.wed_ride@grizz.org",
    ),
    # Only the returned message's To, quoted in the HTML.
    "html/flufl-yahoo-html-bounce.eml": (False, [("user@yahoo.com", P, "")], None),
}


def read(name: str):
    raw = (CORPUS / name).read_bytes()
    return read_bounce(raw, parse_message(raw))


def test_every_bounce_in_the_corpus_has_its_case():
    assert sorted(CASES) == BOUNCES


@pytest.mark.parametrize("name", BOUNCES)
def test_each_bounce_reads_as_expected(name):
    standard, expected, original = CASES[name]

    report = read(name)

    got = [(r.address, P if r.permanent else T, r.status) for r in report.failures]
    assert got == expected
    assert report.standard is standard
    if original is not None:
        assert report.original_ids[0] == original


def test_diagnostics_are_what_the_server_said():
    [postfix] = read("bounces/flufl-postfix.eml").failures
    assert postfix.diagnostic == (
        "host mail.local.ie[195.7.46.14] said: 550 5.1.1 <xxxxx@local.ie>... User unknown"
    )
    [domino] = read("bounces/flufl-domino.eml").failures
    assert domino.diagnostic == "User carlosr73 (userx@example.com) not listed in Domino Directory"
    [pmdf] = read("bounces/cpython-pmdf-dsn.eml").failures
    assert pmdf.diagnostic == "recipient reached disk quota"
    [iis, *_] = read("bounces/bounceparser-iis-multiple.eml").failures
    assert iis.diagnostic == "550 Requested action not taken: mailbox unavailable"


def dsn(*, action: str, status: str, original_id="<ours@helpdesk.example>") -> bytes:
    boundary = "b0undary"
    body = "\r\n".join(
        [
            f"--{boundary}",
            "Content-Type: text/plain",
            "",
            "Delivery to jim@example.com did not work out.",
            f"--{boundary}",
            "Content-Type: message/delivery-status",
            "",
            "Reporting-MTA: dns; mx.example.com",
            "",
            "Original-Recipient: rfc822;Jim@Example.com",
            "Final-Recipient: rfc822; jim.halpert@mailhost.example.com",
            f"Action: {action}",
            f"Status: {status}",
            "Diagnostic-Code: smtp; 550 5.1.1 <jim@example.com>: Recipient",
            "  address rejected: User unknown",
            f"--{boundary}",
            "Content-Type: text/rfc822-headers",
            "",
            "From: IT <it@theoffice.example>",
            "To: jim@example.com",
            f"Message-ID: {original_id}",
            "In-Reply-To: <earlier@helpdesk.example>",
            f"--{boundary}--",
        ]
    )
    return message(
        sender="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        to="it@theoffice.example",
        subject="Undelivered Mail Returned to Sender",
        message_id="<bounce1@mx.example.com>",
        content_type=f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
        body=body,
    )


def test_fields_of_a_report_as_rfc_3464_writes_them():
    raw = dsn(action="failed", status="5.1.1")

    report = read_bounce(raw, parse_message(raw))

    [failure] = report.failures
    # Original-Recipient is the address we sent to; the diagnostic is unfolded.
    assert (failure.address, failure.action, failure.status, failure.permanent) == (
        "jim@example.com",
        "failed",
        "5.1.1",
        True,
    )
    assert failure.diagnostic == (
        "550 5.1.1 <jim@example.com>: Recipient address rejected: User unknown"
    )
    assert report.original_ids == ["ours@helpdesk.example", "earlier@helpdesk.example"]


@pytest.mark.parametrize(
    ("action", "status", "failed", "permanent"),
    [
        ("failed", "5.1.1", True, True),
        ("failed", "4.4.7", True, False),  # given up, but the address is not known bad
        ("delayed", "4.4.1", True, False),
        ("delivered", "2.0.0", False, False),
        ("relayed", "2.0.0", False, False),
        ("expanded", "2.0.0", False, False),
    ],
)
def test_actions_and_statuses(action, status, failed, permanent):
    raw = dsn(action=action, status=status)
    report = read_bounce(raw, parse_message(raw))
    assert [r.permanent for r in report.failures] == ([permanent] if failed else [])
    assert len(report.recipients) == 1


def test_garbage_never_raises():
    for raw in [b"", b"\x00\xff" * 100, b"Content-Type: multipart/report\r\n\r\n--x\r\n"]:
        report = read_bounce(raw, parse_message(raw))
        assert report.failures == []
