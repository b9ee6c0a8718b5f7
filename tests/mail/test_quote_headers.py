"""The fast quote-header search (mail/quote_headers.py) finds exactly what
mailparser_reply's own findall finds: checked on the installed version's patterns, on the
mail corpus, and on generated text full of header-like lines."""

import random
import re
from pathlib import Path

import pytest
from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailMessage

from mail.parsing import REPLY_LANGUAGES, html_to_text, parse_message
from mail.quote_headers import (
    LINE_START,
    languages_known,
    latest_reply,
    line_start_findall,
    match_starts,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
LANGUAGES = languages_known(REPLY_LANGUAGES)
HEADER_REGEX = EmailMessage(text="", languages=LANGUAGES).HEADER_REGEX


def test_every_language_we_name_is_one_the_parser_knows():
    assert languages_known(REPLY_LANGUAGES) == REPLY_LANGUAGES


def test_the_installed_patterns_start_at_line_starts_or_a_few_characters():
    starts = match_starts(HEADER_REGEX)
    assert starts is not None  # else the search is the library's own, slow one
    assert LINE_START in starts
    assert len(starts) <= 4, starts  # line starts, newlines, a literal or two ("-----")


@pytest.mark.parametrize(
    ("source", "flags", "expected"),
    [
        (r"^a|\nb", re.M, {LINE_START, "\n"}),
        (r"(?:x)?-{5}", 0, {"x", "-"}),
        (r"(?!z)[ab]c", re.I, {"a", "A", "b", "B"}),
        (r"\s*^From:", re.M, None),  # \s could be anything: no shortcut
        (r"(?:a)?", 0, None),  # matches the empty string anywhere
        (r".+wrote:", 0, None),
    ],
)
def test_what_a_match_can_begin_with(source, flags, expected):
    found = match_starts(re.compile(source, flags))
    assert found == (None if expected is None else frozenset(expected))


def _texts():
    for path in sorted(CORPUS.rglob("*.eml")):
        message = parse_message(path.read_bytes())
        yield path.name, message.text
        if message.html:
            yield path.name + " (html)", html_to_text(message.html)


@pytest.mark.parametrize(("name", "text"), list(_texts()))
def test_the_corpus_splits_as_the_library_splits_it(name, text):
    assert line_start_findall(HEADER_REGEX, text) == HEADER_REGEX.findall(text), name
    assert latest_reply(text, REPLY_LANGUAGES) == EmailReplyParser(
        languages=REPLY_LANGUAGES
    ).parse_reply(text=text)


PIECES = [
    "On Tue, 1 Dec 2026 at 09:00, IT Help Desk <it@theoffice.example> wrote:",
    "Am 01.12.2026 um 09:00 schrieb Jan Levinson:",
    "Le mar. 1 déc. 2026 à 09:00, Pam a écrit :",
    "From: Michael Scott <michael@dundermifflin.example>",
    "Sent: Tuesday, December 1, 2026 9:00 AM",
    "To: it@theoffice.example",
    "Subject: RE: printer",
    "Von: Dwight",
    "Gesendet: Dienstag",
    "*From:* Jim",
    "-----Original Message-----",
    "> On Mon, Dwight wrote:",
    "> > From: Angela",
    "> > Sent: Monday",
    "The printer on floor two is jammed again.",
    "Thanks, Kevin",
    "Sent from my iPhone",
    "",
    "-- ",
    "De : Oscar",
    "Envoyé : lundi",
    "-----Oprindelig meddelelse-----",
    "see below -----Oprindelig meddelelse-----",
    "Fra: Creed",
    "Sendt: mandag",
    "Od: Toby",
    "Temat: drukarka",
    "Odesláno: pondělí",
    "Předmět: tiskárna",
    "text -----Original Message----- text",
]


def test_generated_text_splits_as_the_library_splits_it():
    rng = random.Random(17)
    for _ in range(400):
        lines = [rng.choice(PIECES) for _ in range(rng.randrange(1, 25))]
        text = rng.choice(["\n", "\r\n", "\n\n"]).join(lines)
        assert line_start_findall(HEADER_REGEX, text) == HEADER_REGEX.findall(text), text
        assert latest_reply(text, REPLY_LANGUAGES) == EmailReplyParser(
            languages=REPLY_LANGUAGES
        ).parse_reply(text=text), text
