"""mail-parser-reply, with its quote-header search tried only where a header can begin.

The parser finds where quoted history starts with one regex (every language's "On ...
wrote:" line, Outlook's "From: / Sent:" block, "-----Original Message-----"), run with
`findall` over the whole text. Python's regex engine tries each of its ~35 alternatives at
every character, so a 6 KB message costs ~10 ms there: the largest single cost of taking
in a message (bench/mail.py --profile). Nearly every alternative starts with `^` (a line
start) or a newline character, the rest with a literal such as "-----". So the pattern is
read once (Python's own regex parser) for the characters a match can begin with, and tried
only at line starts and those characters, in order, resuming after each match as `findall`
does: exactly the same matches. A pattern whose matches could begin anywhere is searched
the library's way. tests/mail/test_quote_headers.py compares both on the mail corpus and on
generated text.
"""

from __future__ import annotations

import functools
import re
import re._parser as sre_parse

from mailparser_reply.constants import MAIL_LANGUAGE_DEFAULT, MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage as _ReplyMessage

LINE_START = "^"


def languages_known(languages: list[str]) -> list[str]:
    """As EmailReplyParser normalises its languages."""
    known = [language.lower().strip() for language in languages]
    known = [language for language in known if language in MAIL_LANGUAGES]
    return known or [MAIL_LANGUAGE_DEFAULT]


# What a match can begin with ----------------------------------------------------------


def match_starts(pattern: re.Pattern) -> frozenset[str] | None:
    """The characters a match of `pattern` can begin with, LINE_START for a line start;
    None when it could begin anywhere (or with anything we do not read)."""
    return _match_starts(pattern.pattern, pattern.flags)


@functools.lru_cache(maxsize=32)
def _match_starts(source: str, flags: int) -> frozenset[str] | None:
    found = _sequence(sre_parse.parse(source, flags), bool(flags & re.IGNORECASE))
    if found is None or found[1]:  # unknown, or it can match the empty string
        return None
    return frozenset(found[0])


def _sequence(items, fold: bool):
    """(starts, can be empty) of a sequence of parsed items, or None if unknown."""
    starts: set[str] = set()
    for op, arg in items:
        found = _item(op, arg, fold)
        if found is None:
            return None
        starts |= found[0]
        if not found[1]:
            return starts, False
    return starts, True


def _item(op, arg, fold: bool):
    if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
        return set(), True  # zero-width: what follows decides
    if op == sre_parse.AT:
        return _anchor(arg)
    if op == sre_parse.LITERAL:
        return _cased(chr(arg), fold), False
    if op == sre_parse.IN:
        return _char_set(arg, fold)
    if op == sre_parse.SUBPATTERN:
        return _sequence(arg[-1], fold)
    if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
        low, _, body = arg
        found = _sequence(body, fold)
        return None if found is None else (found[0], found[1] or low == 0)
    if op == sre_parse.BRANCH:
        return _branches(arg[1], fold)
    return None


def _anchor(kind):
    if kind in (
        sre_parse.AT_BEGINNING,
        sre_parse.AT_BEGINNING_LINE,
        sre_parse.AT_BEGINNING_STRING,
    ):
        return {LINE_START}, False
    return set(), True  # \b, $ and the like consume nothing


def _char_set(members, fold: bool):
    if not all(kind == sre_parse.LITERAL for kind, _ in members):
        return None  # a range, a category (\s), a negation: could be many characters
    return set().union(*(_cased(chr(code), fold) for _, code in members)), False


def _branches(branches, fold: bool):
    starts, empty = set(), False
    for branch in branches:
        found = _sequence(branch, fold)
        if found is None:
            return None
        starts |= found[0]
        empty = empty or found[1]
    return starts, empty


def _cased(char: str, fold: bool) -> set[str]:
    return {char, char.lower(), char.upper()} if fold else {char}


# The search ----------------------------------------------------------------------------


def line_start_findall(pattern: re.Pattern, text: str) -> list:
    """pattern.findall(text), trying only where a match can begin."""
    starts = match_starts(pattern)
    if starts is None:
        return pattern.findall(text)
    found, resume = [], 0
    for start in _candidates(text, starts):
        if start < resume:
            continue
        match = pattern.match(text, start)
        if match is None:
            continue
        groups = match.groups(default="")
        found.append(groups[0] if len(groups) == 1 else groups if groups else match.group())
        resume = match.end() if match.end() > start else start + 1
    return found


def _candidates(text: str, starts: frozenset[str]):
    """Positions in order: line starts (if a match can begin at one) and each character a
    match can begin with."""
    chars = set(starts) - {LINE_START}
    line_starts = LINE_START in starts
    if line_starts:
        chars.add("\n")  # a line starts after each newline
    last = -1
    if line_starts:
        yield 0
        last = 0
    if not chars:
        return
    finder = re.compile("[" + "".join(re.escape(char) for char in sorted(chars)) + "]")
    for hit in finder.finditer(text):
        at = hit.start()
        if (text[at] != "\n" or "\n" in starts) and at > last:
            yield at
            last = at
        if text[at] == "\n" and line_starts and at + 1 > last:
            yield at + 1
            last = at + 1


class _FastFindall:
    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern

    def findall(self, text: str) -> list:
        return line_start_findall(self.pattern, text)


class QuoteSplitter(_ReplyMessage):
    """mailparser_reply's EmailMessage with the fast header search; same results."""

    @property
    def HEADER_REGEX(self):  # the parent's name
        return _FastFindall(super().HEADER_REGEX)


def latest_reply(text: str, languages: list[str]) -> str | None:
    """EmailReplyParser(languages=languages).parse_reply(text=text), faster."""
    return QuoteSplitter(text=text, languages=languages_known(languages)).read().latest_reply
